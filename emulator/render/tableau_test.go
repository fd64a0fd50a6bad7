package render

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

type xConnection struct {
	Class string `xml:"class,attr"`
	Named []struct {
		Caption string `xml:"caption,attr"`
		Name    string `xml:"name,attr"`
		Conn    struct {
			Class  string `xml:"class,attr"`
			DBName string `xml:"dbname,attr"`
		} `xml:"connection"`
	} `xml:"named-connections>named-connection"`
	Relation struct {
		Connection string `xml:"connection,attr"`
		Table      string `xml:"table,attr"`
	} `xml:"relation"`
}

type xColumn struct {
	Caption  string `xml:"caption,attr"`
	DataType string `xml:"datatype,attr"`
	Name     string `xml:"name,attr"`
	Role     string `xml:"role,attr"`
	Type     string `xml:"type,attr"`
}

type xWorkbook struct {
	XMLName     xml.Name `xml:"workbook"`
	Version     string   `xml:"version,attr"`
	SourceBuild string   `xml:"source-build,attr"`
	Datasources []struct {
		Caption    string      `xml:"caption,attr"`
		Name       string      `xml:"name,attr"`
		Version    string      `xml:"version,attr"`
		Connection xConnection `xml:"connection"`
		Columns    []xColumn   `xml:"column"`
	} `xml:"datasources>datasource"`
	Worksheets []struct {
		Name        string `xml:"name,attr"`
		Datasources []struct {
			Caption string `xml:"caption,attr"`
			Name    string `xml:"name,attr"`
		} `xml:"table>view>datasources>datasource"`
	} `xml:"worksheets>worksheet"`
	Windows []struct {
		Class string `xml:"class,attr"`
		Name  string `xml:"name,attr"`
	} `xml:"windows>window"`
}

type xDatasource struct {
	XMLName       xml.Name    `xml:"datasource"`
	FormattedName string      `xml:"formatted-name,attr"`
	Version       string      `xml:"version,attr"`
	Connection    xConnection `xml:"connection"`
	Columns       []xColumn   `xml:"column"`
}

func TestTWBIsWellFormedWorkbook(t *testing.T) {
	views := []string{"Overview", "Product", "Customers", "Shipping", "Performance", "Commission & 'Bonus'"}
	b := TWB("Superstore", "Sample - Superstore", views)
	if !bytes.HasPrefix(b, []byte("<?xml version='1.0' encoding='utf-8' ?>")) {
		t.Errorf("missing XML declaration: %.60q", b)
	}
	var wb xWorkbook
	if err := xml.Unmarshal(b, &wb); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b)
	}
	if wb.Version != "18.1" || wb.SourceBuild == "" {
		t.Errorf("workbook version=%q source-build=%q", wb.Version, wb.SourceBuild)
	}
	if len(wb.Datasources) != 1 {
		t.Fatalf("%d data sources, want 1", len(wb.Datasources))
	}
	ds := wb.Datasources[0]
	if ds.Caption != "Sample - Superstore" || !strings.HasPrefix(ds.Name, "federated.") || ds.Connection.Class != "federated" {
		t.Errorf("data source = %+v", ds)
	}
	if len(ds.Connection.Named) != 1 || ds.Connection.Named[0].Name != ds.Connection.Relation.Connection {
		t.Errorf("relation does not name the named connection: %+v", ds.Connection)
	}
	if got := ds.Connection.Named[0].Conn.DBName; got != "Data/Extracts/Superstore.hyper" {
		t.Errorf("extract path = %q, want the entry TWBX writes", got)
	}
	var names []string
	for _, ws := range wb.Worksheets {
		names = append(names, ws.Name)
		if len(ws.Datasources) != 1 || ws.Datasources[0].Name != ds.Name {
			t.Errorf("worksheet %q does not use the workbook's data source: %+v", ws.Name, ws.Datasources)
		}
	}
	if !reflect.DeepEqual(names, views) {
		t.Errorf("worksheets %q, want %q", names, views)
	}
	if len(wb.Windows) != len(views) {
		t.Errorf("%d windows, want %d", len(wb.Windows), len(views))
	}
	// The same input gives the same document.
	if !bytes.Equal(b, TWB("Superstore", "Sample - Superstore", views)) {
		t.Error("TWB is not deterministic")
	}
}

func TestTWBOddNames(t *testing.T) {
	b := TWB("", "", []string{"", "Sheet", "Sheet", "<tag> \"q\" & 'a'"})
	var wb xWorkbook
	if err := xml.Unmarshal(b, &wb); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b)
	}
	var names []string
	for _, ws := range wb.Worksheets {
		names = append(names, ws.Name)
	}
	want := []string{"Sheet", "Sheet (2)", "<tag> \"q\" & 'a'"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("worksheets %q, want %q", names, want)
	}
	if wb.Datasources[0].Caption == "" {
		t.Error("empty data source name should get a default caption")
	}
	var empty xWorkbook
	if err := xml.Unmarshal(TWB("W", "D", nil), &empty); err != nil || len(empty.Worksheets) != 1 {
		t.Errorf("a workbook without views should still have one sheet: %v %+v", err, empty.Worksheets)
	}
}

func TestTDSColumns(t *testing.T) {
	b := TDS("Sample - Superstore", []string{"Order Date", "Region", "Sales", "Quantity", "Customer Name", "Profit Ratio", "Odd]Name", "Region"})
	var ds xDatasource
	if err := xml.Unmarshal(b, &ds); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b)
	}
	if ds.Version != "18.1" || !strings.HasPrefix(ds.FormattedName, "federated.") || ds.Connection.Class != "federated" {
		t.Errorf("datasource attributes: %+v", ds)
	}
	want := []xColumn{
		{"Order Date", "date", "[Order Date]", "dimension", "ordinal"},
		{"Region", "string", "[Region]", "dimension", "nominal"},
		{"Sales", "real", "[Sales]", "measure", "quantitative"},
		{"Quantity", "integer", "[Quantity]", "measure", "quantitative"},
		{"Customer Name", "string", "[Customer Name]", "dimension", "nominal"},
		{"Profit Ratio", "real", "[Profit Ratio]", "measure", "quantitative"},
		{"Odd]Name", "string", "[Odd]]Name]", "dimension", "nominal"},
	}
	if !reflect.DeepEqual(ds.Columns, want) {
		t.Errorf("columns:\n got %+v\nwant %+v", ds.Columns, want)
	}
}

func readZip(t *testing.T, b []byte) map[string]*zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	out := map[string]*zip.File{}
	for _, f := range zr.File {
		out[f.Name] = f
	}
	return out
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc) // also checks the CRC
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return b
}

func TestTWBX(t *testing.T) {
	twb := TWB("Superstore", "Sample - Superstore", []string{"Overview"})
	var buf bytes.Buffer
	const extra = 3<<20 + 12345
	if err := TWBX(&buf, "Superstore", twb, extra); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())
	if len(files) != 2 {
		t.Errorf("entries %v, want the workbook and its extract", files)
	}
	f := files["Superstore.twb"]
	if f == nil {
		t.Fatal("no Superstore.twb entry")
	}
	var wb xWorkbook
	if err := xml.Unmarshal(readEntry(t, f), &wb); err != nil {
		t.Fatalf("packaged workbook is not well-formed: %v", err)
	}
	if len(wb.Worksheets) != 1 || wb.Worksheets[0].Name != "Overview" {
		t.Errorf("packaged workbook worksheets = %+v", wb.Worksheets)
	}
	h := files["Data/Extracts/Superstore.hyper"]
	if h == nil {
		t.Fatal("no extract entry")
	}
	if h.Method != zip.Store || h.UncompressedSize64 != extra {
		t.Errorf("extract method %d size %d, want stored %d bytes", h.Method, h.UncompressedSize64, extra)
	}
	data := readEntry(t, h)
	if int64(len(data)) != extra {
		t.Errorf("extract has %d bytes, want %d", len(data), extra)
	}
	// Deterministic: a second package is byte-identical.
	var again bytes.Buffer
	if err := TWBX(&again, "Superstore", twb, extra); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("TWBX output differs between runs")
	}

	// Without an extract there is only the workbook.
	buf.Reset()
	if err := TWBX(&buf, "a/b:c", twb, 0); err != nil {
		t.Fatal(err)
	}
	files = readZip(t, buf.Bytes())
	if len(files) != 1 || files["a_b_c.twb"] == nil {
		t.Errorf("entries without extract: %v", files)
	}
}

func TestTDSX(t *testing.T) {
	tds := TDS("Sample - Superstore", []string{"Region", "Sales"})
	var buf bytes.Buffer
	if err := TDSX(&buf, "Sample - Superstore", tds, 100000); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())
	f := files["Sample - Superstore.tds"]
	if f == nil || files["Data/Extracts/Sample - Superstore.hyper"] == nil {
		t.Fatalf("entries: %v", files)
	}
	var ds xDatasource
	if err := xml.Unmarshal(readEntry(t, f), &ds); err != nil {
		t.Fatalf("packaged data source is not well-formed: %v", err)
	}
	if len(ds.Columns) != 2 {
		t.Errorf("columns %+v", ds.Columns)
	}
	if got := ds.Connection.Named[0].Conn.DBName; got != "Data/Extracts/Sample - Superstore.hyper" {
		t.Errorf("extract path %q", got)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestTWBXStreamsLargeExtract checks that a 200 MB package is written with
// flat memory: far fewer bytes are allocated than are written.
func TestTWBXStreamsLargeExtract(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	twb := TWB("Big", "Big", []string{"Sheet 1"})
	const size = 200 << 20
	var w countWriter
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := TWBX(&w, "Big", twb, size); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if w.n < size {
		t.Fatalf("wrote %d bytes, want more than %d", w.n, size)
	}
	if alloc > 8<<20 {
		t.Errorf("allocated %d bytes to write %d; the extract must be streamed", alloc, w.n)
	}
	t.Logf("wrote %d bytes with %d bytes allocated", w.n, alloc)

	// The same through io.Discard, for TDSX.
	runtime.ReadMemStats(&before)
	if err := TDSX(io.Discard, "Big", TDS("Big", []string{"A"}), size); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("TDSX allocated %d bytes for a %d byte extract", alloc, size)
	}
}

type failingWriter struct{ left int }

var errBroken = errors.New("connection closed")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errBroken
	}
	f.left -= len(p)
	return len(p), nil
}

func TestTWBXStopsOnWriteError(t *testing.T) {
	w := &failingWriter{left: 1 << 20}
	err := TWBX(w, "Big", TWB("Big", "Big", nil), 1<<30)
	if !errors.Is(err, errBroken) {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

func TestInferColumnAndNames(t *testing.T) {
	cases := map[string]Column{
		"Ship Date":    {"Ship Date", "date", "dimension", "ordinal"},
		"Created Time": {"Created Time", "datetime", "dimension", "ordinal"},
		"Row ID":       {"Row ID", "string", "dimension", "nominal"},
		"Discount":     {"Discount", "real", "measure", "quantitative"},
		"Segment":      {"Segment", "string", "dimension", "nominal"},
		"Order Count":  {"Order Count", "integer", "measure", "quantitative"},
	}
	for in, want := range cases {
		if got := InferColumn(in); got != want {
			t.Errorf("InferColumn(%q) = %+v, want %+v", in, got, want)
		}
	}
	if got := FieldName("a]b"); got != "[a]]b]" {
		t.Errorf("FieldName = %q", got)
	}
	for in, want := range map[string]string{"": "Untitled", "..": "Untitled", "x/y\\z": "x_y_z", " Sales ": "Sales"} {
		if got := FileName(in); got != want {
			t.Errorf("FileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkTWBX64MB(b *testing.B) {
	twb := TWB("Big", "Big", []string{"Sheet 1"})
	b.SetBytes(64 << 20)
	for b.Loop() {
		if err := TWBX(io.Discard, "Big", twb, 64<<20); err != nil {
			b.Fatal(err)
		}
	}
}
