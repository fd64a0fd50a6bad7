package tools

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Publishing workbooks: a file from the operator's import directory, or a
// small one inline as base64, sent as Tableau's multipart/mixed publish
// request; files larger than one request allows go through a file upload
// session in chunks read from disk as they are sent.

// DefaultChunkBytes is the largest file Tableau takes in one publish
// request, and the size of each appended chunk beyond it (64 MB).
const DefaultChunkBytes = 64 << 20

// WorkbookPublishArgs are the arguments of tableau_workbook_publish.
type WorkbookPublishArgs struct {
	File      string `json:"file,omitempty" jsonschema_description:"Path of a .twbx or .twb relative to the server's import directory."`
	Content   string `json:"content,omitempty" jsonschema_description:"Instead of file: the file as base64 (small files only)."`
	Filename  string `json:"filename,omitempty" jsonschema_description:"With content: its name, ending .twbx or .twb."`
	ProjectID string `json:"project_id" jsonschema:"required" jsonschema_description:"From tableau_projects_list."`
	Name      string `json:"name,omitempty" jsonschema_description:"Workbook name; default the file name without extension."`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema_description:"Replace a same-named workbook in the project."`
}

// source asks for exactly one source of the file. (Not Validate: the scope
// of project_id is checked first, so that a refusal for scope does not
// depend on the rest of the arguments.)
func (a *WorkbookPublishArgs) source() error { return a.check(workbookKind) }

func (a *WorkbookPublishArgs) check(k publishKind) error {
	switch {
	case a.File == "" && a.Content == "":
		return fmt.Errorf("give file (a path in the import directory) or content (base64) with filename")
	case a.File != "" && a.Content != "":
		return fmt.Errorf("give file or content, not both")
	case a.Content != "" && a.Filename == "":
		return fmt.Errorf("content needs filename, e.g. \"Sales.twbx\"")
	}
	name := a.File
	if name == "" {
		name = a.Filename
	}
	if k.fileType(name) == "" {
		return fmt.Errorf("%q is not a .%s file", clip(filepath.Base(name)), strings.Join(k.types, ", ."))
	}
	return nil
}

func workbookType(name string) string { return workbookKind.fileType(name) }

// publishKind is what differs between publishing a workbook and a data
// source: the path, the file part's name, the query parameter naming the
// file type, and the file types taken.
type publishKind struct {
	noun      string // workbook, datasource
	path      string // /workbooks
	part      string // tableau_workbook
	typeParam string // workbookType
	types     []string
}

var (
	workbookKind   = publishKind{"workbook", "/workbooks", "tableau_workbook", "workbookType", []string{"twbx", "twb"}}
	datasourceKind = publishKind{"datasource", "/datasources", "tableau_datasource", "datasourceType", []string{"tdsx", "tds", "hyper"}}
)

func (k publishKind) fileType(name string) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
	for _, t := range k.types {
		if t == ext {
			return t
		}
	}
	return ""
}

// upload is the file to publish: read at any offset, never whole.
type upload struct {
	name string
	size int64
	src  io.ReaderAt
	done func()
}

// openImport resolves rel inside the import directory, refusing what
// leaves it (.., absolute paths, symbolic links pointing out).
func openImport(dir, rel string) (*upload, error) {
	if dir == "" {
		return nil, backend.Userf("publishing is off: the server has no import directory; the operator sets --import-dir (TABLEAU_MCP_IMPORT_DIR)")
	}
	clean := filepath.ToSlash(rel)
	if filepath.IsAbs(rel) || strings.HasPrefix(clean, "/") || filepath.VolumeName(rel) != "" {
		return nil, backend.Userf("file %q: give a path relative to the import directory", clip(rel))
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			return nil, backend.Userf("file %q: '..' is not allowed; give a path inside the import directory", clip(rel))
		}
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, backend.Userf("the import directory cannot be read (%v); the operator should check --import-dir", err)
	}
	target, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(clean)))
	if err != nil {
		return nil, backend.Userf("file %q is not in the import directory", clip(rel))
	}
	if r, err := filepath.Rel(root, target); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return nil, backend.Userf("file %q leads outside the import directory and is refused", clip(rel))
	}
	// Opened through os.Root as well, so that a link swapped in after the
	// check above cannot lead out either.
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, backend.Userf("the import directory cannot be read (%v); the operator should check --import-dir", err)
	}
	defer r.Close()
	f, err := r.Open(filepath.FromSlash(clean))
	if err != nil {
		return nil, backend.Userf("file %q cannot be opened inside the import directory: %v", clip(rel), err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, backend.Userf("file %q is not a regular file", clip(rel))
	}
	return &upload{name: filepath.Base(target), size: st.Size(), src: f, done: func() { f.Close() }}, nil
}

// payloadXML is the request_payload part naming the workbook and project.
func payloadXML(noun, name, projectID string) []byte {
	var b bytes.Buffer
	b.WriteString(`<tsRequest><` + noun + ` name="`)
	attr(&b, name)
	b.WriteString(`"><project id="`)
	attr(&b, projectID)
	b.WriteString(`"/></` + noun + `></tsRequest>`)
	return b.Bytes()
}

// attr escapes an XML attribute value; encoding/xml writes ' as &#39;,
// which Tableau's publish parser accepts (it refuses &apos;).
func attr(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }

// quoted makes a file name safe inside a quoted header parameter.
func quoted(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// multipartStream builds a multipart/mixed body of a request_payload part
// and, when part is not empty, a file part of n bytes from src at off,
// written as the body is read.
func multipartStream(payload []byte, part, filename string, src io.ReaderAt, off, n int64) *backend.Stream {
	boundary := multipart.NewWriter(io.Discard).Boundary()
	return &backend.Stream{
		ContentType: "multipart/mixed; boundary=" + boundary,
		Open: func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() {
				mw := multipart.NewWriter(pw)
				_ = mw.SetBoundary(boundary)
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", `name="request_payload"`)
				h.Set("Content-Type", "text/xml")
				w, err := mw.CreatePart(h)
				if err == nil {
					_, err = w.Write(payload)
				}
				if err == nil && part != "" {
					h = textproto.MIMEHeader{}
					h.Set("Content-Disposition", fmt.Sprintf(`name=%q; filename="%s"`, part, quoted(filename)))
					h.Set("Content-Type", "application/octet-stream")
					if w, err = mw.CreatePart(h); err == nil {
						_, err = io.Copy(w, io.NewSectionReader(src, off, n))
					}
				}
				if err == nil {
					err = mw.Close()
				}
				pw.CloseWithError(err)
			}()
			return pr, nil
		},
	}
}

func runWorkbookPublish(t Tool) Tool {
	return define(t, func(ctx context.Context, env *Env, a *WorkbookPublishArgs) (*mcp.CallToolResult, error) {
		return publish(ctx, env, t, workbookKind, a)
	})
}

// DatasourcePublishArgs are the arguments of tableau_datasource_publish.
type DatasourcePublishArgs struct {
	File      string `json:"file,omitempty" jsonschema_description:"Path of a .tdsx, .tds or .hyper relative to the server's import directory."`
	Content   string `json:"content,omitempty" jsonschema_description:"Instead of file: the file as base64 (small files only)."`
	Filename  string `json:"filename,omitempty" jsonschema_description:"With content: its name, ending .tdsx, .tds or .hyper."`
	ProjectID string `json:"project_id" jsonschema:"required" jsonschema_description:"From tableau_projects_list."`
	Name      string `json:"name,omitempty" jsonschema_description:"Data source name; default the file name without extension."`
	Overwrite bool   `json:"overwrite,omitempty" jsonschema_description:"Replace a same-named data source in the project."`
}

func runDatasourcePublish(t Tool) Tool {
	return define(t, func(ctx context.Context, env *Env, a *DatasourcePublishArgs) (*mcp.CallToolResult, error) {
		w := WorkbookPublishArgs(*a)
		return publish(ctx, env, t, datasourceKind, &w)
	})
}

// publish sends the file of a in one request, or through an upload
// session when it is larger than a chunk.
func publish(ctx context.Context, env *Env, t Tool, k publishKind, a *WorkbookPublishArgs) (*mcp.CallToolResult, error) {
	{
		if err := a.check(k); err != nil {
			return nil, backend.Userf("%v", err)
		}
		opts := env.Exports.WithDefaults()
		if opts.ImportDir == "" {
			return nil, backend.Userf("publishing is off: the server has no import directory; the operator sets --import-dir (TABLEAU_MCP_IMPORT_DIR)")
		}
		var up *upload
		if a.File != "" {
			var err error
			if up, err = openImport(opts.ImportDir, a.File); err != nil {
				return nil, err
			}
			defer up.done()
		} else {
			if int64(base64.StdEncoding.DecodedLen(len(a.Content))) > opts.MaxInlineBytes+3 {
				return nil, backend.Userf("content is larger than the %d bytes allowed inline (--max-inline-bytes); put the file in the import directory and give file", opts.MaxInlineBytes)
			}
			b, err := base64.StdEncoding.DecodeString(a.Content)
			if err != nil {
				return nil, backend.Userf("content is not valid base64: %v", err)
			}
			if int64(len(b)) > opts.MaxInlineBytes {
				return nil, backend.Userf("content is larger than the %d bytes allowed inline (--max-inline-bytes); put the file in the import directory and give file", opts.MaxInlineBytes)
			}
			a.Content = ""
			up = &upload{name: filepath.Base(a.Filename), size: int64(len(b)), src: bytes.NewReader(b), done: func() {}}
		}
		typ := k.fileType(up.name)
		name := a.Name
		if name == "" {
			name = strings.TrimSuffix(up.name, filepath.Ext(up.name))
		}
		payload := payloadXML(k.noun, name, a.ProjectID)
		q := url.Values{k.typeParam: {typ}, "overwrite": {fmt.Sprint(a.Overwrite)}}
		call := func(req backend.Request) (json.RawMessage, error) {
			return env.Backend.Invoke(ctx, t.call(publishParams{a.File, a.Filename, a.ProjectID, a.Name, a.Overwrite}, req))
		}
		if up.size > opts.ChunkBytes {
			raw, err := call(backend.Request{Method: http.MethodPost, Scope: backend.SiteScope, Path: "/fileUploads"})
			if err != nil {
				return nil, fmt.Errorf("starting the file upload: %w", err)
			}
			var doc struct {
				FileUpload struct {
					UploadSessionID string `json:"uploadSessionId"`
				} `json:"fileUpload"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil || doc.FileUpload.UploadSessionID == "" {
				return nil, fmt.Errorf("Tableau's file upload answer has no uploadSessionId: %s", clip(string(raw)))
			}
			id := doc.FileUpload.UploadSessionID
			for off := int64(0); off < up.size; off += opts.ChunkBytes {
				n := min(opts.ChunkBytes, up.size-off)
				if _, err := call(backend.Request{Method: http.MethodPut, Scope: backend.SiteScope, Path: backend.Segments("fileUploads", id),
					Stream: multipartStream(nil, "tableau_file", "file", up.src, off, n)}); err != nil {
					return nil, fmt.Errorf("uploading bytes %d-%d of %d: %w", off, off+n, up.size, err)
				}
			}
			q.Set("uploadSessionId", id)
			raw, err = call(backend.Request{Method: http.MethodPost, Scope: backend.SiteScope, Path: k.path, Query: q,
				Stream: multipartStream(payload, "", "", nil, 0, 0)})
			if err != nil {
				return nil, err
			}
			return jsonResult(raw), nil
		}
		raw, err := call(backend.Request{Method: http.MethodPost, Scope: backend.SiteScope, Path: k.path, Query: q,
			Stream: multipartStream(payload, k.part, up.name, up.src, 0, up.size)})
		if err != nil {
			return nil, err
		}
		return jsonResult(raw), nil
	}
}

// publishParams are the arguments passed on with each call, without the
// file's content.
type publishParams struct {
	File      string `json:"file,omitempty"`
	Filename  string `json:"filename,omitempty"`
	ProjectID string `json:"project_id"`
	Name      string `json:"name,omitempty"`
	Overwrite bool   `json:"overwrite"`
}

func publishTools() []Tool {
	return []Tool{
		runWorkbookPublish(Tool{
			Name: "tableau_workbook_publish", Title: "Publish a workbook", Kind: Write, Idempotent: false, Source: New, Toolset: "publish",
			Description: "Publish a .twbx or .twb into a project, from the server's import directory (file) or inline base64 (content + filename). overwrite replaces a same-named workbook; without it a clash fails. Find it after with tableau_workbooks_list.",
		}),
		runDatasourcePublish(Tool{
			Name: "tableau_datasource_publish", Title: "Publish a data source", Kind: Write, Idempotent: false, Source: New, Toolset: "publish",
			Description: "Publish a .tdsx, .tds or .hyper into a project, from the server's import directory (file) or inline base64 (content + filename). overwrite replaces a same-named data source; without it a clash fails.",
		}),
	}
}
