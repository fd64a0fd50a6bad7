package tableauemu

import (
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/render"
	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// Binary endpoints: a view's image, PDF, data and crosstab, and the content
// of workbooks and data sources. Everything is made from the sample data
// behind the view (its hidden chart: data source, dimension, measure).
// Arguments are checked under the lock; the file is produced and written
// after it is released (reply.stream).

const (
	ctPNG  = "image/png"
	ctPDF  = "application/pdf"
	ctCSV  = "text/csv; charset=utf-8"
	ctXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ctBin  = "application/octet-stream"
	ctTWB  = "application/xml"
)

// chartSource is what a view export draws, copied out of the model so that
// it can be used without the lock.
type chartSource struct {
	view, datasource, dimension, measure string
	filters                              []viewFilter
}

// viewFilter is one vf_<field>=v1,v2 query parameter.
type viewFilter struct {
	field  string
	values []string
}

// series is a view's summarised data: one row per dimension value.
type series struct {
	dimension, measure string
	labels             []string
	values             []float64
	applied            []viewFilter // the filters on fields the data source has
}

func (c *call) findView() (*view, bool) {
	v := c.site.view(c.param(1))
	if v == nil {
		c.fail(notFound("404004", "View", c.param(1)))
	}
	return v, v != nil
}

// viewFilters reads vf_<field>=value parameters in a stable order. Several
// values of one field are separated by commas, as Tableau takes them.
func viewFilters(q map[string][]string) []viewFilter {
	var out []viewFilter
	for k, vs := range q {
		field, ok := strings.CutPrefix(k, "vf_")
		if !ok || field == "" {
			continue
		}
		f := viewFilter{field: field}
		for _, v := range vs {
			f.values = append(f.values, strings.Split(v, ",")...)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].field < out[j].field })
	return out
}

// source copies what an export of v needs, after checking maxAge.
func (c *call) source(v *view) (chartSource, bool) {
	if _, ok := c.positive("maxAge"); !ok {
		return chartSource{}, false
	}
	return chartSource{view: v.name, datasource: v.chartDatasource, dimension: v.chartDimension,
		measure: v.chartMeasure, filters: viewFilters(c.q)}, true
}

// positive reads an optional whole-number parameter that must be at least 1.
func (c *call) positive(name string) (int, bool) {
	s := c.q.Get(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		c.fail(badRequest("The parameter '%s' must be a whole number of at least 1, not '%s'.", name, s))
		return 0, false
	}
	return n, true
}

// cellText writes a value the way a filter names it.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "Null"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

// summarise filters the data source's rows and aggregates the measure per
// dimension value: SUM or AVG as the column's default aggregation says, or a
// count of rows when the measure is not a numeric column (e.g. "Leads"). Date
// dimensions group by month in time order; others sort by value, largest
// first. A filter on a field the data source lacks is ignored, as Tableau
// ignores it.
func (s chartSource) summarise() series {
	out := series{dimension: s.dimension, measure: s.measure}
	t, ok := sampledata.Get(s.datasource)
	if !ok {
		return out
	}
	di := t.ColumnIndex(s.dimension)
	mi := t.ColumnIndex(s.measure)
	count, avg := true, false
	if mi >= 0 {
		col := t.Columns[mi]
		if col.DataType == sampledata.TypeInteger || col.DataType == sampledata.TypeReal {
			count, avg = false, col.DefaultAggregation == "AVG"
		}
	}
	isDate := false
	if di >= 0 {
		dt := t.Columns[di].DataType
		isDate = dt == sampledata.TypeDate || dt == sampledata.TypeDateTime
	}
	type filter struct {
		col  int
		want map[string]bool
	}
	var fs []filter
	for _, f := range s.filters {
		if i := t.ColumnIndex(f.field); i >= 0 {
			want := map[string]bool{}
			for _, v := range f.values {
				want[v] = true
			}
			fs = append(fs, filter{i, want})
			out.applied = append(out.applied, f)
		}
	}
	sums, counts := map[string]float64{}, map[string]int{}
rows:
	for _, row := range t.Rows {
		for _, f := range fs {
			if !f.want[cellText(row[f.col])] {
				continue rows
			}
		}
		label := "All"
		if di >= 0 {
			if tm, ok := row[di].(time.Time); ok {
				label = tm.Format("2006-01")
			} else {
				label = cellText(row[di])
			}
		}
		switch {
		case count:
			sums[label]++
		default:
			if x, ok := row[mi].(int64); ok {
				sums[label] += float64(x)
			} else if x, ok := row[mi].(float64); ok {
				sums[label] += x
			} else {
				continue // a null measure is skipped
			}
		}
		counts[label]++
	}
	for l := range sums {
		out.labels = append(out.labels, l)
	}
	for _, l := range out.labels {
		v := sums[l]
		if avg && counts[l] > 0 {
			v /= float64(counts[l])
		}
		sums[l] = math.Round(v*100) / 100
	}
	sort.Slice(out.labels, func(i, j int) bool {
		a, b := out.labels[i], out.labels[j]
		if isDate || sums[a] == sums[b] {
			return a < b
		}
		return sums[a] > sums[b]
	})
	out.values = make([]float64, len(out.labels))
	for i, l := range out.labels {
		out.values[i] = sums[l]
	}
	return out
}

func (s chartSource) chart(d series) render.Chart {
	title := s.view
	var parts []string
	for _, f := range d.applied {
		parts = append(parts, f.field+": "+strings.Join(f.values, ", "))
	}
	if len(parts) > 0 {
		title += " (" + strings.Join(parts, "; ") + ")"
	}
	return render.Chart{Title: title, Dimension: d.dimension, Measure: d.measure, Labels: d.labels, Values: d.values}
}

// table is the summarised data as a header and text rows.
func (d series) table() ([]string, [][]string) {
	rows := make([][]string, len(d.labels))
	for i, l := range d.labels {
		rows[i] = []string{l, strconv.FormatFloat(d.values[i], 'f', -1, 64)}
	}
	return []string{d.dimension, d.measure}, rows
}

// attachment writes a Content-Disposition naming the file.
func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

// file answers 200 with a body produced after the lock is released. A
// failure before the first byte answers 500 with Tableau's error body.
func (c *call) file(contentType, filename string, produce func() ([]byte, error)) {
	h := http.Header{"Content-Type": {contentType}}
	if filename != "" {
		h.Set("Content-Disposition", attachment(filename))
	}
	asJSON := c.json
	c.rep = reply{status: http.StatusOK, header: h, stream: func(w http.ResponseWriter) {
		b, err := produce()
		if err != nil {
			ct, body := encodeError(asJSON, newErr(http.StatusInternalServerError, "500000", "Rendering the export failed: "+err.Error()))
			w.Header().Del("Content-Disposition")
			w.Header().Set("Content-Type", ct)
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(body)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
	}}
}

// streamFile answers 200 with a body written straight to the connection, for
// downloads too large to hold: a failure midway cuts the body short.
func (c *call) streamFile(contentType, filename string, write func(io.Writer) error) {
	h := http.Header{"Content-Type": {contentType}, "Content-Disposition": {attachment(filename)}}
	c.rep = reply{status: http.StatusOK, header: h, stream: func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusOK)
		_ = write(w)
	}}
}

// GET /views/{id}/image?resolution=high&maxAge&vizWidth&vizHeight&vf_<field>=v
func hViewImage(c *call) {
	v, ok := c.findView()
	if !ok {
		return
	}
	if f := c.q.Get("format"); f != "" && !strings.EqualFold(f, "PNG") {
		c.fail(badRequest("The image format '%s' is not available; this server renders PNG (format=SVG needs REST API 3.29).", f))
		return
	}
	w, okW := c.positive("vizWidth")
	h, okH := c.positive("vizHeight")
	src, okS := c.source(v)
	if !okW || !okH || !okS {
		return
	}
	w, h = render.ClampSize(w, h)
	if c.q.Get("resolution") == "high" {
		w, h = render.ClampSize(2*w, 2*h)
	}
	c.file(ctPNG, render.FileName(v.name)+".png", func() ([]byte, error) {
		return render.PNG(src.chart(src.summarise()), w, h)
	})
}

// GET /views/{id}/pdf?type=a4&orientation=landscape&maxAge&vizWidth&vizHeight
func hViewPDF(c *call) {
	v, ok := c.findView()
	if !ok {
		return
	}
	typ, orientation := c.q.Get("type"), c.q.Get("orientation")
	if _, _, err := render.PageSize(typ, orientation); err != nil {
		if _, _, terr := render.PageSize(typ, ""); terr != nil {
			c.fail(badRequest("The page type '%s' is not valid; use one of %s.", typ, strings.Join(render.PageTypes, ", ")))
		} else {
			c.fail(badRequest("The orientation '%s' is not valid; use portrait or landscape.", orientation))
		}
		return
	}
	_, okW := c.positive("vizWidth")
	_, okH := c.positive("vizHeight")
	src, okS := c.source(v)
	if !okW || !okH || !okS {
		return
	}
	c.file(ctPDF, render.FileName(v.name)+".pdf", func() ([]byte, error) {
		return render.PDF(src.chart(src.summarise()), typ, orientation)
	})
}

// GET /views/{id}/data?maxAge&vf_<field>=v: the view's summary data as CSV.
func hViewData(c *call) {
	v, ok := c.findView()
	if !ok {
		return
	}
	src, ok := c.source(v)
	if !ok {
		return
	}
	c.file(ctCSV, render.FileName(v.name)+".csv", func() ([]byte, error) {
		return render.CSV(src.summarise().table()), nil
	})
}

// GET /views/{id}/crosstab/excel?maxAge&vf_<field>=v: the view as .xlsx.
func hViewCrosstab(c *call) {
	v, ok := c.findView()
	if !ok {
		return
	}
	src, ok := c.source(v)
	if !ok {
		return
	}
	c.file(ctXLSX, render.FileName(v.name)+".xlsx", func() ([]byte, error) {
		header, rows := src.summarise().table()
		return render.XLSX(src.view, header, rows)
	})
}

// includeExtract reads ?includeExtract=true|false (default true).
func (c *call) includeExtract() (bool, bool) {
	switch strings.ToLower(c.q.Get("includeExtract")) {
	case "", "true":
		return true, true
	case "false":
		return false, true
	}
	c.fail(badRequest("The parameter 'includeExtract' must be true or false, not '%s'.", c.q.Get("includeExtract")))
	return false, false
}

// columnsOf describes a data source's fields for its documents.
func columnsOf(datasource string) []render.Column {
	t, ok := sampledata.Get(datasource)
	if !ok {
		return nil
	}
	cols := make([]render.Column, len(t.Columns))
	for i, col := range t.Columns {
		rc := render.Column{Name: col.Name, DataType: strings.ToLower(col.DataType), Role: strings.ToLower(col.Role), Type: "nominal"}
		switch {
		case col.Role == sampledata.RoleMeasure:
			rc.Type = "quantitative"
		case col.DataType == sampledata.TypeDate || col.DataType == sampledata.TypeDateTime:
			rc.Type = "ordinal"
		}
		cols[i] = rc
	}
	return cols
}

// GET /workbooks/{id}/content[?includeExtract=false]: a .twbx (with a
// placeholder extract of Config.ExtractBytes) for a workbook with extracts,
// a .twb otherwise or when the extract is left out.
func hWorkbookContent(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	withExtract, ok := c.includeExtract()
	if !ok {
		return
	}
	ds := ""
	if len(w.conns) > 0 {
		ds = w.conns[0].dsName
	}
	var views []string
	for _, v := range c.site.viewsOf(w.id) {
		views = append(views, v.name)
		if ds == "" {
			ds = v.chartDatasource
		}
	}
	doc := render.TWBWithColumns(w.name, ds, views, columnsOf(ds))
	name := render.FileName(w.name)
	if w.hasExtracts && withExtract {
		extra, base := c.e.cfg.ExtractBytes, w.name
		c.streamFile(ctBin, name+".twbx", func(out io.Writer) error { return render.TWBX(out, base, doc, extra) })
		return
	}
	c.file(ctTWB, name+".twb", func() ([]byte, error) { return doc, nil })
}

// GET /datasources/{id}/content[?includeExtract=false]: .tdsx or .tds.
func hDatasourceContent(c *call) {
	d, ok := c.findDatasource()
	if !ok {
		return
	}
	withExtract, ok := c.includeExtract()
	if !ok {
		return
	}
	doc := render.TDSWithColumns(d.name, columnsOf(d.name))
	name := render.FileName(d.name)
	if d.hasExtracts && withExtract {
		extra, base := c.e.cfg.ExtractBytes, d.name
		c.streamFile(ctBin, name+".tdsx", func(out io.Writer) error { return render.TDSX(out, base, doc, extra) })
		return
	}
	c.file(ctTWB, name+".tds", func() ([]byte, error) { return doc, nil })
}
