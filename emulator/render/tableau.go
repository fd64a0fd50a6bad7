package render

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"io"
	"strings"
)

// Version strings written into workbook and data source documents.
const (
	DocumentVersion = "18.1"
	SourceBuild     = "2024.2.0 (20242.24.0613.0835)"
)

const userNS = "http://www.tableausoftware.com/xml/user"

// Column describes one field of a data source document.
type Column struct {
	Name     string // field name, written as caption and as [Name]
	DataType string // string, integer, real, date, datetime or boolean
	Role     string // dimension or measure
	Type     string // nominal, ordinal or quantitative
}

// InferColumn guesses a field's data type and role from its name, the way
// sample data such as Superstore names its fields.
func InferColumn(name string) Column {
	l := strings.ToLower(name)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(l, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("date", "time", "timestamp", "created", "modified"):
		dt := "date"
		if has("time") {
			dt = "datetime"
		}
		return Column{Name: name, DataType: dt, Role: "dimension", Type: "ordinal"}
	case strings.HasSuffix(l, " id") || strings.HasSuffix(l, "_id") || l == "id" || has("name", "code", "postal"):
		return Column{Name: name, DataType: "string", Role: "dimension", Type: "nominal"}
	case has("quantity", "qty", "number of", "units") || has("count") && !has("discount", "account"):
		return Column{Name: name, DataType: "integer", Role: "measure", Type: "quantitative"}
	case has("sales", "profit", "discount", "amount", "price", "cost", "revenue", "total", "sum(", "avg(",
		"rate", "margin", "score", "value", "budget", "target", "ratio", "latitude", "longitude"):
		return Column{Name: name, DataType: "real", Role: "measure", Type: "quantitative"}
	case strings.HasPrefix(l, "is ") || strings.HasPrefix(l, "has "):
		return Column{Name: name, DataType: "boolean", Role: "dimension", Type: "nominal"}
	}
	return Column{Name: name, DataType: "string", Role: "dimension", Type: "nominal"}
}

// FieldName writes a field name in brackets; a closing bracket inside the
// name is doubled, as Tableau does.
func FieldName(name string) string {
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
}

// FileName turns a content name into a safe archive entry or file name.
func FileName(name string) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|':
			return '_'
		}
		if r < 0x20 {
			return -1
		}
		return r
	}, name)
	s = strings.Trim(strings.TrimSpace(s), ".")
	if s == "" {
		return "Untitled"
	}
	return s
}

// contentURL strips a name down to the form Tableau uses in URLs.
func contentURL(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Untitled"
	}
	return b.String()
}

// stableID derives a lower-case id from a name: the same name always gives
// the same id, like the random-looking names Tableau gives connections.
func stableID(prefix, name string, n int) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	sum := sha1.Sum([]byte(prefix + "\x00" + name))
	out := make([]byte, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, alphabet[int(sum[i%len(sum)]+byte(i/len(sum)*7))%len(alphabet)])
	}
	return prefix + "." + string(out)
}

// stableUUID derives a braced upper-case UUID from a name.
func stableUUID(name string) string {
	s := sha1.Sum([]byte("uuid\x00" + name))
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("{%X-%X-%X-%X-%X}", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// attr writes name='value' with the value escaped.
func attr(name, value string) string {
	return " " + name + "='" + escape(value) + "'"
}

type xmlOut struct{ b bytes.Buffer }

func (x *xmlOut) line(depth int, s string) {
	x.b.WriteString(strings.Repeat("  ", depth))
	x.b.WriteString(s)
	x.b.WriteString("\n")
}

func (x *xmlOut) header() {
	x.b.WriteString("<?xml version='1.0' encoding='utf-8' ?>\n\n")
	x.b.WriteString("<!-- build " + strings.TrimSuffix(strings.SplitN(SourceBuild, "(", 2)[1], ")") + " -->\n")
}

// writeConnection writes a federated connection to an extract in
// Data/Extracts/<extract>.hyper.
func (x *xmlOut) writeConnection(depth int, dsName, extract string, cols []Column) {
	hyper := stableID("hyper", dsName, 28)
	x.line(depth, "<connection class='federated'>")
	x.line(depth+1, "<named-connections>")
	x.line(depth+2, "<named-connection"+attr("caption", dsName)+attr("name", hyper)+">")
	x.line(depth+3, "<connection authentication='auth-none' author-locale='en_US' class='hyper'"+
		attr("dbname", "Data/Extracts/"+FileName(extract)+".hyper")+
		" default-settings='yes' schema='Extract' sslmode='' tablename='Extract' username='tableau_internal_user' />")
	x.line(depth+2, "</named-connection>")
	x.line(depth+1, "</named-connections>")
	x.line(depth+1, "<relation"+attr("connection", hyper)+" name='Extract' table='[Extract].[Extract]' type='table' />")
	if len(cols) > 0 {
		x.line(depth+1, "<metadata-records>")
		for i, c := range cols {
			x.line(depth+2, "<metadata-record class='column'>")
			x.line(depth+3, "<remote-name>"+escape(c.Name)+"</remote-name>")
			x.line(depth+3, fmt.Sprintf("<remote-type>%d</remote-type>", remoteType(c.DataType)))
			x.line(depth+3, "<local-name>"+escape(FieldName(c.Name))+"</local-name>")
			x.line(depth+3, "<parent-name>[Extract]</parent-name>")
			x.line(depth+3, "<remote-alias>"+escape(c.Name)+"</remote-alias>")
			x.line(depth+3, fmt.Sprintf("<ordinal>%d</ordinal>", i))
			x.line(depth+3, "<local-type>"+escape(c.DataType)+"</local-type>")
			agg := "Count"
			switch {
			case c.Role == "measure":
				agg = "Sum"
			case c.DataType == "date" || c.DataType == "datetime":
				agg = "Year"
			}
			x.line(depth+3, "<aggregation>"+agg+"</aggregation>")
			x.line(depth+3, "<contains-null>true</contains-null>")
			x.line(depth+2, "</metadata-record>")
		}
		x.line(depth+1, "</metadata-records>")
	}
	x.line(depth, "</connection>")
}

// remoteType is the database type code an extract reports for a data type.
func remoteType(dataType string) int {
	switch dataType {
	case "integer":
		return 20
	case "real":
		return 5
	case "date":
		return 7
	case "datetime":
		return 135
	case "boolean":
		return 11
	}
	return 129
}

func (x *xmlOut) writeColumns(depth int, cols []Column) {
	for _, c := range cols {
		x.line(depth, "<column"+attr("caption", c.Name)+attr("datatype", c.DataType)+attr("name", FieldName(c.Name))+
			attr("role", c.Role)+attr("type", c.Type)+" />")
	}
}

// uniqueNames drops empty names and renames repeats, since a workbook's
// sheets need distinct names.
func uniqueNames(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		u := n
		for i := 2; seen[strings.ToLower(u)]; i++ {
			u = fmt.Sprintf("%s (%d)", n, i)
		}
		seen[strings.ToLower(u)] = true
		out = append(out, u)
	}
	if len(out) == 0 {
		out = []string{"Sheet 1"}
	}
	return out
}

// TWB writes a Tableau workbook document with one data source and one
// worksheet (and window) per view name.
func TWB(workbookName, datasourceName string, viewNames []string) []byte {
	return TWBWithColumns(workbookName, datasourceName, viewNames, nil)
}

// TWBWithColumns is TWB with the data source's fields listed.
func TWBWithColumns(workbookName, datasourceName string, viewNames []string, cols []Column) []byte {
	if strings.TrimSpace(datasourceName) == "" {
		datasourceName = "Data Source"
	}
	if strings.TrimSpace(workbookName) == "" {
		workbookName = "Workbook"
	}
	dsID := stableID("federated", datasourceName, 28)
	views := uniqueNames(viewNames)
	var x xmlOut
	x.header()
	x.line(0, "<workbook"+attr("original-version", DocumentVersion)+attr("source-build", SourceBuild)+
		" source-platform='linux'"+attr("version", DocumentVersion)+attr("xmlns:user", userNS)+">")
	x.line(1, "<repository-location"+attr("id", contentURL(workbookName))+" path='/workbooks' revision='1.0' />")
	x.line(1, "<preferences>")
	x.line(2, "<preference name='ui.encoding.shelf.height' value='24' />")
	x.line(2, "<preference name='ui.shelf.height' value='26' />")
	x.line(1, "</preferences>")
	x.line(1, "<datasources>")
	x.line(2, "<datasource"+attr("caption", datasourceName)+" inline='true'"+attr("name", dsID)+attr("version", DocumentVersion)+">")
	x.writeConnection(3, datasourceName, workbookName, cols)
	x.line(3, "<aliases enabled='yes' />")
	x.writeColumns(3, cols)
	x.line(2, "</datasource>")
	x.line(1, "</datasources>")
	x.line(1, "<worksheets>")
	for _, v := range views {
		x.line(2, "<worksheet"+attr("name", v)+">")
		x.line(3, "<table>")
		x.line(4, "<view>")
		x.line(5, "<datasources>")
		x.line(6, "<datasource"+attr("caption", datasourceName)+attr("name", dsID)+" />")
		x.line(5, "</datasources>")
		x.line(5, "<aggregation value='true' />")
		x.line(4, "</view>")
		x.line(4, "<style />")
		x.line(4, "<panes>")
		x.line(5, "<pane selection-relaxation-option='selection-relaxation-allow'>")
		x.line(6, "<view>")
		x.line(7, "<breakdown value='auto' />")
		x.line(6, "</view>")
		x.line(6, "<mark class='Automatic' />")
		x.line(5, "</pane>")
		x.line(4, "</panes>")
		x.line(4, "<rows />")
		x.line(4, "<cols />")
		x.line(3, "</table>")
		x.line(3, "<simple-id"+attr("uuid", stableUUID(workbookName+"\x00sheet\x00"+v))+" />")
		x.line(2, "</worksheet>")
	}
	x.line(1, "</worksheets>")
	x.line(1, "<windows source-height='30'>")
	for i, v := range views {
		maximized := ""
		if i == len(views)-1 {
			maximized = " maximized='true'"
		}
		x.line(2, "<window class='worksheet'"+maximized+attr("name", v)+">")
		x.line(3, "<simple-id"+attr("uuid", stableUUID(workbookName+"\x00window\x00"+v))+" />")
		x.line(2, "</window>")
	}
	x.line(1, "</windows>")
	x.line(0, "</workbook>")
	return x.b.Bytes()
}

// TDS writes a Tableau data source document whose fields are the given
// column names, with types guessed by InferColumn.
func TDS(datasourceName string, columns []string) []byte {
	cols := make([]Column, 0, len(columns))
	seen := map[string]bool{}
	for _, c := range columns {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		cols = append(cols, InferColumn(c))
	}
	return TDSWithColumns(datasourceName, cols)
}

// TDSWithColumns writes a Tableau data source document with the given fields.
func TDSWithColumns(datasourceName string, cols []Column) []byte {
	if strings.TrimSpace(datasourceName) == "" {
		datasourceName = "Data Source"
	}
	var x xmlOut
	x.header()
	x.line(0, "<datasource"+attr("formatted-name", stableID("federated", datasourceName, 28))+" inline='true'"+
		" source-platform='linux'"+attr("version", DocumentVersion)+attr("xmlns:user", userNS)+">")
	x.line(1, "<repository-location"+attr("id", contentURL(datasourceName))+" path='/datasources' revision='1.0' />")
	x.writeConnection(1, datasourceName, datasourceName, cols)
	x.line(1, "<aliases enabled='yes' />")
	x.writeColumns(1, cols)
	x.line(1, "<layout dim-ordering='alphabetic' measure-ordering='alphabetic' show-structure='true' />")
	x.line(0, "</datasource>")
	return x.b.Bytes()
}

// fillerBlock is the repeating content of the placeholder extract file,
// made on the first download that needs it rather than in every process.
var fillerBlock = lazy.Value[[]byte]{Build: func() []byte {
	b := make([]byte, 64<<10)
	copy(b, "HyPe\x00tableau-mcp emulator placeholder extract\x00")
	var s uint32 = 2463534242
	for i := 64; i < len(b); i++ { // xorshift: deterministic, not compressible to nothing
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		b[i] = byte(s)
	}
	return b
}}

// TWBX writes a packaged workbook to w: name.twb and, when extra > 0, an
// extract Data/Extracts/name.hyper of extra bytes of deterministic filler.
// The filler is streamed, so memory stays flat whatever its size.
func TWBX(w io.Writer, name string, twb []byte, extra int64) error {
	return writePackage(w, FileName(name), ".twb", twb, extra)
}

// TDSX writes a packaged data source to w: name.tds and, when extra > 0, an
// extract Data/Extracts/name.hyper of extra bytes, streamed like TWBX.
func TDSX(w io.Writer, name string, tds []byte, extra int64) error {
	return writePackage(w, FileName(name), ".tds", tds, extra)
}

func writePackage(w io.Writer, base, ext string, doc []byte, extra int64) error {
	zw := zip.NewWriter(w)
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: base + ext, Method: zip.Deflate, Modified: fixedTime()})
	if err != nil {
		return err
	}
	if _, err := fw.Write(doc); err != nil {
		return err
	}
	if extra > 0 {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: "Data/Extracts/" + base + ".hyper", Method: zip.Store, Modified: fixedTime()})
		if err != nil {
			return err
		}
		for left := extra; left > 0; {
			filler := fillerBlock.Get()
			n := int64(len(filler))
			if left < n {
				n = left
			}
			if _, err := fw.Write(filler[:n]); err != nil {
				return err
			}
			left -= n
		}
	}
	return zw.Close()
}
