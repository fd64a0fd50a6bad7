package tools

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// format is a kind of file an export answers, recognised by its first bytes
// and checked whole before it is handed on: a PNG must decode, a PDF must
// end, a zip must open and hold what its kind needs.
type format struct {
	ext, mime, what string
	// text: resources/read answers it as text rather than base64.
	text bool
	// magic tells whether the first bytes (up to sniffLen) fit the format.
	magic func(head []byte) bool
	// verify checks a whole file, in memory or on disk.
	verify func(r io.ReaderAt, size int64) error
	// entry is the document a zip of this format must hold (".twb", ".tds"),
	// or the part an Office file must hold ("xl/workbook.xml").
	entry string
}

const sniffLen = 1024

var (
	pngMagic = []byte("\x89PNG\r\n\x1a\n")
	zipMagic = []byte("PK\x03\x04")
	utf8BOM  = []byte("\xef\xbb\xbf")
)

var (
	fmtPNG = format{ext: ".png", mime: "image/png", what: "PNG image",
		magic:  func(h []byte) bool { return bytes.HasPrefix(h, pngMagic) },
		verify: verifyPNG}
	fmtPDF = format{ext: ".pdf", mime: "application/pdf", what: "PDF document",
		magic:  func(h []byte) bool { return bytes.HasPrefix(bytes.TrimLeft(h, " \t\r\n"), []byte("%PDF-")) },
		verify: verifyPDF}
	fmtCSV = format{ext: ".csv", mime: "text/csv", what: "CSV file", text: true,
		magic: looksLikeCSV, verify: verifyCSV}
	fmtXLSX = format{ext: ".xlsx", mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", what: "Excel workbook",
		magic: isZip, entry: "xl/workbook.xml", verify: zipHolding("xl/workbook.xml")}
	fmtTWBX = format{ext: ".twbx", mime: "application/zip", what: "packaged workbook (.twbx)",
		magic: isZip, entry: ".twb", verify: zipHolding(".twb")}
	fmtTWB = format{ext: ".twb", mime: "application/xml", what: "workbook document (.twb)", text: true,
		magic: xmlRoot("workbook"), verify: verifyXML("workbook")}
	fmtTDSX = format{ext: ".tdsx", mime: "application/zip", what: "packaged data source (.tdsx)",
		magic: isZip, entry: ".tds", verify: zipHolding(".tds")}
	fmtTDS = format{ext: ".tds", mime: "application/xml", what: "data source document (.tds)", text: true,
		magic: xmlRoot("datasource"), verify: verifyXML("datasource")}
)

func zipHolding(entry string) func(io.ReaderAt, int64) error {
	return func(r io.ReaderAt, size int64) error { return verifyZip(r, size, entry) }
}

func isZip(h []byte) bool { return bytes.HasPrefix(h, zipMagic) }

func verifyPNG(r io.ReaderAt, size int64) error {
	if err := checkPNG(io.NewSectionReader(r, 0, size)); err != nil {
		return fmt.Errorf("it starts like a PNG but does not decode: %v", err)
	}
	return nil
}

// verifyPDF wants the end-of-file marker last, where a writer puts it;
// only whitespace may follow.
func verifyPDF(r io.ReaderAt, size int64) error {
	tail := make([]byte, min(size, 1024))
	if _, err := r.ReadAt(tail, size-int64(len(tail))); err != nil && err != io.EOF {
		return err
	}
	if !bytes.HasSuffix(bytes.TrimRight(tail, " \t\r\n\f\x00"), []byte("%%EOF")) {
		return errors.New("the PDF does not end with its %%EOF marker: it was cut short")
	}
	return nil
}

// verifyZip opens a zip and looks for the entry its kind needs: a name
// ending in entry at the top level (".twb") or that exact path.
func verifyZip(r io.ReaderAt, size int64, entry string) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("it starts like a zip but does not open: %v (the download may have been cut short)", err)
	}
	for _, f := range zr.File {
		if f.Name == entry || (strings.HasPrefix(entry, ".") && !strings.Contains(f.Name, "/") && strings.HasSuffix(strings.ToLower(f.Name), entry)) {
			return nil
		}
	}
	return fmt.Errorf("the zip holds no %s", entry)
}

// xmlRoot recognises an XML document whose root element is root.
func xmlRoot(root string) func([]byte) bool {
	return func(h []byte) bool {
		h = bytes.TrimLeft(bytes.TrimPrefix(h, utf8BOM), " \t\r\n")
		if !bytes.HasPrefix(h, []byte("<")) {
			return false
		}
		return rootElement(h) == root
	}
}

// rootElement names the first element of an XML prefix, skipping the
// declaration and comments; "" when none is found in it.
func rootElement(h []byte) string {
	d := xml.NewDecoder(bytes.NewReader(h))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

func verifyXML(root string) func(io.ReaderAt, int64) error {
	return func(r io.ReaderAt, size int64) error {
		d := xml.NewDecoder(io.NewSectionReader(r, 0, size))
		for {
			_, err := d.Token()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("the %s document is not well-formed XML: %v", root, err)
			}
		}
	}
}

// looksLikeCSV accepts UTF-8 text that is neither markup nor JSON.
func looksLikeCSV(h []byte) bool {
	h = bytes.TrimPrefix(h, utf8BOM)
	t := bytes.TrimLeft(h, " \t\r\n")
	if len(t) == 0 || t[0] == '<' || t[0] == '{' || bytes.IndexByte(h, 0) >= 0 {
		return false
	}
	// The head may end inside a character.
	for i := 0; i < utf8.UTFMax && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1]
	}
	return utf8.Valid(h)
}

func verifyCSV(r io.ReaderAt, size int64) error {
	cr := csv.NewReader(io.NewSectionReader(r, 0, size))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			if n == 0 {
				return errors.New("the CSV is empty")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("the CSV does not parse: %v", err)
		}
		for _, f := range rec {
			if !utf8.ValidString(f) {
				return errors.New("the CSV is not UTF-8 text")
			}
		}
	}
}

// csvInfo describes a CSV file: its records and where each one ends.
type csvInfo struct {
	rows, cols int     // rows after the header; columns of the header
	ends       []int64 // byte offset after each record, header first
}

func csvShape(b []byte) (csvInfo, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, utf8BOM)))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var info csvInfo
	bom := int64(len(b) - len(bytes.TrimPrefix(b, utf8BOM)))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, fmt.Errorf("the CSV does not parse: %v", err)
		}
		if len(info.ends) == 0 {
			info.cols = len(rec)
		} else {
			info.rows++
		}
		info.ends = append(info.ends, bom+r.InputOffset())
	}
	if len(info.ends) == 0 {
		return info, errors.New("the CSV is empty")
	}
	return info, nil
}

// sniff picks the format the answer's first bytes fit.
func sniff(head []byte, formats []format) (format, bool) {
	for _, f := range formats {
		if f.magic(head) {
			return f, true
		}
	}
	return format{}, false
}

var htmlTitle = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) }}

// unexpected explains an answer of status 2xx that is not the file asked
// for: a sign-in or proxy page, or something else that is not the file.
func unexpected(what string, want []format, status int, contentType string, body []byte) error {
	var names []string
	for _, f := range want {
		names = append(names, f.what)
	}
	wanted := strings.Join(names, " or ")
	t := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	lower := bytes.ToLower(t[:min(len(t), 512)])
	switch {
	case len(t) == 0:
		return backend.Userf("Tableau answered %d with an empty body instead of %s (%s). Retry; if it persists, the view or content may not render on the server.", status, wanted, what)
	case bytes.Contains(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<!doctype html")):
		title := ""
		if m := htmlTitle.Get().FindSubmatch(t); m != nil {
			title = fmt.Sprintf(" titled %q", clip(strings.Join(strings.Fields(string(m[1])), " ")))
		}
		return backend.Userf("Tableau answered %d with an HTML page%s instead of %s (%s). That is usually a sign-in page or a proxy in front of Tableau: check that the server URL points at Tableau itself and that the session is valid.", status, title, wanted, what)
	case t[0] == '{':
		// Tableau's own error bodies were turned into errors by the backend.
		return backend.Userf("Tableau answered %d with JSON instead of %s (%s): %s", status, wanted, what, snippet(t))
	}
	ct := ""
	if contentType != "" {
		ct = ", Content-Type " + contentType
	}
	return backend.Userf("Tableau answered %d with something that is not %s (%s%s); it starts with %s.", status, wanted, what, ct, snippet(t))
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b[:min(len(b), 160)])), " ")
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strconv.Quote(s)
}

// maxNameBytes bounds a file name written to the export directory.
const maxNameBytes = 180

// fileName turns a Content-Disposition header into a safe file name with
// the format's extension, or uses fallback when there is none. Directory
// parts, control characters and characters that file systems refuse are
// removed; the name never starts with a dot.
func fileName(disposition string, f format, fallback string) string {
	name := ""
	if disposition != "" {
		if _, params, err := mime.ParseMediaType(disposition); err == nil {
			name = params["filename"]
		} else if m := rawFilename.Get().FindStringSubmatch(disposition); m != nil {
			name = m[1]
		}
	}
	name = cleanName(name)
	if name == "" {
		name = cleanName(fallback)
	}
	if name == "" {
		name = "download"
	}
	base := name
	if strings.EqualFold(filepath.Ext(name), f.ext) {
		base = name[:len(name)-len(f.ext)]
	}
	for len(base)+len(f.ext) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	base = strings.TrimRight(base, " .")
	if base == "" {
		base = "download"
	}
	if reservedName(base) {
		base = "_" + base
	}
	return base + f.ext
}

var rawFilename = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`(?i)filename\*?=(?:UTF-8'[^']*')?"?([^";]+)`) }}

func cleanName(s string) string {
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base(s)
	if s == "." || s == "/" || s == ".." {
		return ""
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == 0x2028, r == 0x2029:
			return -1
		case strings.ContainsRune(`<>:"/\|?*`, r):
			return '_'
		}
		return r
	}, s)
	return strings.Trim(strings.TrimSpace(s), ". ")
}

// reservedName catches the device names Windows will not create as files.
func reservedName(base string) bool {
	b := strings.ToUpper(base)
	if i := strings.IndexByte(b, '.'); i >= 0 {
		b = b[:i]
	}
	switch b {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(b) == 4 && (strings.HasPrefix(b, "COM") || strings.HasPrefix(b, "LPT")) && b[3] >= '1' && b[3] <= '9'
}

// saveFile streams r into dir under name: first into a hidden temporary
// file, then, once complete and checked, renamed to a name that no existing
// file has ("name (2).ext" and so on), so nothing is ever overwritten.
func saveFile(dir, name string, r io.Reader, f format) (string, int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, backend.Userf("The export directory %s cannot be created: %v. Set TABLEAU_MCP_EXPORT_DIR to a writable directory.", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tableau-mcp-*.part")
	if err != nil {
		return "", 0, backend.Userf("Cannot write to the export directory %s: %v. Set TABLEAU_MCP_EXPORT_DIR to a writable directory.", dir, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, r)
	if err != nil {
		return "", n, fmt.Errorf("the download stopped after %s: %w", humanBytes(n), err)
	}
	if err := tmp.Sync(); err != nil {
		return "", n, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", n, err
	}
	if f.verify != nil {
		if err := f.verify(tmp, n); err != nil {
			return "", n, backend.Userf("The downloaded %s is not valid: %v.", f.what, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return "", n, err
	}
	final, err := reserve(dir, name)
	if err != nil {
		os.Remove(tmp.Name())
		done = true
		return "", n, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(final)
		os.Remove(tmp.Name())
		done = true
		return "", n, err
	}
	done = true
	if abs, err := filepath.Abs(final); err == nil {
		final = abs
	}
	return final, n, nil
}

// reserve creates an empty file under the first free name, so that a
// concurrent download cannot take the same one.
func reserve(dir, name string) (string, error) {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	for i := 1; i <= 1000; i++ {
		cand := name
		if i > 1 {
			cand = fmt.Sprintf("%s (%d)%s", base, i, ext)
		}
		p := filepath.Join(dir, cand)
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			fh.Close()
			return p, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("cannot create %s: %w", p, err)
		}
	}
	return "", backend.Userf("The export directory %s already holds 1000 files named like %s; clear some out.", dir, name)
}

// humanBytes writes a size the way a person reads it: 812 B, 45.2 KB, 301.4 MB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 3; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGT"[exp])
}
