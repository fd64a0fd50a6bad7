package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// saveFiles writes every image, embedded file and linked file of a result
// into dir and prints each path. A linked file is read only when the result
// does not already hold a file of its type (an image comes with a link to
// itself; a CSV shown as text, possibly cut, is read whole through its link).
func saveFiles(ctx context.Context, c *client.Client, tool string, res *mcp.CallToolResult, dir string, w io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %q: %v", dir, err)
	}
	// The first link names the files of the result.
	var linkURI string
	held := map[string]bool{}
	for _, content := range res.Content {
		switch x := content.(type) {
		case mcp.ResourceLink:
			if linkURI == "" {
				linkURI = x.URI
			}
		case mcp.ImageContent:
			held[x.MIMEType] = true
		case mcp.EmbeddedResource:
			switch r := x.Resource.(type) {
			case mcp.BlobResourceContents:
				held[r.MIMEType] = true
			case mcp.TextResourceContents:
				held[r.MIMEType] = true
			}
		}
	}
	saved := 0
	save := func(uri, mime string, data []byte) error {
		if uri == "" {
			uri = linkURI
		}
		path, err := writeNew(dir, fileName(uri, mime, tool), data)
		if err != nil {
			return err
		}
		saved++
		fmt.Fprintf(w, "wrote %s (%d bytes)\n", path, len(data))
		return nil
	}
	for _, content := range res.Content {
		var err error
		switch x := content.(type) {
		case mcp.ImageContent:
			var data []byte
			if data, err = base64.StdEncoding.DecodeString(x.Data); err == nil {
				err = save("", x.MIMEType, data)
			}
		case mcp.EmbeddedResource:
			err = saveContents(x.Resource, save)
		case mcp.ResourceLink:
			if held[x.MIMEType] {
				continue
			}
			var rr *mcp.ReadResourceResult
			req := mcp.ReadResourceRequest{}
			req.Params.URI = x.URI
			if rr, err = c.ReadResource(ctx, req); err != nil {
				fmt.Fprintf(w, "not saved: %s could not be read: %v\n", x.URI, err)
				err = nil
				continue
			}
			for _, rc := range rr.Contents {
				if err = saveContents(rc, save); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if saved == 0 {
		fmt.Fprintf(w, "nothing to save in %s: the result holds no image or file\n", dir)
	}
	return nil
}

func saveContents(rc mcp.ResourceContents, save func(uri, mime string, data []byte) error) error {
	switch r := rc.(type) {
	case mcp.BlobResourceContents:
		data, err := base64.StdEncoding.DecodeString(r.Blob)
		if err != nil {
			return fmt.Errorf("%s: the file is not valid base64: %v", r.URI, err)
		}
		return save(r.URI, r.MIMEType, data)
	case mcp.TextResourceContents:
		return save(r.URI, r.MIMEType, []byte(r.Text))
	}
	return nil
}

// fileName names a file after its resource: tableau://views/ID/pdf becomes
// view-ID.pdf, tableau://workbooks/ID/content workbook-ID.twbx.
func fileName(uri, mime, tool string) string {
	kind, id := "", ""
	if u, err := url.Parse(uri); err == nil && u.Scheme == "tableau" {
		parts := strings.Split(strings.Trim(u.Host+u.Path, "/"), "/")
		if len(parts) >= 2 {
			kind, id = strings.TrimSuffix(parts[0], "s"), parts[1]
		}
	}
	ext := ".bin"
	switch mime {
	case "image/png":
		ext = ".png"
	case "application/pdf":
		ext = ".pdf"
	case "text/csv":
		ext = ".csv"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		ext = ".xlsx"
	case "application/zip":
		ext = map[string]string{"workbook": ".twbx", "datasource": ".tdsx"}[kind]
	case "application/xml":
		ext = map[string]string{"workbook": ".twb", "datasource": ".tds"}[kind]
	}
	if ext == "" {
		ext = ".zip"
		if mime == "application/xml" {
			ext = ".xml"
		}
	}
	name := tool
	if kind != "" && id != "" {
		name = kind + "-" + id
	}
	return safeName(name) + ext
}

// safeName keeps letters, digits, dot, dash and underscore.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
	if s = strings.TrimLeft(s, "."); s == "" {
		s = "file"
	}
	return s
}

// writeNew writes data to dir/name, never over an existing file: name-2,
// name-3 and so on are tried instead.
func writeNew(dir, name string, data []byte) (string, error) {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 1; i < 1000; i++ {
		path := filepath.Join(dir, name)
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("--out: %v", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("--out: writing %s: %v", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("--out: %s and 998 numbered variants exist already in %s", name, dir)
}
