package render

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCSVRoundTrip(t *testing.T) {
	header := []string{"Region", "Customer Name", "SUM(Sales)"}
	rows := [][]string{
		{"East", "Smith, John", "1234.5"},
		{"West", `Say "hi"`, "-3"},
		{"South", "two\nlines", ""},
		{"Central", "Zoë", "0"},
	}
	b := CSV(header, rows)
	got, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, b)
	}
	want := append([][]string{header}, rows...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back %q, want %q", got, want)
	}
	if !bytes.HasPrefix(b, []byte("Region,Customer Name,SUM(Sales)\n")) {
		t.Errorf("first line = %q", bytes.SplitN(b, []byte("\n"), 2)[0])
	}
	if !strings.Contains(string(b), `"Smith, John"`) || !strings.Contains(string(b), `"Say ""hi"""`) {
		t.Errorf("fields with commas and quotes are not quoted: %s", b)
	}
	if len(CSV(nil, nil)) != 0 {
		t.Error("empty input should give empty output")
	}
}

// Cells of sheet1.xml as the SpreadsheetML schema names them.
type xSheet struct {
	XMLName   xml.Name `xml:"worksheet"`
	Dimension struct {
		Ref string `xml:"ref,attr"`
	} `xml:"dimension"`
	Rows []struct {
		R     int `xml:"r,attr"`
		Cells []struct {
			R  string `xml:"r,attr"`
			T  string `xml:"t,attr"`
			S  string `xml:"s,attr"`
			V  string `xml:"v"`
			Is struct {
				T string `xml:"t"`
			} `xml:"is"`
		} `xml:"c"`
	} `xml:"sheetData>row"`
}

type xlsxFile struct {
	files map[string][]byte
}

func openXLSX(t *testing.T, b []byte) xlsxFile {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	x := xlsxFile{files: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		x.files[f.Name] = data
		// Every part must be well-formed XML.
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", f.Name, err)
			}
		}
	}
	return x
}

// cells reads sheet1.xml back into a grid keyed by cell reference; numbers
// are prefixed with "#".
func (x xlsxFile) cells(t *testing.T) (map[string]string, xSheet) {
	t.Helper()
	var s xSheet
	if err := xml.Unmarshal(x.files["xl/worksheets/sheet1.xml"], &s); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range s.Rows {
		for _, c := range r.Cells {
			switch c.T {
			case "inlineStr":
				out[c.R] = c.Is.T
			case "":
				out[c.R] = "#" + c.V
			default:
				t.Errorf("cell %s has unexpected type %q", c.R, c.T)
			}
		}
	}
	return out, s
}

func TestXLSXStructure(t *testing.T) {
	b, err := XLSX("Sales by Region", []string{"Region", "SUM(Sales)"}, [][]string{{"East", "678781.24"}})
	if err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, b)
	for _, part := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml", "xl/styles.xml"} {
		if _, ok := x.files[part]; !ok {
			t.Errorf("missing part %s", part)
		}
	}
	// Content types: the workbook and worksheet overrides carry the
	// SpreadsheetML content types.
	var ct struct {
		Defaults []struct {
			Extension   string `xml:"Extension,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Default"`
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.Unmarshal(x.files["[Content_Types].xml"], &ct); err != nil {
		t.Fatal(err)
	}
	overrides := map[string]string{}
	for _, o := range ct.Overrides {
		overrides[o.PartName] = o.ContentType
		if _, ok := x.files[strings.TrimPrefix(o.PartName, "/")]; !ok {
			t.Errorf("content type override for missing part %s", o.PartName)
		}
	}
	if overrides["/xl/workbook.xml"] != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" {
		t.Errorf("workbook content type = %q", overrides["/xl/workbook.xml"])
	}
	if overrides["/xl/worksheets/sheet1.xml"] != "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" {
		t.Errorf("worksheet content type = %q", overrides["/xl/worksheets/sheet1.xml"])
	}
	hasRels := false
	for _, d := range ct.Defaults {
		if d.Extension == "rels" && d.ContentType == "application/vnd.openxmlformats-package.relationships+xml" {
			hasRels = true
		}
	}
	if !hasRels {
		t.Error("no default content type for .rels")
	}

	// Relationships resolve to parts that exist.
	type rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	var root, wbRels rels
	if err := xml.Unmarshal(x.files["_rels/.rels"], &root); err != nil {
		t.Fatal(err)
	}
	foundDoc := false
	for _, r := range root.Rel {
		if _, ok := x.files[r.Target]; !ok {
			t.Errorf("package relationship %s targets missing %s", r.ID, r.Target)
		}
		if strings.HasSuffix(r.Type, "/officeDocument") && r.Target == "xl/workbook.xml" {
			foundDoc = true
		}
	}
	if !foundDoc {
		t.Error("no officeDocument relationship to xl/workbook.xml")
	}
	if err := xml.Unmarshal(x.files["xl/_rels/workbook.xml.rels"], &wbRels); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, r := range wbRels.Rel {
		ids[r.ID] = r.Target
		if _, ok := x.files["xl/"+r.Target]; !ok {
			t.Errorf("workbook relationship %s targets missing xl/%s", r.ID, r.Target)
		}
	}
	var wb struct {
		Sheets []struct {
			Name    string `xml:"name,attr"`
			SheetID string `xml:"sheetId,attr"`
			RID     string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(x.files["xl/workbook.xml"], &wb); err != nil {
		t.Fatal(err)
	}
	if len(wb.Sheets) != 1 || wb.Sheets[0].Name != "Sales by Region" || ids[wb.Sheets[0].RID] != "worksheets/sheet1.xml" {
		t.Errorf("workbook sheets = %+v, relationships %v", wb.Sheets, ids)
	}
}

func TestXLSXCells(t *testing.T) {
	header := []string{"Order ID", "Postal Code", "Customer", "Sales", "Quantity", "Note"}
	rows := [][]string{
		{"CA-2017-152156", "04101", "Claire <Gute> & Co", "261.96", "2", ""},
		{"US-2016-108966", "10024", "Darrin Van Huff", "-957.5775", "1e3", "  spaced  "},
		{"1234567890123456789", "0", "Zoë", "NaN", "12,5", "bell\x07"},
	}
	b, err := XLSX("Orders", header, rows)
	if err != nil {
		t.Fatal(err)
	}
	got, sheet := openXLSX(t, b).cells(t)
	want := map[string]string{
		"A1": "Order ID", "B1": "Postal Code", "C1": "Customer", "D1": "Sales", "E1": "Quantity", "F1": "Note",
		"A2": "CA-2017-152156", "B2": "04101", "C2": "Claire <Gute> & Co", "D2": "#261.96", "E2": "#2",
		"A3": "US-2016-108966", "B3": "#10024", "C3": "Darrin Van Huff", "D3": "#-957.5775", "E3": "#1000", "F3": "  spaced  ",
		"A4": "1234567890123456789", "B4": "#0", "C4": "Zoë", "D4": "NaN", "E4": "12,5", "F4": "bell\uFFFD",
	}
	if !reflect.DeepEqual(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("cell %s = %q, want %q", k, got[k], v)
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected cell %s = %q", k, v)
			}
		}
	}
	if sheet.Dimension.Ref != "A1:F4" {
		t.Errorf("dimension = %q, want A1:F4", sheet.Dimension.Ref)
	}
	for i, r := range sheet.Rows {
		if r.R != i+1 {
			t.Errorf("row %d numbered %d", i, r.R)
		}
	}
	for _, c := range sheet.Rows[0].Cells {
		if c.S != "1" {
			t.Errorf("header cell %s not bold (s=%q)", c.R, c.S)
		}
	}
}

func TestXLSXLimitsAndNames(t *testing.T) {
	if _, err := XLSX("x", make([]string, xlsxMaxCols+1), nil); err == nil {
		t.Error("more than 16384 columns should fail")
	}
	names := map[string]string{
		"":                                    "Sheet1",
		"Sales [2024]: East/West?":            "Sales _2024__ East_West_",
		"'quoted'":                            "quoted",
		"A very long worksheet name indeed!!": "A very long worksheet name inde",
	}
	for in, want := range names {
		if got := SheetName(in); got != want {
			t.Errorf("SheetName(%q) = %q, want %q", in, got, want)
		}
	}
	cols := map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 16383: "XFD"}
	for i, want := range cols {
		if got := ColumnName(i); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", i, got, want)
		}
	}
	b, err := XLSX("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, s := openXLSX(t, b).cells(t); len(s.Rows) != 0 || s.Dimension.Ref != "A1" {
		t.Errorf("empty sheet: %+v", s)
	}
}

// TestXLSXWithOpenpyxl loads the workbook with an independent reader when
// one is installed.
func TestXLSXWithOpenpyxl(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(py, "-c", "import openpyxl").Run() != nil {
		t.Skip("openpyxl not installed")
	}
	b, err := XLSX("Sales", []string{"Region", "Sales"}, [][]string{{"East", "678781.24"}, {"West & Co", "12"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crosstab.xlsx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
print(ws.title)
for row in ws.iter_rows(values_only=True):
    print("|".join(repr(v) for v in row))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("openpyxl could not read the workbook: %v\n%s", err, out)
	}
	want := "Sales\n'Region'|'Sales'\n'East'|678781.24\n'West & Co'|12\n"
	if string(out) != want {
		t.Errorf("openpyxl read:\n%s\nwant:\n%s", out, want)
	}
}

// TestXLSXWithLibreOffice converts the workbook to CSV with LibreOffice,
// when it is installed, and compares the cells.
func TestXLSXWithLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("LibreOffice not installed")
	}
	if testing.Short() {
		t.Skip("starts LibreOffice")
	}
	header := []string{"Region", "Postal Code", "SUM(Sales)"}
	rows := [][]string{{"East", "04101", "678781.24"}, {"West & <Co>", "10024", "12"}, {"Zoë", "", "-3.5"}}
	b, err := XLSX("Sales by Region", header, rows)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "crosstab.xlsx")
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", dir, in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "crosstab.csv"))
	if err != nil {
		t.Fatalf("LibreOffice produced no CSV: %v", err)
	}
	want := "Region,Postal Code,SUM(Sales)\nEast,04101,678781.24\nWest & <Co>,10024,12\nZoë,,-3.5\n"
	if strings.ReplaceAll(string(got), "\r\n", "\n") != want {
		t.Errorf("LibreOffice read:\n%s\nwant:\n%s", got, want)
	}
}
