package tools

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

const (
	viewID = "9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"
	wbID   = "1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b"
	dsID   = "2c3d4e5f-6071-4829-9bac-1d2e3f4a5b6c"
)

// fakeAnswer is what the fake backend's Open answers.
type fakeAnswer struct {
	header http.Header
	body   []byte
	reader io.Reader // instead of body, for streams
	length int64     // Content-Length; 0: unknown
	err    error
}

// fakeBackend records the requests of Open and answers them.
type fakeBackend struct {
	mu     sync.Mutex
	reqs   []backend.Request
	answer func(req backend.Request) fakeAnswer
}

func (f *fakeBackend) Name() string { return "fake" }
func (f *fakeBackend) Invoke(context.Context, backend.Call) (json.RawMessage, error) {
	// Reading the view's fields to check view_filters fails, as without
	// metadata access: the export is still sent, marked unverified.
	return nil, errors.New("export tools must not use Invoke")
}
func (f *fakeBackend) Open(_ context.Context, req backend.Request) (*http.Response, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	a := f.answer(req)
	if a.err != nil {
		return nil, a.err
	}
	body := a.reader
	if body == nil {
		body = bytes.NewReader(a.body)
	}
	h := a.header
	if h == nil {
		h = http.Header{}
	}
	length := int64(-1)
	if a.length > 0 {
		length = a.length
	}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(body), ContentLength: length}, nil
}

func (f *fakeBackend) last(t *testing.T) backend.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("no request reached the backend")
	}
	return f.reqs[len(f.reqs)-1]
}

func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const testPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

func testZip(t testing.TB, entries ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "<workbook/>")
	}
	zw.Close()
	return buf.Bytes()
}

// serve answers every Open with one body and header.
func serve(body []byte, header ...string) *fakeBackend {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &fakeBackend{answer: func(backend.Request) fakeAnswer { return fakeAnswer{header: h, body: body} }}
}

func run(t *testing.T, b *fakeBackend, opts ExportOptions, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	tl, err := ByName(tool)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(args)
	res, err := tl.Handle(context.Background(), &Env{Backend: b, Exports: opts}, json.RawMessage(raw))
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res
}

func allText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func links(res *mcp.CallToolResult) []mcp.ResourceLink {
	var out []mcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(mcp.ResourceLink); ok {
			out = append(out, l)
		}
	}
	return out
}

func wantFail(t *testing.T, res *mcp.CallToolResult, want ...string) {
	t.Helper()
	if !res.IsError {
		t.Fatalf("expected an error, got %s", allText(res))
	}
	for _, w := range want {
		if !strings.Contains(allText(res), w) {
			t.Errorf("error %q does not mention %q", allText(res), w)
		}
	}
}

func TestExportRequestsUseTableausPathsAndParameters(t *testing.T) {
	cases := []struct {
		tool    string
		args    map[string]any
		body    []byte
		path    string
		query   string
		uri     string
		notInQ  string
		summary string
	}{
		{"tableau_view_image_get", map[string]any{"view_id": viewID}, testPNG(t, 8, 6),
			"/views/" + viewID + "/image", "", "tableau://views/" + viewID + "/image", "", "8×6 px"},
		{"tableau_view_image_get", map[string]any{"view_id": viewID, "format": "PNG", "resolution": "high", "max_age": 5, "viz_width": 900, "viz_height": 700,
			"view_filters": map[string]any{"Region": "East,West", "vf_Sub-Category": "Art & Craft"}}, testPNG(t, 8, 6),
			"/views/" + viewID + "/image", "maxAge=5&resolution=high&vf_Region=East%2CWest&vf_Sub-Category=Art+%26+Craft&vizHeight=700&vizWidth=900",
			"tableau://views/" + viewID + "/image?max_age=5&resolution=high&vf_Region=East%2CWest&vf_Sub-Category=Art%20%26%20Craft&viz_height=700&viz_width=900", "format", "view_filters Region=East,West, Sub-Category=Art & Craft sent but not verified: the view's fields could not be read"},
		{"tableau_view_image_get", map[string]any{"view_id": viewID, "resolution": "standard"}, testPNG(t, 8, 6),
			"/views/" + viewID + "/image", "", "tableau://views/" + viewID + "/image", "resolution", ""},
		{"tableau_view_pdf_get", map[string]any{"view_id": viewID, "type": "a4", "orientation": "landscape", "viz_width": 1000}, []byte(testPDF),
			"/views/" + viewID + "/pdf", "orientation=landscape&type=a4&vizWidth=1000",
			"tableau://views/" + viewID + "/pdf?orientation=landscape&type=a4&viz_width=1000", "", fmt.Sprintf("1 page, %d B, page type a4, landscape", len(testPDF))},
		{"tableau_view_data_get", map[string]any{"view_id": viewID, "max_age": 1, "view_filters": map[string]any{"Segment": "Consumer"}}, []byte("Region,Sales\nEast,1\n"),
			"/views/" + viewID + "/data", "maxAge=1&vf_Segment=Consumer", "tableau://views/" + viewID + "/data?max_age=1&vf_Segment=Consumer", "", "1 row × 2 columns"},
		{"tableau_view_crosstab_get", map[string]any{"view_id": viewID}, testZip(t, "[Content_Types].xml", "xl/workbook.xml"),
			"/views/" + viewID + "/crosstab/excel", "", "tableau://views/" + viewID + "/crosstab", "", "view-" + viewID + ".xlsx"},
		{"tableau_workbook_download", map[string]any{"workbook_id": wbID, "include_extract": false}, []byte("<?xml version='1.0'?>\n<workbook/>"),
			"/workbooks/" + wbID + "/content", "includeExtract=false", "tableau://workbooks/" + wbID + "/content?include_extract=false", "", "without the extract"},
		{"tableau_workbook_download", map[string]any{"workbook_id": wbID, "include_extract": true}, testZip(t, "Book.twb"),
			"/workbooks/" + wbID + "/content", "", "tableau://workbooks/" + wbID + "/content", "includeExtract", "workbook-" + wbID + ".twbx"},
		{"tableau_datasource_download", map[string]any{"datasource_id": dsID}, testZip(t, "Orders.tds", "Data/Extracts/Orders.hyper"),
			"/datasources/" + dsID + "/content", "", "tableau://datasources/" + dsID + "/content", "", ".tdsx"},
	}
	for _, c := range cases {
		b := serve(c.body)
		res := run(t, b, ExportOptions{}, c.tool, c.args)
		if res.IsError {
			t.Errorf("%s %v: %s", c.tool, c.args, allText(res))
			continue
		}
		req := b.last(t)
		if req.Method != http.MethodGet || req.Scope != backend.SiteScope || req.Path != c.path || req.Query.Encode() != c.query {
			t.Errorf("%s: %s %s?%s, want GET %s?%s", c.tool, req.Method, req.Path, req.Query.Encode(), c.path, c.query)
		}
		if c.notInQ != "" && req.Query.Has(c.notInQ) {
			t.Errorf("%s: %s sent to Tableau", c.tool, c.notInQ)
		}
		ls := links(res)
		if len(ls) != 1 || ls[0].URI != c.uri {
			t.Errorf("%s: resource links %+v, want %s", c.tool, ls, c.uri)
		} else if ls[0].Size == nil || *ls[0].Size != int64(len(c.body)) {
			t.Errorf("%s: link size %v, want %d", c.tool, ls[0].Size, len(c.body))
		}
		if !strings.Contains(allText(res), c.summary) {
			t.Errorf("%s: summary %q lacks %q", c.tool, allText(res), c.summary)
		}
	}
}

func TestEachExportAnswersInTheFormItIsBestShown(t *testing.T) {
	img := testPNG(t, 20, 10)
	res := run(t, serve(img, "Content-Disposition", `inline; filename="Sales Map.png"`), ExportOptions{}, "tableau_view_image_get", map[string]any{"view_id": viewID})
	var got []byte
	for _, c := range res.Content {
		if ic, ok := c.(mcp.ImageContent); ok && ic.MIMEType == "image/png" {
			got, _ = base64.StdEncoding.DecodeString(ic.Data)
		}
	}
	if !bytes.Equal(got, img) {
		t.Error("the PNG is not returned as image content")
	}
	if l := links(res); len(l) != 1 || l[0].Name != "Sales Map.png" || l[0].MIMEType != "image/png" {
		t.Errorf("link %+v", l)
	}

	for _, c := range []struct {
		tool, mime string
		body       []byte
	}{
		{"tableau_view_pdf_get", "application/pdf", []byte(testPDF)},
		{"tableau_view_crosstab_get", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", testZip(t, "xl/workbook.xml")},
	} {
		res := run(t, serve(c.body), ExportOptions{}, c.tool, map[string]any{"view_id": viewID})
		var blob []byte
		for _, x := range res.Content {
			if er, ok := x.(mcp.EmbeddedResource); ok {
				if br, ok := er.Resource.(mcp.BlobResourceContents); ok && br.MIMEType == c.mime && strings.HasPrefix(br.URI, "tableau://views/") {
					blob, _ = base64.StdEncoding.DecodeString(br.Blob)
				}
			}
		}
		if !bytes.Equal(blob, c.body) || len(links(res)) != 1 || allText(res) == "" {
			t.Errorf("%s: want a summary, the file embedded as %s and a link; got %+v", c.tool, c.mime, res.Content)
		}
	}
	// A .twb comes back as text.
	res = run(t, serve([]byte("<?xml version='1.0'?>\n<workbook/>\n")), ExportOptions{}, "tableau_workbook_download", map[string]any{"workbook_id": wbID})
	found := false
	for _, x := range res.Content {
		if er, ok := x.(mcp.EmbeddedResource); ok {
			tr, ok := er.Resource.(mcp.TextResourceContents)
			found = ok && strings.Contains(tr.Text, "<workbook/>") && tr.MIMEType == "application/xml"
		}
	}
	if !found {
		t.Errorf(".twb not embedded as text: %+v", res.Content)
	}
}

func TestWrongAnswersWithStatus200BecomeClearErrors(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		tool   string
		want   []string
		header []string
	}{
		{"login page", "<!DOCTYPE html><html><head><title>Sign In - Tableau</title></head><body>...</body></html>", "tableau_view_image_get",
			[]string{"HTML page", `"Sign In - Tableau"`, "PNG image", "sign-in page"}, []string{"Content-Type", "text/html"}},
		{"json that is no file", `{"hello":1}`, "tableau_view_pdf_get", []string{"JSON instead of PDF document"}, nil},
		{"empty", "", "tableau_view_crosstab_get", []string{"empty body", "Excel workbook"}, nil},
		{"text for a png", "hello", "tableau_view_image_get", []string{"not PNG image", `"hello"`}, nil},
		{"broken png", "\x89PNG\r\n\x1a\nnonsense", "tableau_view_image_get", []string{"not a valid PNG image", "does not decode"}, nil},
		// Its header is whole (a size could be read from it) but its palette is missing.
		{"png without its palette", string(chunkRuleCases()[0].b), "tableau_view_image_get", []string{"not a valid PNG image", "palette (PLTE chunk)"}, nil},
		{"cut pdf", "%PDF-1.4\n1 0 obj", "tableau_view_pdf_get", []string{"not a valid PDF", "cut short"}, nil},
		{"broken zip", "PK\x03\x04garbage", "tableau_datasource_download", []string{"not a valid packaged data source", "does not open"}, nil},
		{"zip without a workbook", string(testZip(t, "readme.txt")), "tableau_workbook_download", []string{"no .twb"}, nil},
		{"xlsx that is no workbook", string(testZip(t, "Book.twb")), "tableau_view_crosstab_get", []string{"xl/workbook.xml"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]any{"view_id": viewID, "workbook_id": wbID, "datasource_id": dsID}
			tl, _ := ByName(c.tool)
			for k := range args {
				if !strings.Contains(strings.Join(paramNames(tl.ArgsType()), ","), k) {
					delete(args, k)
				}
			}
			wantFail(t, run(t, serve([]byte(c.body), c.header...), ExportOptions{}, c.tool, args), c.want...)
		})
	}
}

func TestTableauErrorsAreExplainedWithTheirNextStep(t *testing.T) {
	b := &fakeBackend{answer: func(backend.Request) fakeAnswer {
		return fakeAnswer{err: &backend.APIError{Status: 404, Code: "404004", Summary: "Resource Not Found", Detail: "View not found."}}
	}}
	wantFail(t, run(t, b, ExportOptions{}, "tableau_view_image_get", map[string]any{"view_id": viewID}), "404004", "tableau_views_list")
}

func TestBadArgumentsNeverReachTableau(t *testing.T) {
	b := serve(testPNG(t, 4, 4))
	for _, args := range []map[string]any{
		{"view_id": "../../sites"},
		{"view_id": viewID, "format": "SVG"},
		{"view_id": viewID, "resolution": "ultra"},
		{"view_id": viewID, "viz_width": 50},
		{"view_id": viewID, "max_age": 0.5},
		{"view_id": viewID, "view_filters": map[string]any{"Region": "East\r\nX-Evil: 1"}},
		{"view_id": viewID, "view_filters": map[string]any{"": "East"}},
		{"view_id": viewID, "view_filters": map[string]any{"Region": ""}},
		{"view_id": viewID, "view_filters": map[string]any{"Region": 3}},
		{"view_id": viewID, "page": 2},
	} {
		if res := run(t, b, ExportOptions{}, "tableau_view_image_get", args); !res.IsError {
			t.Errorf("%v accepted", args)
		}
	}
	wantFail(t, run(t, b, ExportOptions{}, "tableau_view_pdf_get", map[string]any{"view_id": viewID, "type": "A0"}), "not one of", "a4")
	wantFail(t, run(t, b, ExportOptions{}, "tableau_view_pdf_get", map[string]any{"view_id": viewID, "orientation": "sideways"}), "portrait")
	many := map[string]any{}
	for i := 0; i < 40; i++ {
		many[fmt.Sprint("F", i)] = "x"
	}
	wantFail(t, run(t, b, ExportOptions{}, "tableau_view_data_get", map[string]any{"view_id": viewID, "view_filters": many}), "at most")
	if len(b.reqs) != 0 {
		t.Errorf("%d invalid calls reached Tableau", len(b.reqs))
	}
}

func TestLargeImagesAreOfferedAsAResourceOnly(t *testing.T) {
	img := testPNG(t, 64, 64) // ~16 KB uncompressed
	res := run(t, serve(img), ExportOptions{MaxImageBytes: 4 << 10}, "tableau_view_image_get", map[string]any{"view_id": viewID})
	if res.IsError {
		t.Fatal(allText(res))
	}
	for _, c := range res.Content {
		if _, ok := c.(mcp.ImageContent); ok {
			t.Fatal("an image over the limit is returned inline")
		}
	}
	if l := links(res); len(l) != 1 || !strings.Contains(allText(res), l[0].URI) || !strings.Contains(allText(res), "TABLEAU_MCP_MAX_IMAGE_BYTES") {
		t.Errorf("the result should point at the resource and name the setting: %s", allText(res))
	}
	// The resource itself still reads: the image limit is for inline images.
	contents, err := readURI(t, serve(img), ExportOptions{MaxImageBytes: 4 << 10}, "tableau://views/"+viewID+"/image")
	if err != nil || len(contents) != 1 {
		t.Fatalf("read: %v", err)
	}
	if br, ok := contents[0].(mcp.BlobResourceContents); !ok || br.Blob != base64.StdEncoding.EncodeToString(img) {
		t.Error("resource read did not return the image")
	}
}

func TestLongCSVIsCutOnARowWithANote(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("Customer,Note,Sales\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&csv, "Customer %d,\"says \"\"hi\"\",\nover two lines\",%d.5\n", i, i)
	}
	b := serve([]byte(csv.String()))
	res := run(t, b, ExportOptions{MaxCSVChars: 1000}, "tableau_view_data_get", map[string]any{"view_id": viewID})
	if res.IsError {
		t.Fatal(allText(res))
	}
	parts := []string{}
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	if len(parts) != 3 {
		t.Fatalf("want summary, CSV and note; got %q", parts)
	}
	if !strings.Contains(parts[0], "500 rows × 3 columns") {
		t.Errorf("summary %q", parts[0])
	}
	shown := parts[1]
	if len(shown) > 1000 || !strings.HasPrefix(shown, "Customer,Note,Sales\n") || !strings.HasSuffix(shown, ".5\n") {
		t.Errorf("cut CSV (%d chars) does not end on a whole record: %q", len(shown), shown[max(0, len(shown)-40):])
	}
	rows := strings.Count(shown, "Customer ")
	if !strings.Contains(parts[2], fmt.Sprintf("first %d of 500 rows", rows)) || !strings.Contains(parts[2], "tableau://views/"+viewID+"/data") ||
		!strings.Contains(parts[2], "resources/read") || !strings.Contains(parts[2], "view_filters") {
		t.Errorf("note %q", parts[2])
	}
	// Short data is shown whole, without a note.
	res = run(t, serve([]byte("A,B\n1,2\n")), ExportOptions{MaxCSVChars: 1000}, "tableau_view_data_get", map[string]any{"view_id": viewID})
	if strings.Contains(allText(res), "Cut") || !strings.Contains(allText(res), "A,B\n1,2\n") {
		t.Errorf("short CSV: %s", allText(res))
	}
}

func TestDownloadsWithoutAnExportDirectoryAreBounded(t *testing.T) {
	big := testZip(t, "Book.twb", "Data/Extracts/Book.hyper")
	opts := ExportOptions{MaxInlineBytes: int64(len(big)) - 1}
	// Refused before reading when Tableau announces the size...
	b := &fakeBackend{answer: func(backend.Request) fakeAnswer {
		return fakeAnswer{reader: &countingReader{r: bytes.NewReader(big)}, length: int64(len(big))}
	}}
	wantFail(t, run(t, b, opts, "tableau_workbook_download", map[string]any{"workbook_id": wbID}),
		"TABLEAU_MCP_EXPORT_DIR", "TABLEAU_MCP_MAX_INLINE_BYTES", "include_extract")
	// ...and after reading just past the limit when it does not.
	cr := &countingReader{r: io.MultiReader(bytes.NewReader(big), zeros{})}
	b = &fakeBackend{answer: func(backend.Request) fakeAnswer { return fakeAnswer{reader: cr} }}
	wantFail(t, run(t, b, opts, "tableau_workbook_download", map[string]any{"workbook_id": wbID}), "TABLEAU_MCP_EXPORT_DIR")
	if cr.n > opts.MaxInlineBytes+128<<10 {
		t.Errorf("read %d bytes of an endless download with a %d-byte limit", cr.n, opts.MaxInlineBytes)
	}
	// Resource reads apply the same limit.
	_, err := readURI(t, serve(big), opts, "tableau://workbooks/"+wbID+"/content")
	if err == nil || !strings.Contains(err.Error(), "TABLEAU_MCP_MAX_INLINE_BYTES") {
		t.Errorf("resource read of a large file: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestDownloadsGoToTheExportDirectoryUnderSafeNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports")
	body := testZip(t, "Sales.twb", "Data/Extracts/Sales.hyper")
	opts := ExportOptions{Dir: dir}
	for _, c := range []struct{ disposition, want string }{
		{`attachment; filename="Sales.twbx"`, "Sales.twbx"},
		{`attachment; filename="Sales.twbx"`, "Sales (2).twbx"},
		{`attachment; filename*=UTF-8''%E2%82%AC%20Report.twbx`, "€ Report.twbx"},
		{`attachment; filename="../../etc/passwd"`, "passwd.twbx"},
		{`attachment; filename="..\\..\\Windows\\evil.twbx"`, "evil.twbx"},
		{"attachment; filename=\"a\x01b.twbx\"", "ab.twbx"},
		{`attachment; filename=".hidden.twbx"`, "hidden.twbx"},
		{`attachment; filename="CON.twbx"`, "_CON.twbx"},
		{``, "workbook-" + wbID + ".twbx"},
	} {
		res := run(t, serve(body, "Content-Disposition", c.disposition), opts, "tableau_workbook_download", map[string]any{"workbook_id": wbID})
		if res.IsError {
			t.Fatalf("%q: %s", c.disposition, allText(res))
		}
		want := filepath.Join(dir, c.want)
		got, err := os.ReadFile(want)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("%q: %s not written (%v); result %s", c.disposition, want, err, allText(res))
			continue
		}
		if !strings.Contains(allText(res), want) || !strings.Contains(allText(res), humanBytes(int64(len(body)))) {
			t.Errorf("result %q lacks the path %s and size", allText(res), want)
		}
		if l := links(res); len(l) != 1 || l[0].URI != "tableau://workbooks/"+wbID+"/content" {
			t.Errorf("link %+v", l)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "etc")); err == nil {
		t.Error("a file escaped the export directory")
	}
	// A broken zip is not kept.
	res := run(t, serve([]byte("PK\x03\x04broken")), opts, "tableau_workbook_download", map[string]any{"workbook_id": wbID})
	wantFail(t, res, "not valid")
	after, _ := os.ReadDir(dir)
	if len(after) != len(entries) {
		t.Errorf("a broken download left %d files", len(after)-len(entries))
	}
}

func TestViewExportsOverTheInlineLimitSpillToTheExportDirectory(t *testing.T) {
	pdf := []byte(testPDF)
	opts := ExportOptions{MaxInlineBytes: 100}
	wantFail(t, run(t, serve(pdf), opts, "tableau_view_pdf_get", map[string]any{"view_id": viewID}), "TABLEAU_MCP_EXPORT_DIR", "viz_width")
	opts.Dir = t.TempDir()
	res := run(t, serve(pdf, "Content-Disposition", `attachment; filename="Map.pdf"`), opts, "tableau_view_pdf_get", map[string]any{"view_id": viewID})
	if res.IsError {
		t.Fatal(allText(res))
	}
	if got, _ := os.ReadFile(filepath.Join(opts.Dir, "Map.pdf")); !bytes.Equal(got, pdf) || !strings.Contains(allText(res), "Saved to") {
		t.Errorf("not spilled to disk: %s", allText(res))
	}
	for _, c := range res.Content {
		if _, ok := c.(mcp.EmbeddedResource); ok {
			t.Error("a file over the inline limit was embedded")
		}
	}
}

func readURI(t *testing.T, b *fakeBackend, opts ExportOptions, uri string) ([]mcp.ResourceContents, error) {
	t.Helper()
	for _, r := range Resources() {
		if r.Template.URITemplate.Regexp().MatchString(uri) {
			return r.Read(context.Background(), &Env{Backend: b, Exports: opts}, uri)
		}
	}
	return nil, fmt.Errorf("no template matches %s", uri)
}

func TestResourceURIsRunTheToolsCode(t *testing.T) {
	var templates []string
	for _, r := range Resources() {
		templates = append(templates, r.Template.URITemplate.Raw())
	}
	for _, want := range []string{"tableau://views/{view_id}/image", "tableau://views/{view_id}/pdf", "tableau://views/{view_id}/data",
		"tableau://views/{view_id}/crosstab", "tableau://workbooks/{workbook_id}/content", "tableau://datasources/{datasource_id}/content"} {
		if !strings.Contains(strings.Join(templates, " "), want+" ") && !strings.HasSuffix(strings.Join(templates, " "), want) {
			t.Errorf("no template %s in %v", want, templates)
		}
	}

	b := serve(testPNG(t, 4, 4))
	// The link of a tool result reads back with the same request.
	res := run(t, b, ExportOptions{}, "tableau_view_image_get", map[string]any{"view_id": viewID, "resolution": "high", "viz_width": 640,
		"view_filters": map[string]any{"Sub-Category": "Art & Craft", "Region": "East,West"}})
	toolReq := b.last(t)
	if _, err := readURI(t, b, ExportOptions{}, links(res)[0].URI); err != nil {
		t.Fatal(err)
	}
	if got := b.last(t); got.Path != toolReq.Path || got.Query.Encode() != toolReq.Query.Encode() {
		t.Errorf("resource read sent %s?%s, the tool %s?%s", got.Path, got.Query.Encode(), toolReq.Path, toolReq.Query.Encode())
	}

	csvB := serve([]byte("A,B\n1,2\n"))
	contents, err := readURI(t, csvB, ExportOptions{}, "tableau://views/"+viewID+"/data?vf_Region=East")
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := contents[0].(mcp.TextResourceContents); !ok || tr.Text != "A,B\n1,2\n" || tr.MIMEType != "text/csv" {
		t.Errorf("CSV resource %+v", contents[0])
	}
	if q := csvB.last(t).Query.Get("vf_Region"); q != "East" {
		t.Errorf("vf_Region=%q", q)
	}
	zb := serve(testZip(t, "Orders.tds"))
	contents, err = readURI(t, zb, ExportOptions{}, "tableau://datasources/"+dsID+"/content?include_extract=false")
	if err != nil || zb.last(t).Query.Get("includeExtract") != "false" {
		t.Fatalf("data source content: %v %v", err, zb.last(t).Query)
	}
	if br, ok := contents[0].(mcp.BlobResourceContents); !ok || br.MIMEType != "application/zip" {
		t.Errorf("tdsx resource %+v", contents[0])
	}

	bad := serve(testPNG(t, 4, 4))
	for uri, want := range map[string]string{
		"tableau://views/not-a-luid/image":                               "not a Tableau LUID",
		"tableau://views/" + viewID + "/image?page=2":                    "not an option",
		"tableau://views/" + viewID + "/image?viz_width=wide":            "whole number",
		"tableau://views/" + viewID + "/image?resolution=ultra":          "not one of",
		"tableau://views/" + viewID + "/pdf?vf_Region=East":              "not an option",
		"tableau://workbooks/" + wbID + "/content?include_extract=maybe": "true or false",
	} {
		if _, err := readURI(t, bad, ExportOptions{}, uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", uri, err, want)
		}
	}
	if len(bad.reqs) != 0 {
		t.Errorf("%d bad URIs reached Tableau", len(bad.reqs))
	}
}

func TestFileNames(t *testing.T) {
	long := strings.Repeat("é", 200) + ".twbx"
	for _, c := range []struct{ disp, want string }{
		{`attachment; filename="Report.TWBX"`, "Report.twbx"},
		{`attachment; filename="Report"`, "Report.twbx"},
		{`attachment; filename="Report.pdf"`, "Report.pdf.twbx"},
		{`attachment; filename=Quarterly Report.twbx`, "Quarterly Report.twbx"},
		{`attachment; filename="a:b*c?.twbx"`, "a_b_c_.twbx"},
		{`attachment; filename="/"`, "fallback.twbx"},
		{`attachment; filename=".."`, "fallback.twbx"},
		{`attachment; filename="  . "`, "fallback.twbx"},
		{`attachment; filename="lpt1"`, "_lpt1.twbx"},
		{`attachment; filename="` + long + `"`, ""},
	} {
		got := fileName(c.disp, fmtTWBX, "fallback")
		if c.want == "" {
			if len(got) > maxNameBytes || !strings.HasSuffix(got, ".twbx") || !utf8ValidString(got) {
				t.Errorf("%q -> %q (%d bytes)", c.disp[:30], got, len(got))
			}
			continue
		}
		if got != c.want {
			t.Errorf("%q -> %q, want %q", c.disp, got, c.want)
		}
	}
}

func utf8ValidString(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestSettingsDefaults(t *testing.T) {
	o := ExportOptions{}.WithDefaults()
	if o.MaxInlineBytes != 20<<20 || o.MaxCSVChars != 50000 {
		t.Errorf("defaults %+v", o)
	}
	// 5 MiB of base64 is the usual limit of a model's image input.
	if b64 := base64.StdEncoding.EncodedLen(int(o.MaxImageBytes)); b64 > 5<<20 || b64 < 5<<20-4 {
		t.Errorf("an image at the limit is %d base64 bytes, want just under 5 MiB", b64)
	}
}
