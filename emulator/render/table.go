package render

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CSV writes the header (when not empty) and the rows as comma-separated
// values in UTF-8 with "\n" line ends, quoting fields where needed.
func CSV(header []string, rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if len(header) > 0 {
		_ = w.Write(header) // writing to a bytes.Buffer cannot fail
	}
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	return buf.Bytes()
}

// Limits of one Excel worksheet.
const (
	xlsxMaxRows     = 1048576
	xlsxMaxCols     = 16384
	xlsxMaxCellText = 32767
)

// fixedTime stamps every archive entry so that output is reproducible.
func fixedTime() time.Time { return time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC) }

// XLSX writes a one-sheet Office Open XML workbook. The header row is bold
// and frozen; a cell whose text is a plain decimal number is stored as a
// number, everything else as an inline string.
func XLSX(sheetName string, header []string, rows [][]string) ([]byte, error) {
	total := len(rows)
	if len(header) > 0 {
		total++
	}
	if total > xlsxMaxRows {
		return nil, fmt.Errorf("render: %d rows exceed the worksheet limit of %d", total, xlsxMaxRows)
	}
	cols := len(header)
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols > xlsxMaxCols {
		return nil, fmt.Errorf("render: %d columns exceed the worksheet limit of %d", cols, xlsxMaxCols)
	}

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct {
		name string
		body func(io.Writer) error
	}{
		{"[Content_Types].xml", constant(xlsxContentTypes)},
		{"_rels/.rels", constant(xlsxRootRels)},
		{"docProps/app.xml", constant(xlsxApp)},
		{"docProps/core.xml", constant(xlsxCore)},
		{"xl/workbook.xml", func(w io.Writer) error {
			_, err := fmt.Fprintf(w, xlsxWorkbook, escape(SheetName(sheetName)))
			return err
		}},
		{"xl/_rels/workbook.xml.rels", constant(xlsxWorkbookRels)},
		{"xl/styles.xml", constant(xlsxStyles)},
		{"xl/worksheets/sheet1.xml", func(w io.Writer) error { return writeSheet(w, header, rows, cols) }},
	}
	for _, p := range parts {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: fixedTime()})
		if err != nil {
			return nil, err
		}
		bw := bufio.NewWriter(fw)
		if err := p.body(bw); err != nil {
			return nil, err
		}
		if err := bw.Flush(); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func constant(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// SheetName makes a valid worksheet name: at most 31 characters, none of
// []:*?/\, no apostrophe at either end, and "Sheet1" when nothing is left.
func SheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '[', ']', ':', '*', '?', '/', '\\':
			return '_'
		}
		if r < 0x20 {
			return ' '
		}
		return r
	}, s)
	s = strings.Trim(strings.TrimSpace(s), "'")
	if utf8.RuneCountInString(s) > 31 {
		s = strings.TrimSpace(string([]rune(s)[:31]))
		s = strings.TrimRight(s, "'")
	}
	if s == "" {
		return "Sheet1"
	}
	return s
}

// ColumnName returns the letters of a zero-based column index: 0 is A, 26 is AA.
func ColumnName(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// numberPattern accepts plain decimal numbers; leading zeros (codes such as
// ZIP codes) and other spellings stay text.
var numberPattern = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`) }}

// cellNumber reports whether s should be stored as a number and, if so, its
// canonical text.
func cellNumber(s string) (string, bool) {
	if len(s) > 40 || !numberPattern.Get().MatchString(s) {
		return "", false
	}
	digits := 0
	mant, _, _ := strings.Cut(strings.ToLower(s), "e")
	for _, r := range strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(mant), "0") {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > 15 { // Excel keeps 15 significant digits; long identifiers stay text
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatFloat(f, 'g', -1, 64), true
}

func writeSheet(w io.Writer, header []string, rows [][]string, cols int) error {
	all := rows
	if len(header) > 0 {
		all = append([][]string{header}, rows...)
	}
	ref := "A1"
	if len(all) > 0 && cols > 0 {
		ref = "A1:" + ColumnName(cols-1) + strconv.Itoa(len(all))
	}
	ew := &errWriter{w: w}
	ew.str(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	ew.str(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	ew.str(`<dimension ref="` + ref + `"/>`)
	ew.str(`<sheetViews><sheetView workbookViewId="0">`)
	if len(header) > 0 {
		ew.str(`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`)
		ew.str(`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>`)
	}
	ew.str(`</sheetView></sheetViews>`)
	ew.str(`<sheetFormatPr defaultRowHeight="15"/>`)
	if cols > 0 {
		ew.str(`<cols>`)
		for c := range cols {
			width := 8
			for _, r := range all {
				if c < len(r) {
					width = max(width, utf8.RuneCountInString(r[c])+2)
				}
			}
			width = min(width, 60)
			ew.str(fmt.Sprintf(`<col min="%d" max="%d" width="%d" customWidth="1"/>`, c+1, c+1, width))
		}
		ew.str(`</cols>`)
	}
	ew.str(`<sheetData>`)
	for i, r := range all {
		rn := strconv.Itoa(i + 1)
		ew.str(`<row r="` + rn + `">`)
		bold := len(header) > 0 && i == 0
		for c, v := range r {
			if v == "" {
				continue
			}
			cell := ColumnName(c) + rn
			style := ""
			if bold {
				style = ` s="1"`
			}
			if n, ok := cellNumber(v); ok && !bold {
				ew.str(`<c r="` + cell + `"` + style + `><v>` + n + `</v></c>`)
				continue
			}
			if utf8.RuneCountInString(v) > xlsxMaxCellText {
				v = string([]rune(v)[:xlsxMaxCellText])
			}
			ew.str(`<c r="` + cell + `"` + style + ` t="inlineStr"><is><t xml:space="preserve">` + escape(v) + `</t></is></c>`)
		}
		ew.str(`</row>`)
	}
	ew.str(`</sheetData>`)
	ew.str(`<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>`)
	ew.str(`</worksheet>`)
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) str(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// escape makes s safe inside XML text or a quoted attribute value; characters
// XML cannot carry become U+FFFD.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
	`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
	`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
	`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
	`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>` +
	`</Types>`

const xlsxRootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const xlsxApp = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" ` +
	`xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">` +
	`<Application>tableau-mcp emulator</Application></Properties>`

const xlsxCore = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
	`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ` +
	`xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<dc:creator>tableau-mcp emulator</dc:creator>` +
	`<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>` +
	`<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>` +
	`</cp:coreProperties>`

const xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
	`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
	`<bookViews><workbookView activeTab="0"/></bookViews>` +
	`<sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets></workbook>`

const xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`</Relationships>`

const xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="2">` +
	`<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`</fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
	`</cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`
