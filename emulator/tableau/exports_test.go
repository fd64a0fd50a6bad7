package tableauemu

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

func demoView(workbook, view string) string { return luid("demo/view/" + workbook + "/" + view) }

// total sums a Superstore column over the rows whose filter column equals
// value ("" for every row), straight from the sample data.
func total(t *testing.T, measure, filterCol, value string) float64 {
	t.Helper()
	tb, _ := sampledata.Get(sampledata.SuperstoreOrders)
	mi, fi := tb.ColumnIndex(measure), tb.ColumnIndex(filterCol)
	var sum float64
	for _, r := range tb.Rows {
		if filterCol != "" && r[fi] != value {
			continue
		}
		switch x := r[mi].(type) {
		case float64:
			sum += x
		case int64:
			sum += float64(x)
		}
	}
	return sum
}

func decodePNG(t *testing.T, a answer) (w, h int, barPixels int) {
	t.Helper()
	wantStatus(t, a, http.StatusOK)
	if ct := a.header.Get("Content-Type"); ct != "image/png" {
		t.Fatalf("Content-Type %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(a.raw))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	b := img.Bounds()
	bar := color.RGBA{0x4e, 0x79, 0xa7, 0xff}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			if color.RGBAModel.Convert(img.At(x, y)) == bar {
				barPixels++
			}
		}
	}
	return b.Dx(), b.Dy(), barPixels
}

func TestViewImageIsAChartOfTheViewsData(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := demoView("Superstore Sales", "Sales by Region")
	w, h, bars := decodePNG(t, c.do("GET", c.site("views/"+id+"/image"), nil))
	if w != 800 || h != 600 {
		t.Errorf("default size %dx%d, want 800x600", w, h)
	}
	if bars < 1000 {
		t.Errorf("only %d bar-coloured pixels: the chart has no bars", bars)
	}
	if w, h, _ = decodePNG(t, c.do("GET", c.site("views/"+id+"/image?vizWidth=400&vizHeight=300"), nil)); w != 400 || h != 300 {
		t.Errorf("vizWidth=400&vizHeight=300 gave %dx%d", w, h)
	}
	if w, h, _ = decodePNG(t, c.do("GET", c.site("views/"+id+"/image?resolution=high&maxAge=5"), nil)); w != 1600 || h != 1200 {
		t.Errorf("resolution=high gave %dx%d, want 1600x1200", w, h)
	}
	all := c.do("GET", c.site("views/"+id+"/image"), nil)
	east := c.do("GET", c.site("views/"+id+"/image?vf_Region=East"), nil)
	decodePNG(t, east)
	if bytes.Equal(all.raw, east.raw) {
		t.Error("vf_Region=East did not change the chart")
	}
	if ignored := c.do("GET", c.site("views/"+id+"/image?vf_NoSuchField=x"), nil); !bytes.Equal(all.raw, ignored.raw) {
		t.Error("a filter on an unknown field changed the image; Tableau ignores it")
	}
	// A view over another data source and one with a count measure.
	for _, v := range []string{demoView("Marketing Funnel", "Funnel"), demoView("Finance P&L", "Expense Detail"), demoView("Superstore Sales", "Monthly Trend")} {
		if _, _, n := decodePNG(t, c.do("GET", c.site("views/"+v+"/image"), nil)); n < 500 {
			t.Errorf("view %s draws no bars", v)
		}
	}
	wantError(t, c.do("GET", c.site("views/"+id+"/image?vizWidth=wide"), nil), 400, "400000")
	wantError(t, c.do("GET", c.site("views/"+id+"/image?maxAge=0"), nil), 400, "400000")
	wantError(t, c.do("GET", c.site("views/"+id+"/image?format=SVG"), nil), 400, "400000")
	wantError(t, c.do("GET", c.site("views/"+unknownLUID+"/image"), nil), 404, "404004")
}

const unknownLUID = "00000000-0000-4000-8000-000000000000"

var (
	pdfPage     = regexp.MustCompile(`/Type\s*/Page[^s]`)
	pdfCount    = regexp.MustCompile(`/Type\s*/Pages[^>]*/Count\s+(\d+)`)
	pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]`)
)

// pdfPages counts the page objects and checks the page tree agrees.
func pdfPages(t *testing.T, b []byte) (pages int, width, height float64) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.Contains(b[len(b)-64:], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 16)])
	}
	pages = len(pdfPage.FindAll(b, -1))
	m := pdfCount.FindSubmatch(b)
	if m == nil || string(m[1]) != strconv.Itoa(pages) {
		t.Fatalf("page tree count %q, %d page objects", m, pages)
	}
	if mb := pdfMediaBox.FindSubmatch(b); mb != nil {
		width, _ = strconv.ParseFloat(string(mb[1]), 64)
		height, _ = strconv.ParseFloat(string(mb[2]), 64)
	}
	return pages, width, height
}

func TestViewPDFIsOnePageOfTheAskedSize(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := demoView("Superstore Sales", "Profit by Category")
	a := c.do("GET", c.site("views/"+id+"/pdf?type=a4&orientation=landscape"), nil)
	wantStatus(t, a, http.StatusOK)
	if a.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("Content-Type %q", a.header.Get("Content-Type"))
	}
	if n, w, h := pdfPages(t, a.raw); n != 1 || w != 842 || h != 595 {
		t.Errorf("a4 landscape: %d pages, %gx%g points; want 1 page 842x595", n, w, h)
	}
	if _, w, h := pdfPages(t, c.do("GET", c.site("views/"+id+"/pdf?type=Letter"), nil).raw); w != 612 || h != 792 {
		t.Errorf("letter portrait: %gx%g", w, h)
	}
	if _, w, h := pdfPages(t, c.do("GET", c.site("views/"+id+"/pdf?type=tabloid&orientation=landscape&vizWidth=900&vizHeight=700&maxAge=1"), nil).raw); w != 1224 || h != 792 {
		t.Errorf("tabloid landscape: %gx%g", w, h)
	}
	wantError(t, c.do("GET", c.site("views/"+id+"/pdf?type=a0"), nil), 400, "400000")
	wantError(t, c.do("GET", c.site("views/"+id+"/pdf?orientation=sideways"), nil), 400, "400000")
}

func readCSV(t *testing.T, a answer) [][]string {
	t.Helper()
	wantStatus(t, a, http.StatusOK)
	if !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("Content-Type %q", a.header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(bytes.NewReader(a.raw)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	return recs
}

func TestViewDataIsTheSummaryOfTheView(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := demoView("Superstore Sales", "Sales by Region")
	a := c.do("GET", c.site("views/"+id+"/data"), nil)
	recs := readCSV(t, a)
	if strings.Join(recs[0], ",") != "Region,Sales" || len(recs) != 5 {
		t.Fatalf("CSV %v; want header Region,Sales and the four regions", recs)
	}
	if _, params, _ := mime.ParseMediaType(a.header.Get("Content-Disposition")); params["filename"] != "Sales by Region.csv" {
		t.Errorf("Content-Disposition %q", a.header.Get("Content-Disposition"))
	}
	var sum float64
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatalf("value %q", r[1])
		}
		sum += v
		if r[0] == "West" && math.Abs(v-total(t, "Sales", "Region", "West")) > 0.01 {
			t.Errorf("West %v, sample data says %v", v, total(t, "Sales", "Region", "West"))
		}
	}
	if math.Abs(sum-total(t, "Sales", "", "")) > 0.05 {
		t.Errorf("regions add up to %v, total sales %v", sum, total(t, "Sales", "", ""))
	}
	for i := 2; i < len(recs); i++ {
		a, _ := strconv.ParseFloat(recs[i-1][1], 64)
		b, _ := strconv.ParseFloat(recs[i][1], 64)
		if a < b {
			t.Errorf("rows not sorted by value: %v", recs)
		}
	}
	east := readCSV(t, c.do("GET", c.site("views/"+id+"/data?vf_Region=East"), nil))
	if len(east) != 2 || east[1][0] != "East" {
		t.Errorf("vf_Region=East: %v", east)
	}
	two := readCSV(t, c.do("GET", c.site("views/"+id+"/data?vf_Region=East,West&vf_Segment=Consumer"), nil))
	if len(two) != 3 {
		t.Errorf("vf_Region=East,West&vf_Segment=Consumer: %v", two)
	}
	// A date dimension reads in time order; a count measure counts rows.
	trend := readCSV(t, c.do("GET", c.site("views/"+demoView("Superstore Sales", "Monthly Trend")+"/data"), nil))
	for i := 2; i < len(trend); i++ {
		if trend[i-1][0] >= trend[i][0] {
			t.Fatalf("months out of order: %v then %v", trend[i-1][0], trend[i][0])
		}
	}
	funnel := readCSV(t, c.do("GET", c.site("views/"+demoView("Marketing Funnel", "Funnel")+"/data"), nil))
	leads, _ := sampledata.Get(sampledata.MarketingLeads)
	n := 0
	for _, r := range funnel[1:] {
		k, _ := strconv.Atoi(r[1])
		n += k
	}
	if funnel[0][0] != "Stage" || n != len(leads.Rows) {
		t.Errorf("funnel %v counts %d leads, the data has %d", funnel, n, len(leads.Rows))
	}
}

func TestViewCrosstabIsAnExcelWorkbook(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", c.site("views/"+demoView("Superstore Sales", "Sales by Segment")+"/crosstab/excel?vf_Region=West"), nil)
	wantStatus(t, a, http.StatusOK)
	if a.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("Content-Type %q", a.header.Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(a.raw), int64(len(a.raw)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var sheet []byte
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			sheet, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	var ws struct {
		Rows []struct {
			Cells []struct {
				V  string `xml:"v"`
				IS string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(sheet, &ws); err != nil {
		t.Fatalf("sheet: %v", err)
	}
	if len(ws.Rows) != 4 || ws.Rows[0].Cells[0].IS != "Segment" {
		t.Fatalf("crosstab rows %+v; want a header and three segments", ws.Rows)
	}
	var sum float64
	for _, r := range ws.Rows[1:] {
		v, _ := strconv.ParseFloat(r.Cells[1].V, 64)
		sum += v
	}
	if math.Abs(sum-total(t, "Sales", "Region", "West")) > 0.05 {
		t.Errorf("segments of the West add up to %v, want %v", sum, total(t, "Sales", "Region", "West"))
	}
}

// wellFormed checks that b is one XML document with the given root.
func wellFormed(t *testing.T, b []byte, root string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	first := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && first == "" {
			first = se.Name.Local
		}
	}
	if first != root {
		t.Fatalf("root element %q, want %q", first, root)
	}
}

func filename(t *testing.T, a answer) string {
	t.Helper()
	disp, params, err := mime.ParseMediaType(a.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" {
		t.Fatalf("Content-Disposition %q", a.header.Get("Content-Disposition"))
	}
	return params["filename"]
}

func TestContentDownloadsArePackagedLikeTableaus(t *testing.T) {
	e, c := signedIn(t, Config{ExtractBytes: 200 << 10})
	wb := luid("demo/workbook/Superstore Sales")
	a := c.do("GET", c.site("workbooks/"+wb+"/content"), nil)
	wantStatus(t, a, http.StatusOK)
	if filename(t, a) != "Superstore Sales.twbx" {
		t.Errorf("file name %q", filename(t, a))
	}
	files := Unzip(t, a.raw)
	wellFormed(t, files["Superstore Sales.twb"], "workbook")
	if !bytes.Contains(files["Superstore Sales.twb"], []byte("Sales by Region")) || !bytes.Contains(files["Superstore Sales.twb"], []byte("[Order Date]")) {
		t.Error("the workbook document lacks its views or fields")
	}
	if n := len(files["Data/Extracts/Superstore Sales.hyper"]); n != 200<<10 {
		t.Errorf("extract of %d bytes, want %d", n, 200<<10)
	}

	a = c.do("GET", c.site("workbooks/"+wb+"/content?includeExtract=false"), nil)
	if filename(t, a) != "Superstore Sales.twb" {
		t.Errorf("without extract: file name %q", filename(t, a))
	}
	wellFormed(t, a.raw, "workbook")
	// A workbook without extracts comes as .twb; names with '&' survive.
	a = c.do("GET", c.site("workbooks/"+luid("demo/workbook/Marketing Funnel")+"/content"), nil)
	if filename(t, a) != "Marketing Funnel.twb" {
		t.Errorf("no-extract workbook: %q", filename(t, a))
	}
	a = c.do("GET", c.site("workbooks/"+luid("demo/workbook/Finance P&L")+"/content"), nil)
	if filename(t, a) != "Finance P&L.twbx" {
		t.Errorf("Finance P&L: %q", filename(t, a))
	}
	Unzip(t, a.raw)

	ds, _ := e.DatasourceIDByName("demo", "Superstore Orders")
	a = c.do("GET", c.site("datasources/"+ds+"/content"), nil)
	if filename(t, a) != "Superstore Orders.tdsx" {
		t.Errorf("data source file name %q", filename(t, a))
	}
	files = Unzip(t, a.raw)
	wellFormed(t, files["Superstore Orders.tds"], "datasource")
	if len(files["Data/Extracts/Superstore Orders.hyper"]) != 200<<10 {
		t.Error("data source extract missing or of the wrong size")
	}
	a = c.do("GET", c.site("datasources/"+ds+"/content?includeExtract=false"), nil)
	if filename(t, a) != "Superstore Orders.tds" {
		t.Errorf("without extract: %q", filename(t, a))
	}
	wellFormed(t, a.raw, "datasource")
	ml, _ := e.DatasourceIDByName("demo", "Marketing Leads")
	if a = c.do("GET", c.site("datasources/"+ml+"/content"), nil); filename(t, a) != "Marketing Leads.tds" {
		t.Errorf("no-extract data source: %q", filename(t, a))
	}

	e.SetExtractBytes(3 << 20)
	a = c.do("GET", c.site("workbooks/"+wb+"/content"), nil)
	if n := len(Unzip(t, a.raw)["Data/Extracts/Superstore Sales.hyper"]); n != 3<<20 {
		t.Errorf("after SetExtractBytes: extract of %d bytes", n)
	}
	wantError(t, c.do("GET", c.site("workbooks/"+wb+"/content?includeExtract=maybe"), nil), 400, "400000")
	wantError(t, c.do("GET", c.site("workbooks/"+unknownLUID+"/content"), nil), 404, "404006")
	wantError(t, c.do("GET", c.site("datasources/"+unknownLUID+"/content"), nil), 404, "404011")
}

func TestExportErrorsFollowTheAcceptHeader(t *testing.T) {
	_, c := signedIn(t, Config{})
	c.accept = ""
	a := c.do("GET", c.site("views/"+unknownLUID+"/pdf"), nil)
	if a.status != 404 || !bytes.Contains(a.raw, []byte(`<error code="404004">`)) {
		t.Errorf("XML error expected: %d %s", a.status, a.raw)
	}
}
