package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// ---- reading results as a client would ----

func imageOf(t *testing.T, res *mcp.CallToolResult) []byte {
	t.Helper()
	for _, c := range res.Content {
		if ic, ok := c.(mcp.ImageContent); ok && ic.MIMEType == "image/png" {
			b, err := base64.StdEncoding.DecodeString(ic.Data)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no image content in %s", Text(res))
	return nil
}

// embedded returns the bytes of the result's embedded resource.
func embedded(t *testing.T, res *mcp.CallToolResult, mime string) []byte {
	t.Helper()
	for _, c := range res.Content {
		er, ok := c.(mcp.EmbeddedResource)
		if !ok {
			continue
		}
		switch r := er.Resource.(type) {
		case mcp.BlobResourceContents:
			if r.MIMEType == mime {
				b, err := base64.StdEncoding.DecodeString(r.Blob)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		case mcp.TextResourceContents:
			if r.MIMEType == mime {
				return []byte(r.Text)
			}
		}
	}
	t.Fatalf("no embedded %s in %+v", mime, res.Content)
	return nil
}

func linkOf(t *testing.T, res *mcp.CallToolResult) mcp.ResourceLink {
	t.Helper()
	for _, c := range res.Content {
		if l, ok := c.(mcp.ResourceLink); ok {
			return l
		}
	}
	t.Fatalf("no resource_link in %s", Text(res))
	return mcp.ResourceLink{}
}

func pngSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

var (
	pdfPageObj   = regexp.MustCompile(`/Type\s*/Page[^s]`)
	pdfPageCount = regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)`)
	pdfMediaBox  = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+(\d+)\s+(\d+)\s*\]`)
)

// pdfPages parses a PDF far enough to count its pages: the header, the
// trailer, the page tree's /Count and the page objects must agree.
func pdfPages(t *testing.T, b []byte) (pages int, mediaBox string) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[max(0, len(b)-1024):], []byte("%%EOF")) || !bytes.Contains(b, []byte("trailer")) {
		t.Fatalf("not a whole PDF")
	}
	m := pdfPageCount.FindSubmatch(b)
	if m == nil {
		t.Fatal("PDF has no page tree")
	}
	pages, _ = strconv.Atoi(string(m[1]))
	if objs := len(pdfPageObj.FindAll(b, -1)); objs != pages {
		t.Fatalf("page tree says %d pages, %d page objects", pages, objs)
	}
	if mb := pdfMediaBox.FindSubmatch(b); mb != nil {
		mediaBox = string(mb[1]) + "x" + string(mb[2])
	}
	return pages, mediaBox
}

// xmlRoot checks a whole XML document and names its root element.
func xmlRoot(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}

// sheetRows reads the first worksheet of an .xlsx: cell texts per row.
func sheetRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	files := Unzip(t, b)
	if _, ok := files["[Content_Types].xml"]; !ok {
		t.Fatal("xlsx without [Content_Types].xml")
	}
	var ws struct {
		Rows []struct {
			Cells []struct {
				V  string `xml:"v"`
				IS string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(files["xl/worksheets/sheet1.xml"], &ws); err != nil {
		t.Fatalf("sheet1: %v", err)
	}
	var out [][]string
	for _, r := range ws.Rows {
		var row []string
		for _, c := range r.Cells {
			row = append(row, c.V+c.IS)
		}
		out = append(out, row)
	}
	return out
}

// csvOf finds the CSV text of a tableau_view_data_get result.
func csvOf(t *testing.T, res *mcp.CallToolResult) [][]string {
	t.Helper()
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok && strings.Contains(tc.Text, "\n") && !strings.HasPrefix(tc.Text, "The data") {
			recs, err := csv.NewReader(strings.NewReader(tc.Text)).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v", err)
			}
			return recs
		}
	}
	t.Fatalf("no CSV in %s", Text(res))
	return nil
}

func ok(t *testing.T, s *Session, name string, a args) *mcp.CallToolResult {
	t.Helper()
	res := s.Call(name, a)
	if res.IsError {
		t.Fatalf("%s(%v): %s", name, a, Text(res))
	}
	return res
}

// walkExports runs every export tool on a view, a workbook and a data
// source (with extracts) and opens what comes back.
func walkExports(t *testing.T, s *Session, viewID, wbID, dsID string) {
	img := imageOf(t, ok(t, s, "tableau_view_image_get", args{"view_id": viewID}))
	if w, h := pngSize(t, img); w != 800 || h != 600 {
		t.Errorf("image %dx%d, want Tableau's 800x600 default", w, h)
	}
	small := ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "viz_width": 400, "viz_height": 300, "max_age": 1})
	if w, h := pngSize(t, imageOf(t, small)); w != 400 || h != 300 {
		t.Errorf("viz_width 400, viz_height 300 gave %dx%d", w, h)
	}
	if w, h := pngSize(t, imageOf(t, ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "resolution": "high"}))); w != 1600 || h != 1200 {
		t.Errorf("resolution high gave %dx%d", w, h)
	}
	filtered := imageOf(t, ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "view_filters": args{"Region": "East"}}))
	if bytes.Equal(filtered, img) {
		t.Error("view_filters Region=East did not change the image")
	}

	pdf := ok(t, s, "tableau_view_pdf_get", args{"view_id": viewID, "type": "a4", "orientation": "landscape"})
	if n, box := pdfPages(t, embedded(t, pdf, "application/pdf")); n != 1 || box != "842x595" {
		t.Errorf("PDF: %d pages, MediaBox %s; want 1 page of a4 landscape (842x595)", n, box)
	}
	if !strings.Contains(Text(pdf), "1 page") || !strings.Contains(Text(pdf), "a4") || !strings.Contains(Text(pdf), "landscape") {
		t.Errorf("PDF summary %q", Text(pdf))
	}
	if l := linkOf(t, pdf); l.MIMEType != "application/pdf" || !strings.HasPrefix(l.URI, "tableau://views/"+viewID+"/pdf") {
		t.Errorf("PDF link %+v", l)
	}

	data := ok(t, s, "tableau_view_data_get", args{"view_id": viewID})
	recs := csvOf(t, data)
	if len(recs) < 2 || len(recs[0]) != 2 {
		t.Fatalf("view data %v", recs)
	}
	if !strings.Contains(Text(data), strconv.Itoa(len(recs)-1)+" row") {
		t.Errorf("data summary does not count %d rows: %s", len(recs)-1, Text(data))
	}
	east := csvOf(t, ok(t, s, "tableau_view_data_get", args{"view_id": viewID, "view_filters": args{"Region": "East"}}))
	if len(east) < 2 || east[1][1] == recs[1][1] && len(east) == len(recs) {
		t.Errorf("view_filters did not change the data: %v vs %v", east, recs)
	}

	sheet := sheetRows(t, embedded(t, ok(t, s, "tableau_view_crosstab_get", args{"view_id": viewID}), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
	if len(sheet) != len(recs) || strings.Join(sheet[0], ",") != strings.Join(recs[0], ",") {
		t.Errorf("crosstab has %d rows (header %v), the CSV %d (header %v)", len(sheet), sheet[0], len(recs), recs[0])
	}

	wb := ok(t, s, "tableau_workbook_download", args{"workbook_id": wbID})
	files := Unzip(t, embedded(t, wb, "application/zip"))
	twb := 0
	for name, b := range files {
		if strings.HasSuffix(name, ".twb") && !strings.Contains(name, "/") {
			twb++
			if xmlRoot(t, b) != "workbook" {
				t.Errorf("%s is not a workbook document", name)
			}
		}
	}
	if twb != 1 {
		t.Errorf(".twbx holds %d .twb documents", twb)
	}
	plain := ok(t, s, "tableau_workbook_download", args{"workbook_id": wbID, "include_extract": false})
	if xmlRoot(t, embedded(t, plain, "application/xml")) != "workbook" || !strings.Contains(Text(plain), ".twb,") {
		t.Errorf("without the extract: %s", Text(plain))
	}
	ds := ok(t, s, "tableau_datasource_download", args{"datasource_id": dsID})
	dsFiles := Unzip(t, embedded(t, ds, "application/zip"))
	found := false
	for name, b := range dsFiles {
		if strings.HasSuffix(name, ".tds") {
			found = xmlRoot(t, b) == "datasource"
		}
	}
	if !found {
		t.Errorf(".tdsx without a data source document: %v", len(dsFiles))
	}
	s.Fail("tableau_view_image_get", args{"view_id": unknownID}, "404", "tableau_views_list")
	s.Fail("tableau_view_pdf_get", args{"view_id": viewID, "type": "A0"}, "not one of")
}

// exportSession is a demo session with export options.
func exportSession(t *testing.T, opts tools.ExportOptions) (*Session, *tableauemu.Emulator) {
	t.Helper()
	return demoSessionWith(t, func(o *server.Options) { o.Exports = opts })
}

// idOf finds the first item named name in a list tool's answer.
func idOf(t *testing.T, s *Session, tool, plural, singular, name string) string {
	t.Helper()
	for _, it := range List(s.OK(tool, args{"filter": "name:eq:" + name}), plural, singular) {
		return it["id"].(string)
	}
	t.Fatalf("%s: no %s named %q", tool, singular, name)
	return ""
}

func readResource(t *testing.T, s *Session, uri string) ([]mcp.ResourceContents, error) {
	t.Helper()
	ctx := s.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := s.C.ReadResource(ctx, req)
	if err != nil {
		return nil, err
	}
	return res.Contents, nil
}

func blob(t *testing.T, c []mcp.ResourceContents, mime string) []byte {
	t.Helper()
	if len(c) != 1 {
		t.Fatalf("%d contents", len(c))
	}
	br, ok := c[0].(mcp.BlobResourceContents)
	if !ok || br.MIMEType != mime {
		t.Fatalf("contents %T %s, want a %s blob", c[0], br.MIMEType, mime)
	}
	b, err := base64.StdEncoding.DecodeString(br.Blob)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResourceTemplatesAreListedAndRead(t *testing.T) {
	s, emu := exportSession(t, tools.ExportOptions{})
	lt, err := s.C.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]mcp.ResourceTemplate{}
	for _, tpl := range lt.ResourceTemplates {
		listed[tpl.URITemplate.Raw()] = tpl
	}
	for tpl, mime := range map[string]string{
		"tableau://views/{view_id}/image": "image/png", "tableau://views/{view_id}/pdf": "application/pdf",
		"tableau://views/{view_id}/data": "text/csv", "tableau://views/{view_id}/crosstab": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"tableau://workbooks/{workbook_id}/content": "", "tableau://datasources/{datasource_id}/content": "",
	} {
		got, ok := listed[tpl]
		if !ok {
			t.Errorf("template %s not listed (listed: %v)", tpl, len(listed))
			continue
		}
		if got.MIMEType != mime || got.Description == "" || got.Name == "" {
			t.Errorf("%s: %+v", tpl, got)
		}
	}

	viewID := idOf(t, s, "tableau_views_list", "views", "view", "Sales by Region")
	// What a tool returns reads back the same through its resource_link.
	res := ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "viz_width": 500, "viz_height": 400, "view_filters": args{"Segment": "Home Office", "Region": "West,East"}})
	link := linkOf(t, res)
	c, err := readResource(t, s, link.URI)
	if err != nil {
		t.Fatalf("reading %s: %v", link.URI, err)
	}
	if got := blob(t, c, "image/png"); !bytes.Equal(got, imageOf(t, res)) {
		t.Errorf("the resource %s is not the image the tool returned", link.URI)
	}
	if link.Size == nil || *link.Size != int64(len(imageOf(t, res))) {
		t.Errorf("link size %v", link.Size)
	}
	// Plain template URIs, filled in by a client.
	c, err = readResource(t, s, "tableau://views/"+viewID+"/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := pdfPages(t, blob(t, c, "application/pdf")); n != 1 {
		t.Errorf("PDF resource has %d pages", n)
	}
	for _, r := range emu.Requests() {
		if strings.HasSuffix(r.Path, "/views/"+viewID+"/pdf") && !strings.Contains(r.Header.Get("Accept"), "*/*") {
			t.Errorf("a download asked only for %q", r.Header.Get("Accept"))
		}
	}
	c, err = readResource(t, s, "tableau://views/"+viewID+"/data?vf_Region=East")
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := c[0].(mcp.TextResourceContents); !ok || !strings.HasPrefix(tr.Text, "Region,Sales\nEast,") || strings.Count(tr.Text, "\n") != 2 {
		t.Errorf("data resource %+v", c[0])
	}
	c, err = readResource(t, s, "tableau://views/"+viewID+"/crosstab")
	if err != nil {
		t.Fatal(err)
	}
	if rows := sheetRows(t, blob(t, c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")); len(rows) != 5 {
		t.Errorf("crosstab resource rows %v", rows)
	}
	wbID := idOf(t, s, "tableau_workbooks_list", "workbooks", "workbook", "Superstore Sales")
	c, err = readResource(t, s, "tableau://workbooks/"+wbID+"/content")
	if err != nil {
		t.Fatal(err)
	}
	Unzip(t, blob(t, c, "application/zip"))
	dsID, _ := emu.DatasourceIDByName("demo", "Superstore Orders")
	c, err = readResource(t, s, "tableau://datasources/"+dsID+"/content?include_extract=false")
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := c[0].(mcp.TextResourceContents); !ok || xmlRoot(t, []byte(tr.Text)) != "datasource" {
		t.Errorf(".tds resource %T", c[0])
	}

	// Errors say what is wrong.
	if _, err := readResource(t, s, "tableau://views/"+unknownID+"/image"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown view: %v", err)
	}
	if _, err := readResource(t, s, "tableau://views/nope/image"); err == nil || !strings.Contains(err.Error(), "LUID") {
		t.Errorf("bad id: %v", err)
	}
	small, smallEmu := exportSession(t, tools.ExportOptions{MaxInlineBytes: 1 << 20})
	smallEmu.SetExtractBytes(3 << 20)
	if _, err := readResource(t, small, "tableau://workbooks/"+wbID+"/content"); err == nil || !strings.Contains(err.Error(), "TABLEAU_MCP_MAX_INLINE_BYTES") {
		t.Errorf("large workbook through resources/read: %v", err)
	}
}

func TestExportsThroughScalekitUseTheProxy(t *testing.T) {
	f := scalekitFixture(t)
	s := f.session(demo.DemoIdentifier)
	viewID := idOf(t, s, "tableau_views_list", "views", "view", "Profit by Category")
	siteID := Str(s.OK("tableau_session_get", nil), "session", "site", "id")
	res := ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "resolution": "high", "view_filters": args{"Region": "West"}})
	if !strings.Contains(Text(res), "filtered Region=West") {
		t.Errorf("the filter's field was not checked through Scalekit: %s", Text(res))
	}
	s.Fail("tableau_view_image_get", args{"view_id": viewID, "view_filters": args{"region": "West"}}, "did you mean 'Region'?")
	img := imageOf(t, res)
	if w, h := pngSize(t, img); w != 1600 || h != 1200 {
		t.Errorf("image through Scalekit %dx%d", w, h)
	}
	c, err := readResource(t, s, "tableau://views/"+viewID+"/pdf?type=letter")
	if err != nil {
		t.Fatal(err)
	}
	if n, box := pdfPages(t, blob(t, c, "application/pdf")); n != 1 || box != "612x792" {
		t.Errorf("PDF resource through Scalekit: %d pages %s", n, box)
	}
	var image, pdf bool
	for _, r := range f.sk.Requests() {
		switch r.Path {
		case "/proxy/api/3.28/sites/" + siteID + "/views/" + viewID + "/image":
			image = r.RawQuery == "resolution=high&vf_Region=West" && r.Header.Get("identifier") == demo.DemoIdentifier
		case "/proxy/api/3.28/sites/" + siteID + "/views/" + viewID + "/pdf":
			pdf = r.RawQuery == "type=letter"
		case "/api/v1/execute_tool":
			if bytes.Contains(r.Body, []byte("view_image")) || bytes.Contains(r.Body, []byte("view_pdf")) {
				t.Errorf("a binary export went to execute_tool: %s", r.Body)
			}
		}
	}
	if !image || !pdf {
		t.Errorf("the exports did not go over Scalekit's proxy with their parameters (image %v, pdf %v)", image, pdf)
	}
	// Without an identity there is nobody to act for.
	anon := f.session("")
	if _, err := readResource(t, anon, "tableau://views/"+viewID+"/image"); err == nil || !strings.Contains(err.Error(), "SCALEKIT_IDENTIFIER") {
		t.Errorf("resource read without identity: %v", err)
	}
}

// TestLargeDownloadStreamsToDiskWithFlatMemory downloads a 300 MB packaged
// workbook from the emulator through the client into the export directory
// and checks that the process allocated a small fraction of that.
func TestLargeDownloadStreamsToDiskWithFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300 MB")
	}
	const size = 300 << 20
	dir := t.TempDir()
	s, emu := exportSession(t, tools.ExportOptions{Dir: dir, MaxInlineBytes: 1 << 20})
	emu.SetExtractBytes(size)
	wbID := idOf(t, s, "tableau_workbooks_list", "workbooks", "workbook", "Superstore Sales")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := ok(t, s, "tableau_workbook_download", args{"workbook_id": wbID})
	runtime.ReadMemStats(&after)

	path := filepath.Join(dir, "Superstore Sales.twbx")
	st, err := os.Stat(path)
	if err != nil || st.Size() < size {
		t.Fatalf("download not on disk: %v %v", st, err)
	}
	if !strings.Contains(Text(res), path) || !strings.Contains(Text(res), "MB") {
		t.Errorf("result %q lacks the path and size", Text(res))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("streaming %d MB to disk allocated %d KB", size>>20, alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("streaming %d MB allocated %d MB: the download is held in memory", size>>20, alloc>>20)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the file on disk is no zip: %v", err)
	}
	defer zr.Close()
	var extract uint64
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "Data/Extracts/") {
			extract = f.UncompressedSize64
		}
	}
	if extract != size {
		t.Errorf("extract of %d bytes, want %d", extract, size)
	}
}

// BenchmarkDownloadToDisk measures a 64 MB download streamed to disk; its
// B/op stays near zero however large the file.
func BenchmarkDownloadToDisk(b *testing.B) {
	dir := b.TempDir()
	bk, emu, err := demo.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	emu.SetExtractBytes(64 << 20)
	tool, _ := tools.ByName("tableau_workbook_download")
	search, _ := tools.ByName("tableau_workbook_search")
	env := &tools.Env{Backend: bk, Exports: tools.ExportOptions{Dir: dir}}
	found, err := search.Handle(context.Background(), env, args{"name": "Superstore Sales"})
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(Text(found)), &m); err != nil {
		b.Fatal(err)
	}
	wbID := List(m, "workbooks", "workbook")[0]["id"]
	b.SetBytes(64 << 20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := tool.Handle(context.Background(), env, args{"workbook_id": wbID})
		if err != nil || res.IsError {
			b.Fatalf("%v %s", err, Text(res))
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}
