package tools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tableau-mcp/tableau-mcp/internal/lazy"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ExportOptions bound what the export tools put inside a result and say
// where downloads go.
type ExportOptions struct {
	// Dir is where downloads are written (and exports too large to return
	// inline). Empty: nothing is written to disk.
	Dir string
	// MaxInlineBytes is the largest file returned inside a result or a
	// resources/read answer (default DefaultMaxInlineBytes).
	MaxInlineBytes int64
	// MaxImageBytes is the largest PNG returned as image content for the
	// model to see (default DefaultMaxImageBytes); larger ones are offered
	// as a resource.
	MaxImageBytes int64
	// MaxCSVChars is how much of a view's CSV the result shows as text
	// (default DefaultMaxCSVChars); the whole file stays a resource.
	MaxCSVChars int
	// ImportDir is the only directory files are published from; empty:
	// the publish tools publish nothing.
	ImportDir string
	// ChunkBytes is the largest file published in one request, and the
	// size of each chunk of a larger one (default DefaultChunkBytes).
	ChunkBytes int64
}

// Defaults of ExportOptions.
const (
	DefaultMaxInlineBytes = 20 << 20
	// DefaultMaxImageBytes is 3.75 MiB, 5 MiB once base64-encoded: the
	// image limit of common multimodal models.
	DefaultMaxImageBytes = 3840 << 10
	DefaultMaxCSVChars   = 50000
)

// WithDefaults fills unset limits with the defaults.
func (o ExportOptions) WithDefaults() ExportOptions {
	if o.MaxInlineBytes <= 0 {
		o.MaxInlineBytes = DefaultMaxInlineBytes
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = DefaultMaxImageBytes
	}
	if o.MaxCSVChars <= 0 {
		o.MaxCSVChars = DefaultMaxCSVChars
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = DefaultChunkBytes
	}
	return o
}

// ---- arguments ----

// ViewExportArgs are what every view export shares.
type ViewExportArgs struct {
	ViewRef
	MaxAge int `json:"max_age,omitempty" jsonschema:"minimum=1" jsonschema_description:"Minutes a cached export may be old."`
}

// ViewFilterArgs filter a view before it is exported.
type ViewFilterArgs struct {
	ViewFilters map[string]string `json:"view_filters,omitempty" jsonschema_description:"Filter first, e.g. {\"Region\":\"East,West\"}."`
}

// Validate checks the filters before they become query parameters.
func (f ViewFilterArgs) Validate() error { return checkViewFilters(f.ViewFilters) }

// ViewImageArgs are the arguments of tableau_view_image_get.
type ViewImageArgs struct {
	ViewExportArgs
	Format     string `json:"format,omitempty" jsonschema:"enum=PNG"`
	Resolution string `json:"resolution,omitempty" jsonschema:"enum=standard,enum=high"`
	VizWidth   int    `json:"viz_width,omitempty" jsonschema:"minimum=100,maximum=4000"`
	VizHeight  int    `json:"viz_height,omitempty" jsonschema:"minimum=100,maximum=4000"`
	ViewFilterArgs
}

// ViewPDFArgs are the arguments of tableau_view_pdf_get.
type ViewPDFArgs struct {
	ViewExportArgs
	Type        string `json:"type,omitempty" jsonschema:"enum=a3,enum=a4,enum=a5,enum=b4,enum=b5,enum=executive,enum=folio,enum=ledger,enum=legal,enum=letter,enum=note,enum=quarto,enum=tabloid,enum=unspecified"`
	Orientation string `json:"orientation,omitempty" jsonschema:"enum=portrait,enum=landscape"`
	VizWidth    int    `json:"viz_width,omitempty" jsonschema:"minimum=100,maximum=4000"`
	VizHeight   int    `json:"viz_height,omitempty" jsonschema:"minimum=100,maximum=4000"`
}

// ViewDataArgs are the arguments of tableau_view_data_get and
// tableau_view_crosstab_get.
type ViewDataArgs struct {
	ViewExportArgs
	ViewFilterArgs
}

// DownloadArgs say whether a download includes the extract.
type DownloadArgs struct {
	IncludeExtract *bool `json:"include_extract,omitempty" jsonschema_description:"false leaves the extract out (smaller)."`
}

// WorkbookDownloadArgs are the arguments of tableau_workbook_download.
type WorkbookDownloadArgs struct {
	WorkbookRef
	DownloadArgs
}

// DatasourceDownloadArgs are the arguments of tableau_datasource_download.
type DatasourceDownloadArgs struct {
	DatasourceRef
	DownloadArgs
}

const maxViewFilters = 32

// checkViewFilters keeps view filters to names and values that Tableau can
// take as vf_ parameters: no control characters, bounded lengths.
func checkViewFilters(m map[string]string) error {
	if len(m) > maxViewFilters {
		return fmt.Errorf("view_filters has %d fields; at most %d are allowed", len(m), maxViewFilters)
	}
	for k, v := range m {
		field := strings.TrimPrefix(k, "vf_")
		if _, twice := m["vf_"+field]; twice && k == field {
			return fmt.Errorf("view_filters names the field %q twice (as %q and %q); give it once, e.g. {%q:\"East,West\"} for several values", clip(field), clip(field), clip("vf_"+field), clip(field))
		}
		switch {
		case strings.TrimSpace(field) == "":
			return fmt.Errorf("view_filters has an empty field name; write {\"Region\":\"East\"}")
		case len(field) > 200 || !utf8.ValidString(field) || strings.IndexFunc(field, unicode.IsControl) >= 0:
			return fmt.Errorf("view_filters field %q is not a field name (at most 200 characters, no control characters)", clip(field))
		case v == "":
			return fmt.Errorf("view_filters field %q has no value; give the value to keep, e.g. {%q:\"East\"}", clip(field), clip(field))
		case len(v) > 2000 || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0:
			return fmt.Errorf("view_filters value for %q is too long or holds control characters", clip(field))
		}
	}
	return nil
}

// ---- what each export asks for ----

type exportKind int

const (
	kindImage exportKind = iota
	kindPDF
	kindCSV
	kindXLSX
	kindContent
)

// exportSpec is one export: the request, the formats that may answer it,
// and the tableau:// URI under which resources/read fetches the same thing.
type exportSpec struct {
	kind     exportKind
	tool     string // the tool that makes it
	what     string // "the image of view <id>", for messages
	req      backend.Request
	uri      string
	formats  []format
	fallback string   // file name (without extension) when Tableau gives none
	notes    []string // the options asked for, for the summary
	// filters are the view filters sent, target the view they name fields
	// of; filtersChecked is set once their names were found in its data.
	filters        []viewFilter
	target         filterTarget
	filtersChecked bool
}

// viewFilter is one vf_<field>=value parameter.
type viewFilter struct{ field, value string }

// exporter is implemented by the argument structs of the export tools.
type exporter interface {
	export() exportSpec
}

// options collects an export's settings twice: as Tableau's query
// parameters and as the query of its tableau:// URI (named like the tool's
// parameters).
type options struct {
	rest, uri url.Values
	notes     []string
	vf        []viewFilter
}

func newOptions() *options { return &options{rest: url.Values{}, uri: url.Values{}} }

func (o *options) set(restName, param, value, note string) {
	if value == "" || value == "0" {
		return
	}
	if restName != "" {
		o.rest.Set(restName, value)
	}
	o.uri.Set(param, value)
	if note != "" {
		o.notes = append(o.notes, note)
	}
}

func (o *options) maxAge(n int) {
	o.set("maxAge", "max_age", itoa(n), "cached up to "+itoa(n)+" min")
}

func (o *options) filters(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, strings.TrimPrefix(k, "vf_"))
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := m[k]
		if !ok {
			v = m["vf_"+k]
		}
		o.rest.Set("vf_"+k, v)
		o.uri.Set("vf_"+k, v)
		o.vf = append(o.vf, viewFilter{k, v})
	}
}

// filterNote says what became of the view filters: applied when their
// names were found in the view's data, otherwise sent unverified.
func (x exportSpec) filterNote() string {
	if len(x.filters) == 0 {
		return ""
	}
	parts := make([]string, len(x.filters))
	for i, f := range x.filters {
		parts[i] = f.field + "=" + f.value
	}
	if x.filtersChecked {
		return ", filtered " + strings.Join(parts, ", ")
	}
	return "; view_filters " + strings.Join(parts, ", ") + " sent but not verified: the view's fields could not be read, and Tableau ignores a filter whose field name does not match exactly"
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// resourceURI is tableau://<collection>/<id>/<kind>, with the options as a
// query whose every character a URI template's form-style query matches.
func resourceURI(collection, id, kind string, q url.Values) string {
	u := "tableau://" + collection + "/" + url.PathEscape(id) + "/" + kind
	if len(q) > 0 {
		u += "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
	}
	return u
}

func (a *ViewImageArgs) export() exportSpec {
	o := newOptions()
	if a.Resolution == "high" {
		o.set("resolution", "resolution", "high", "high resolution")
	}
	o.maxAge(a.MaxAge)
	o.set("vizWidth", "viz_width", itoa(a.VizWidth), "")
	o.set("vizHeight", "viz_height", itoa(a.VizHeight), "")
	o.filters(a.ViewFilters)
	return exportSpec{kind: kindImage, tool: "tableau_view_image_get", what: "the image of view " + a.ViewID,
		req:     get(backend.SiteScope, backend.Segments("views", a.ViewID, "image"), o.rest),
		uri:     resourceURI("views", a.ViewID, "image", o.uri),
		formats: []format{fmtPNG}, fallback: "view-" + a.ViewID, notes: o.notes,
		filters: o.vf, target: filterTarget{"views", a.ViewID}}
}

func (a *ViewPDFArgs) export() exportSpec {
	o := newOptions()
	o.set("type", "type", a.Type, "page type "+a.Type)
	o.set("orientation", "orientation", a.Orientation, a.Orientation)
	o.maxAge(a.MaxAge)
	o.set("vizWidth", "viz_width", itoa(a.VizWidth), "")
	o.set("vizHeight", "viz_height", itoa(a.VizHeight), "")
	if a.Type == "" {
		o.notes = append([]string{"Tableau's default page type"}, o.notes...)
	}
	return exportSpec{kind: kindPDF, tool: "tableau_view_pdf_get", what: "the PDF of view " + a.ViewID,
		req:     get(backend.SiteScope, backend.Segments("views", a.ViewID, "pdf"), o.rest),
		uri:     resourceURI("views", a.ViewID, "pdf", o.uri),
		formats: []format{fmtPDF}, fallback: "view-" + a.ViewID, notes: o.notes}
}

func (a *ViewDataArgs) spec(crosstab bool) exportSpec {
	o := newOptions()
	o.maxAge(a.MaxAge)
	o.filters(a.ViewFilters)
	if crosstab {
		return exportSpec{kind: kindXLSX, tool: "tableau_view_crosstab_get", what: "the crosstab of view " + a.ViewID,
			req:     get(backend.SiteScope, backend.Segments("views", a.ViewID, "crosstab", "excel"), o.rest),
			uri:     resourceURI("views", a.ViewID, "crosstab", o.uri),
			formats: []format{fmtXLSX}, fallback: "view-" + a.ViewID, notes: o.notes,
			filters: o.vf, target: filterTarget{"views", a.ViewID}}
	}
	return exportSpec{kind: kindCSV, tool: "tableau_view_data_get", what: "the data of view " + a.ViewID,
		req:     get(backend.SiteScope, backend.Segments("views", a.ViewID, "data"), o.rest),
		uri:     resourceURI("views", a.ViewID, "data", o.uri),
		formats: []format{fmtCSV}, fallback: "view-" + a.ViewID, notes: o.notes,
		filters: o.vf, target: filterTarget{"views", a.ViewID}}
}

// ViewCrosstabArgs are the arguments of tableau_view_crosstab_get.
type ViewCrosstabArgs struct{ ViewDataArgs }

func (a *ViewDataArgs) export() exportSpec     { return a.spec(false) }
func (a *ViewCrosstabArgs) export() exportSpec { return a.ViewDataArgs.spec(true) }

func (d DownloadArgs) options() *options {
	o := newOptions()
	if d.IncludeExtract != nil && !*d.IncludeExtract {
		o.set("includeExtract", "include_extract", "false", "without the extract")
	}
	return o
}

func (a *WorkbookDownloadArgs) export() exportSpec {
	o := a.options()
	return exportSpec{kind: kindContent, tool: "tableau_workbook_download", what: "the content of workbook " + a.WorkbookID,
		req:     get(backend.SiteScope, workbookPath(a.WorkbookID, "content"), o.rest),
		uri:     resourceURI("workbooks", a.WorkbookID, "content", o.uri),
		formats: []format{fmtTWBX, fmtTWB}, fallback: "workbook-" + a.WorkbookID, notes: o.notes}
}

func (a *DatasourceDownloadArgs) export() exportSpec {
	o := a.options()
	return exportSpec{kind: kindContent, tool: "tableau_datasource_download", what: "the content of data source " + a.DatasourceID,
		req:     get(backend.SiteScope, datasourcePath(a.DatasourceID, "content"), o.rest),
		uri:     resourceURI("datasources", a.DatasourceID, "content", o.uri),
		formats: []format{fmtTDSX, fmtTDS}, fallback: "datasource-" + a.DatasourceID, notes: o.notes}
}

// ---- fetching ----

// fetchMode says where an export may go.
type fetchMode int

const (
	// inMemory: the file is returned whole, or refused over MaxInlineBytes
	// (resources/read).
	inMemory fetchMode = iota
	// memoryOrDisk: in memory; over the limit, written to Dir when there is
	// one (view exports).
	memoryOrDisk
	// toDisk: written to Dir when there is one, otherwise as inMemory
	// (workbook and data source downloads).
	toDisk
)

// fetched is an export as received and checked.
type fetched struct {
	format format
	name   string // safe file name
	data   []byte // the whole file, when held in memory
	path   string // where it was written, when on disk
	size   int64
}

// fetch runs an export through the backend's streaming Open, checks that
// what came back is the file asked for, and keeps it in memory or streams
// it to the export directory. It is the one implementation behind the
// export tools and the resource templates.
func fetch(ctx context.Context, env *Env, x exportSpec, mode fetchMode) (*fetched, error) {
	f, err := fetchFile(ctx, env, x, mode)
	if err == nil {
		reportBytes(ctx, f.size, f.size, x.what)
	}
	return f, err
}

func fetchFile(ctx context.Context, env *Env, x exportSpec, mode fetchMode) (*fetched, error) {
	opts := env.Exports.WithDefaults()
	backend.Progress(ctx, 0, 0, "asking Tableau for "+x.what)
	resp, err := env.Backend.Open(ctx, x.req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	br := bufio.NewReaderSize(withProgress(ctx, resp.Body, resp.ContentLength, x.what), 64<<10)
	head, err := br.Peek(sniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("reading %s from Tableau: %w", x.what, err)
	}
	f, ok := sniff(head, x.formats)
	if !ok {
		body, _ := io.ReadAll(io.LimitReader(br, 64<<10))
		return nil, unexpected(x.what, x.formats, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	out := &fetched{format: f, name: fileName(resp.Header.Get("Content-Disposition"), f, x.fallback)}
	canSpill := opts.Dir != "" && mode != inMemory
	if (mode == toDisk && opts.Dir != "") || (canSpill && resp.ContentLength > opts.MaxInlineBytes) {
		out.path, out.size, err = saveFile(opts.Dir, out.name, br, f)
		return out, err
	}
	if resp.ContentLength > opts.MaxInlineBytes {
		return nil, tooLarge(x, mode, resp.ContentLength, opts)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(br, opts.MaxInlineBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s from Tableau: %w", x.what, err)
	}
	if n > opts.MaxInlineBytes {
		if !canSpill {
			return nil, tooLarge(x, mode, -1, opts)
		}
		out.path, out.size, err = saveFile(opts.Dir, out.name, io.MultiReader(&buf, br), f)
		return out, err
	}
	out.data, out.size = buf.Bytes(), n
	if f.verify != nil {
		if err := f.verify(bytes.NewReader(out.data), n); err != nil {
			return nil, backend.Userf("Tableau's answer for %s is not a valid %s: %v.", x.what, f.what, err)
		}
	}
	return out, nil
}

func tooLarge(x exportSpec, mode fetchMode, size int64, opts ExportOptions) error {
	how := "larger than"
	if size > 0 {
		how = humanBytes(size) + ", over"
	}
	msg := fmt.Sprintf("%s is %s the %s limit for files returned inline (TABLEAU_MCP_MAX_INLINE_BYTES).", capitalize(x.what), how, humanBytes(opts.MaxInlineBytes))
	switch {
	case mode == inMemory && opts.Dir != "":
		msg += fmt.Sprintf(" Call %s instead: with the export directory configured it writes the file to disk and returns its path.", x.tool)
	case mode == inMemory:
		msg += fmt.Sprintf(" Set TABLEAU_MCP_EXPORT_DIR (--export-dir) and call %s, which then streams the file to that directory and returns its path; or raise TABLEAU_MCP_MAX_INLINE_BYTES.", x.tool)
	default:
		msg += " Set TABLEAU_MCP_EXPORT_DIR (--export-dir) so that large files are streamed to that directory and the result gives their path, or raise TABLEAU_MCP_MAX_INLINE_BYTES."
	}
	if x.kind == kindContent {
		msg += " Downloading without the extract (include_extract false) is much smaller."
	}
	if x.kind == kindImage || x.kind == kindPDF {
		msg += " A smaller viz_width and viz_height also help."
	}
	return backend.Userf("%s", msg)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ---- results ----

func exportTool[A any, P interface {
	*A
	exporter
}](t Tool) Tool {
	return define(t, func(ctx context.Context, env *Env, a *A) (*mcp.CallToolResult, error) {
		x := P(a).export()
		if err := checkFilterFields(ctx, env, &x); err != nil {
			return nil, err
		}
		mode := memoryOrDisk
		if x.kind == kindContent {
			mode = toDisk
		}
		f, err := fetch(ctx, env, x, mode)
		if err != nil {
			return nil, err
		}
		return present(env.Exports.WithDefaults(), x, f), nil
	})
}

// present turns a fetched export into the tool's result: a summary line,
// the file in the form a client shows best, and a resource_link to it.
func present(opts ExportOptions, x exportSpec, f *fetched) *mcp.CallToolResult {
	var content []mcp.Content
	summary := fmt.Sprintf("%s (%s", capitalize(x.what), f.name)
	if x.kind == kindImage && f.data != nil {
		if w, h, err := pngSize(f.data); err == nil {
			summary += fmt.Sprintf(", %d×%d px", w, h)
		}
	}
	if x.kind == kindPDF && f.data != nil {
		if n := pdfPageCount(f.data); n > 0 {
			summary += fmt.Sprintf(", %d page%s", n, plural(n))
		}
	}
	summary += ", " + humanBytes(f.size)
	for _, n := range x.notes {
		summary += ", " + n
	}
	summary += x.filterNote() + ")."
	if f.path != "" {
		summary += " Saved to " + f.path + "."
		if f.data == nil && x.kind != kindContent {
			summary += fmt.Sprintf(" It is over the %s limit for returning files inline (TABLEAU_MCP_MAX_INLINE_BYTES).", humanBytes(opts.MaxInlineBytes))
		}
	}
	link := mcp.NewResourceLink(x.uri, f.name, capitalize(x.what)+" ("+humanBytes(f.size)+").", f.format.mime)
	size := f.size
	link.Size = &size

	switch {
	case f.data == nil:
		content = append(content, mcp.NewTextContent(summary))
	case x.kind == kindImage:
		if f.size <= opts.MaxImageBytes {
			content = append(content, mcp.NewTextContent(summary), mcp.NewImageContent(base64.StdEncoding.EncodeToString(f.data), f.format.mime))
		} else {
			content = append(content, mcp.NewTextContent(summary+fmt.Sprintf(
				" The image is over the %s limit for images shown inline (TABLEAU_MCP_MAX_IMAGE_BYTES), so it is offered as a resource: read %s with resources/read, or ask for a smaller one (lower viz_width and viz_height, standard resolution).",
				humanBytes(opts.MaxImageBytes), x.uri)))
		}
	case x.kind == kindCSV:
		content = append(content, csvContent(opts, x, f, summary)...)
	default:
		content = append(content, mcp.NewTextContent(summary), mcp.NewEmbeddedResource(resourceContents(x.uri, f)))
	}
	content = append(content, link)
	return &mcp.CallToolResult{Content: content}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// resourceContents is the file as MCP resource contents: text for CSV and
// XML documents, base64 otherwise.
func resourceContents(uri string, f *fetched) mcp.ResourceContents {
	if f.format.text && utf8.Valid(f.data) {
		return mcp.TextResourceContents{URI: uri, MIMEType: f.format.mime, Text: string(f.data)}
	}
	return mcp.BlobResourceContents{URI: uri, MIMEType: f.format.mime, Blob: base64.StdEncoding.EncodeToString(f.data)}
}

// csvContent shows the CSV as text with its shape, cut at MaxCSVChars on a
// record boundary with a note saying how to get the rest.
func csvContent(opts ExportOptions, x exportSpec, f *fetched, summary string) []mcp.Content {
	info, err := csvShape(f.data)
	if err != nil {
		return []mcp.Content{mcp.NewTextContent(summary), mcp.NewTextContent(string(f.data))}
	}
	summary = strings.TrimSuffix(summary, ".") + fmt.Sprintf(": %d row%s × %d column%s after the header row.", info.rows, plural(info.rows), info.cols, plural(info.cols))
	total := utf8.RuneCount(f.data)
	if total <= opts.MaxCSVChars {
		return []mcp.Content{mcp.NewTextContent(summary), mcp.NewTextContent(string(f.data))}
	}
	// Keep whole records while they fit; the header always.
	cut, shown, chars := info.ends[0], 0, utf8.RuneCount(f.data[:info.ends[0]])
	for i := 1; i < len(info.ends); i++ {
		c := chars + utf8.RuneCount(f.data[info.ends[i-1]:info.ends[i]])
		if c > opts.MaxCSVChars {
			break
		}
		cut, shown, chars = info.ends[i], i, c
	}
	note := fmt.Sprintf("[Cut: shown are the header and the first %d of %d rows (%d of %d characters; the limit is TABLEAU_MCP_MAX_CSV_CHARS=%d). The whole file is the resource %s: read it with resources/read. Or narrow the export with view_filters, e.g. {\"<field>\":\"<value>\"}.]",
		shown, info.rows, chars, total, opts.MaxCSVChars, x.uri)
	return []mcp.Content{mcp.NewTextContent(summary), mcp.NewTextContent(string(f.data[:cut])), mcp.NewTextContent(note)}
}

var (
	pdfPageObj = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`/Type\s*/Page\b`) }}
)

// pdfPageCount counts page objects written plainly; 0 when they are inside
// compressed object streams.
func pdfPageCount(b []byte) int { return len(pdfPageObj.Get().FindAll(b, -1)) }

// ---- the tools ----

func exportTools() []Tool {
	return []Tool{
		exportTool[ViewImageArgs](Tool{
			Name: "tableau_view_image_get", Title: "Get a view as an image", Kind: Read, Idempotent: true, Source: SK, Toolset: "exports",
			Description: "Render a view as a PNG you can look at, with a resource link to read it again.",
		}),
		exportTool[ViewPDFArgs](Tool{
			Name: "tableau_view_pdf_get", Title: "Get a view as a PDF", Kind: Read, Idempotent: true, Source: SK, Toolset: "exports",
			Description: "Render a view as a PDF resource, with a one-line summary.",
		}),
		exportTool[ViewDataArgs](Tool{
			Name: "tableau_view_data_get", Title: "Get a view's data as CSV", Kind: Read, Idempotent: true, Source: SK, Toolset: "exports",
			Description: "Get a view's data as CSV text; long data is cut, the whole stays a resource.",
		}),
		exportTool[ViewCrosstabArgs](Tool{
			Name: "tableau_view_crosstab_get", Title: "Get a view as an Excel crosstab", Kind: Read, Idempotent: true, Source: New, Toolset: "exports",
			Description: "Export a view's crosstab as an Excel .xlsx resource.",
		}),
		exportTool[WorkbookDownloadArgs](Tool{
			Name: "tableau_workbook_download", Title: "Download a workbook", Kind: Read, Idempotent: true, Source: New, Toolset: "exports",
			Description: "Download a workbook file (.twbx or .twb): into the export directory if set, else inline.",
		}),
		exportTool[DatasourceDownloadArgs](Tool{
			Name: "tableau_datasource_download", Title: "Download a data source", Kind: Read, Idempotent: true, Source: New, Toolset: "exports",
			Description: "Download a data source file (.tdsx or .tds): into the export directory if set, else inline.",
		}),
	}
}

// ---- resource templates ----

// Resource is a resource template whose reads run the same code as the
// export tool it belongs to.
type Resource struct {
	Template mcp.ResourceTemplate
	// Tool is the export tool behind the template: a caller may list and
	// read the template only when that tool is served to them.
	Tool string
	// Args parses a URI matching the template into the tool's decoded,
	// checked arguments (as Tool.Decode returns them).
	Args func(uri string) (any, error)
	// Fetch reads the file for a URI whose arguments Args returned.
	Fetch func(ctx context.Context, env *Env, uri string, args any) ([]mcp.ResourceContents, error)
}

// Read answers resources/read for a URI matching the template, unguarded.
func (r Resource) Read(ctx context.Context, env *Env, uri string) ([]mcp.ResourceContents, error) {
	args, err := r.Args(uri)
	if err != nil {
		return nil, err
	}
	return r.Fetch(ctx, env, uri, args)
}

type resourceDef struct {
	collection, kind, idParam, tool, mime, title, description string
}

var resourceDefs = []resourceDef{
	{"views", "image", "view_id", "tableau_view_image_get", "image/png", "View image (PNG)",
		"A view rendered as a PNG image, as tableau_view_image_get returns it."},
	{"views", "pdf", "view_id", "tableau_view_pdf_get", "application/pdf", "View PDF",
		"A view rendered as a PDF document, as tableau_view_pdf_get returns it."},
	{"views", "data", "view_id", "tableau_view_data_get", "text/csv", "View data (CSV)",
		"The whole CSV of a view's data, as tableau_view_data_get fetches it."},
	{"views", "crosstab", "view_id", "tableau_view_crosstab_get", fmtXLSX.mime, "View crosstab (Excel)",
		"A view's crosstab as an Excel workbook, as tableau_view_crosstab_get returns it."},
	{"customviews", "image", "custom_view_id", "tableau_custom_view_image_get", "image/png", "Custom view image (PNG)",
		"A custom view rendered as a PNG image, as tableau_custom_view_image_get returns it."},
	{"customviews", "data", "custom_view_id", "tableau_custom_view_data_get", "text/csv", "Custom view data (CSV)",
		"The whole CSV of a custom view's data, as tableau_custom_view_data_get fetches it."},
	{"workbooks", "content", "workbook_id", "tableau_workbook_download", "", "Workbook file (.twbx or .twb)",
		"A workbook's file, as tableau_workbook_download fetches it; refused over the inline size limit."},
	{"datasources", "content", "datasource_id", "tableau_datasource_download", "", "Data source file (.tdsx or .tds)",
		"A published data source's file, as tableau_datasource_download fetches it; refused over the inline size limit."},
}

// resourceArgsOf parses a tableau:// URI into the arguments of the
// export's tool and checks them as a tool call would.
func resourceArgsOf(d resourceDef, uri string) (any, error) {
	t, err := ByName(d.tool)
	if err != nil {
		return nil, err
	}
	args, err := resourceArgs(t, d, uri)
	if err != nil {
		return nil, err
	}
	a, err := t.decode(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", clip(uri), err)
	}
	return a, nil
}

// fetchResource fetches the file whole.
func fetchResource(ctx context.Context, env *Env, d resourceDef, uri string, args any) ([]mcp.ResourceContents, error) {
	t, err := ByName(d.tool)
	if err != nil {
		return nil, err
	}
	t = t.full()
	x, ok := args.(exporter)
	if !ok || reflect.TypeOf(args) != reflect.PointerTo(t.args) {
		return nil, fmt.Errorf("%s: arguments of type %T, not parsed from this resource", clip(uri), args)
	}
	spec := x.export()
	if err := checkFilterFields(ctx, env, &spec); err != nil {
		return nil, err
	}
	f, err := fetch(ctx, env, spec, inMemory)
	if err != nil {
		return nil, errors.New(explain(t, err))
	}
	return []mcp.ResourceContents{resourceContents(uri, f)}, nil
}

func resourceArgs(t Tool, d resourceDef, uri string) (map[string]any, error) {
	t = t.full()
	u, err := url.Parse(uri)
	prefix := "/"
	if err != nil || u.Scheme != "tableau" || u.Host != d.collection || !strings.HasPrefix(u.Path, prefix) {
		return nil, fmt.Errorf("%q is not a tableau://%s/{%s}/%s URI", clip(uri), d.collection, d.idParam, d.kind)
	}
	id, kind, ok := strings.Cut(strings.TrimPrefix(u.Path, prefix), "/")
	if !ok || kind != d.kind {
		return nil, fmt.Errorf("%q is not a tableau://%s/{%s}/%s URI", clip(uri), d.collection, d.idParam, d.kind)
	}
	args := map[string]any{d.idParam: id}
	types := map[string]reflect.Kind{}
	for _, f := range fieldsOf(t.args) {
		ft := t.args.FieldByIndex(f.index).Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		types[f.name] = ft.Kind()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%q: the query does not parse: %v", clip(uri), err)
	}
	filters := map[string]any{}
	for k, vs := range q {
		v := vs[len(vs)-1]
		if field, ok := strings.CutPrefix(k, "vf_"); ok && types["view_filters"] == reflect.Map {
			filters[field] = v
			continue
		}
		kind, ok := types[k]
		if !ok || k == d.idParam || k == "view_filters" {
			return nil, fmt.Errorf("%q: %q is not an option of this resource; its options are the parameters of %s", clip(uri), k, t.Name)
		}
		switch kind {
		case reflect.Int:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%q: %s must be a whole number, not %q", clip(uri), k, clip(v))
			}
			args[k] = n
		case reflect.Bool:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%q: %s must be true or false, not %q", clip(uri), k, clip(v))
			}
			args[k] = b
		default:
			args[k] = v
		}
	}
	if len(filters) > 0 {
		args["view_filters"] = filters
	}
	return args, nil
}
