package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
)

// DefaultMetadataTTL is how long a data source's metadata is reused by the
// query checks unless configured otherwise.
const DefaultMetadataTTL = 5 * time.Minute

// maxCachedMetadata bounds the cache: a long-running HTTP server serving
// many users must not grow without end.
const maxCachedMetadata = 512

// MetadataCache keeps data source metadata for a short time, per backend,
// caller identity and data source, so that checking a query costs no extra
// call in a conversation that queries one data source repeatedly, and two
// callers never share what one of them may read.
type MetadataCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedMetadata
}

type cachedMetadata struct {
	md      *dsMetadata
	expires time.Time
}

// NewMetadataCache returns a cache keeping entries for ttl; a ttl of 0 or
// less keeps nothing (every query check reads the metadata afresh).
func NewMetadataCache(ttl time.Duration) *MetadataCache {
	return &MetadataCache{ttl: ttl, now: time.Now, entries: map[string]cachedMetadata{}}
}

func metadataKey(ctx context.Context, b backend.Backend, luid string) string {
	id, _ := auth.IdentityFrom(ctx)
	return b.Name() + "\x00" + id + "\x00" + strings.ToLower(luid)
}

func (c *MetadataCache) get(key string) (*dsMetadata, bool) {
	if c == nil || c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.md, true
}

func (c *MetadataCache) put(key string, md *dsMetadata) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.entries) >= maxCachedMetadata {
		var oldestKey string
		var oldest time.Time
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
				continue
			}
			if oldestKey == "" || e.expires.Before(oldest) {
				oldestKey, oldest = k, e.expires
			}
		}
		if len(c.entries) >= maxCachedMetadata {
			delete(c.entries, oldestKey)
		}
	}
	c.entries[key] = cachedMetadata{md: md, expires: now.Add(c.ttl)}
}

func (c *MetadataCache) drop(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// fieldMeta is the part of the VDS FieldMetadata the tools use.
type fieldMeta struct {
	FieldName          string `json:"fieldName"`
	FieldCaption       string `json:"fieldCaption"`
	DataType           string `json:"dataType"`
	FieldRole          string `json:"fieldRole"`
	DefaultAggregation string `json:"defaultAggregation"`
	ColumnClass        string `json:"columnClass"`
	Description        string `json:"description"`
	Hidden             bool   `json:"hidden"`
}

// role is fieldRole when the service gives it, otherwise derived from the
// default aggregation: a numeric aggregation makes a measure.
func (f fieldMeta) role() string {
	if f.FieldRole == "MEASURE" || f.FieldRole == "DIMENSION" {
		return f.FieldRole
	}
	if contains(numericFunctions, f.DefaultAggregation) {
		return "MEASURE"
	}
	return "DIMENSION"
}

type dsMetadata struct {
	fields     []fieldMeta
	parameters []map[string]any
	byCaption  map[string]*fieldMeta

	// members keeps the members of text dimensions read to check SET
	// filter values, for as long as the metadata itself is kept.
	mu      sync.Mutex
	members map[string][]string
}

// parseMetadata reads the /read-metadata answer
// {"data":[FieldMetadata...],"extraData":{"parameters":[...]}}.
func parseMetadata(raw json.RawMessage) (*dsMetadata, error) {
	var out struct {
		Data      []fieldMeta `json:"data"`
		ExtraData struct {
			Parameters []map[string]any `json:"parameters"`
		} `json:"extraData"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("the VizQL Data Service's metadata answer is not in the documented form: %v", err)
	}
	md := &dsMetadata{fields: out.Data, parameters: out.ExtraData.Parameters, byCaption: map[string]*fieldMeta{}}
	for i := range md.fields {
		md.byCaption[md.fields[i].FieldCaption] = &md.fields[i]
	}
	return md, nil
}

func readMetadataCall(luid string) backend.Call {
	return backend.Call{
		Tool:    "tableau_datasource_metadata_get",
		Forward: false, // Scalekit's connector has no such tool: over the proxy
		Params:  map[string]any{"datasource_luid": luid},
		Request: backend.Request{Method: http.MethodPost, Scope: backend.VDSScope, Path: "/read-metadata",
			Body: map[string]any{"datasource": map[string]any{"datasourceLuid": luid}}},
	}
}

// metadata returns a data source's metadata, from the cache when fresh.
func metadata(ctx context.Context, env *Env, luid string) (*dsMetadata, error) {
	key := metadataKey(ctx, env.Backend, luid)
	if md, ok := env.Metadata.get(key); ok {
		return md, nil
	}
	raw, err := env.Backend.Invoke(ctx, readMetadataCall(luid))
	if err != nil {
		return nil, err
	}
	md, err := parseMetadata(raw)
	if err != nil {
		return nil, err
	}
	env.Metadata.put(key, md)
	return md, nil
}

// compact is the metadata as the model sees it: one short object per field.
func (md *dsMetadata) compact(luid string) map[string]any {
	type field struct {
		Caption            string `json:"caption"`
		DataType           string `json:"dataType"`
		Role               string `json:"role"`
		DefaultAggregation string `json:"defaultAggregation,omitempty"`
		Description        string `json:"description,omitempty"`
		Calculated         bool   `json:"calculated,omitempty"`
	}
	fields := make([]field, 0, len(md.fields))
	for _, f := range md.fields {
		if f.Hidden {
			continue
		}
		fields = append(fields, field{
			Caption: f.FieldCaption, DataType: f.DataType, Role: f.role(),
			DefaultAggregation: f.DefaultAggregation, Description: f.Description,
			Calculated: f.ColumnClass == "CALCULATION" || f.ColumnClass == "TABLE_CALCULATION",
		})
	}
	params := make([]map[string]any, 0, len(md.parameters))
	for _, p := range md.parameters {
		c := map[string]any{}
		for _, k := range []string{"parameterCaption", "parameterType", "dataType", "value", "min", "max", "step", "minDate", "maxDate", "periodType", "periodValue", "members"} {
			if v, ok := p[k]; ok && v != nil {
				c[k] = v
			}
		}
		params = append(params, c)
	}
	usage := "In tableau_query_view name fields by caption; give measures a function (SUM, AVG, COUNT, ...), leave dimensions without one, and group dates with YEAR, QUARTER, MONTH, DAY or TRUNC_MONTH and the like."
	if len(params) > 0 {
		ex, _ := json.Marshal([]Parameter{{ParameterCaption: fmt.Sprint(params[0]["parameterCaption"]), Value: params[0]["value"]}})
		usage += " Set parameters for one query with parameters " + string(ex) + "."
	}
	return map[string]any{
		"datasource_luid": luid,
		"fields":          fields,
		"parameters":      params,
		"usage":           usage,
	}
}

// valueType is the data type a field yields with fn applied.
func valueType(fn, dataType string) string {
	switch {
	case contains(datePartFunctions, fn), fn == "COUNT", fn == "COUNTD":
		return "INTEGER"
	case fn == "AVG", fn == "MEDIAN", fn == "STDEV", fn == "VAR":
		return "REAL"
	}
	return dataType
}

func isNumeric(t string) bool { return t == "INTEGER" || t == "REAL" }
func isDate(t string) bool    { return t == "DATE" || t == "DATETIME" }

// functionProblem says why fn cannot apply to f, or "".
func functionProblem(fn string, f *fieldMeta) string {
	t := f.DataType
	if fn == "" || fn == "NONE" || t == "" || t == "UNKNOWN" {
		return ""
	}
	c := f.FieldCaption
	switch {
	case contains(numericFunctions, fn) && !isNumeric(t):
		switch {
		case isDate(t):
			return fmt.Sprintf("function %s cannot apply to '%s' (%s); use MIN, MAX or COUNT, or a date part (YEAR, QUARTER, MONTH, WEEK, DAY) or truncation (TRUNC_MONTH, ...) to group by period", fn, c, t)
		case t == "SPATIAL":
			return fmt.Sprintf("function %s cannot apply to '%s' (SPATIAL); use COLLECT or COUNT", fn, c)
		}
		return fmt.Sprintf("function %s cannot apply to '%s' (%s); use COUNT or COUNTD, or drop the function to group by it", fn, c, t)
	case (contains(datePartFunctions, fn) || contains(dateTruncFunctions, fn)) && !isDate(t):
		alt := "drop the function to group by it, or use COUNT or COUNTD"
		if isNumeric(t) {
			alt = "use an aggregation such as SUM or AVG, or drop the function"
		}
		return fmt.Sprintf("function %s needs a date field; '%s' is %s; %s", fn, c, t, alt)
	case fn == "COLLECT" && t != "SPATIAL":
		return fmt.Sprintf("function COLLECT applies to spatial fields only; '%s' is %s", c, t)
	}
	return ""
}

// checkQuery checks a validated query against the data source's fields:
// every caption exists, every function fits its field's type, every filter
// fits its field. All problems are reported at once.
func checkQuery(md *dsMetadata, a *QueryViewArgs) error {
	fields, filters := a.query, a.Filters
	var p problems
	unknown := false
	lookup := func(where, caption string) *fieldMeta {
		if f, ok := md.byCaption[caption]; ok {
			return f
		}
		unknown = true
		p.add("%s: no field '%s'%s", where, caption, md.didYouMean(caption))
		return nil
	}
	for i, f := range fields {
		where := fmt.Sprintf("fields[%d]", i)
		if f.Calculation != "" {
			if _, clash := md.byCaption[f.FieldCaption]; clash {
				p.add("%s.fieldCaption '%s' is already a field of the data source, and the calculation's column would shadow it; name the result differently, e.g. '%s'", where, f.FieldCaption, md.freeCaption(f.FieldCaption))
			}
			continue
		}
		m := lookup(where, f.FieldCaption)
		switch {
		case m == nil:
		case f.BinSize != nil:
			if m.role() != "MEASURE" || !isNumeric(m.DataType) {
				p.add("%s.binSize: bins group a numeric measure (INTEGER or REAL), and '%s' is a %s %s; drop binSize%s", where, m.FieldCaption, m.DataType, strings.ToLower(m.role()), md.binnable())
			}
		default:
			if msg := functionProblem(f.Function, m); msg != "" {
				p.add("%s: %s", where, msg)
			}
		}
	}
	checkParameters(md, a.Parameters, &p)
	for i, f := range filters {
		where := fmt.Sprintf("filters[%d]", i)
		if f.Field.Calculation != "" {
			continue
		}
		m := lookup(where+".field", f.Field.FieldCaption)
		if m != nil {
			if msg := functionProblem(f.Field.Function, m); msg != "" {
				p.add("%s.field: %s", where, msg)
			} else if msg := filterTypeProblem(f, m); msg != "" {
				p.add("%s (%s): %s", where, f.FilterType, msg)
			}
		}
		if f.FilterType == "TOP" && f.FieldToMeasure != nil && f.FieldToMeasure.Calculation == "" {
			if mm := lookup(where+".fieldToMeasure", f.FieldToMeasure.FieldCaption); mm != nil {
				fn := f.FieldToMeasure.Function
				switch {
				case fn != "":
					if msg := functionProblem(fn, mm); msg != "" {
						p.add("%s.fieldToMeasure: %s", where, msg)
					}
				case !contains(aggregateFunctions, mm.DefaultAggregation):
					p.add("%s.fieldToMeasure needs a function: an aggregation such as SUM or COUNT that ranks the members", where)
				}
			}
		}
	}
	if len(p) == 0 {
		return nil
	}
	tail := "Call tableau_datasource_metadata_get to see the fields and their types."
	if !unknown {
		tail = "tableau_datasource_metadata_get lists each field's dataType and role."
	}
	msg := strings.Join(p, "; ")
	if !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return backend.Userf("tableau_query_view: the query does not fit the data source: %s %s", msg, tail)
}

// filterTypeProblem says why a filter type does not fit the type of what
// it filters, or "".
func filterTypeProblem(f Filter, m *fieldMeta) string {
	vt := valueType(f.Field.Function, m.DataType)
	if vt == "" || vt == "UNKNOWN" {
		return ""
	}
	what := "'" + m.FieldCaption + "'"
	if f.Field.Function != "" && f.Field.Function != "NONE" {
		what = f.Field.Function + "(" + m.FieldCaption + ")"
	}
	instead := func() string {
		switch {
		case isNumeric(vt):
			return "use QUANTITATIVE_NUMERICAL (or SET for exact values)"
		case isDate(vt):
			return "use QUANTITATIVE_DATE or DATE (or SET for exact days)"
		}
		return "use SET (exact values) or MATCH (text patterns)"
	}
	switch f.FilterType {
	case "QUANTITATIVE_NUMERICAL":
		if !isNumeric(vt) {
			return fmt.Sprintf("needs a number, and %s is %s; %s", what, vt, instead())
		}
	case "QUANTITATIVE_DATE", "DATE":
		if contains(datePartFunctions, f.Field.Function) && isDate(m.DataType) {
			return datePartFilterProblem(f, what)
		}
		if !isDate(vt) {
			return fmt.Sprintf("needs a date, and %s is %s; %s", what, vt, instead())
		}
	case "MATCH":
		if vt != "STRING" {
			return fmt.Sprintf("matches text, and %s is %s; %s", what, vt, instead())
		}
	}
	return ""
}

// didYouMean suggests up to three captions close to name: equal ignoring
// case first, then by edit distance.
func (md *dsMetadata) didYouMean(name string) string {
	s := suggest(name, md.captions())
	if len(s) == 0 {
		return ""
	}
	quoted := make([]string, len(s))
	for i, c := range s {
		quoted[i] = "'" + c + "'"
	}
	return "; did you mean " + strings.Join(quoted, " or ") + "?"
}

func (md *dsMetadata) captions() []string {
	out := make([]string, 0, len(md.fields))
	for _, f := range md.fields {
		out = append(out, f.FieldCaption)
	}
	return out
}

// suggest ranks candidates by closeness to name and keeps up to three.
func suggest(name string, candidates []string) []string {
	type scored struct {
		c       string
		d, edit int
	}
	lname := strings.ToLower(strings.TrimSpace(name))
	if lname == "" {
		return nil
	}
	var hits []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		edit := levenshtein(lname, lc)
		d := edit
		switch {
		case lc == lname:
			d = -1 // differs only in case: the best
		case len(lname) >= 3 && (strings.Contains(lc, lname) || strings.Contains(lname, lc)):
			d = min(d, 1)
		}
		limit := max(2, utf8.RuneCountInString(lname)/3)
		if d <= limit {
			hits = append(hits, scored{c, d, edit})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		if hits[i].edit != hits[j].edit {
			return hits[i].edit < hits[j].edit
		}
		return hits[i].c < hits[j].c
	})
	var out []string
	for i := 0; i < len(hits) && i < 3; i++ {
		out = append(out, hits[i].c)
	}
	return out
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// datePartFilterProblem explains why a date filter cannot take a date part:
// YEAR, QUARTER, MONTH, WEEK and DAY yield numbers (2025, 3), while
// minDate, maxDate and the relative periods are dates.
func datePartFilterProblem(f Filter, what string) string {
	c := f.Field.FieldCaption
	msg := fmt.Sprintf("%s is a number (INTEGER), not a date, while %s compares dates; ", what, f.FilterType)
	if f.Field.Function == "YEAR" && f.FilterType == "QUANTITATIVE_DATE" {
		lo, hi := "2025", "2025"
		if t, ok := parseDay(f.MinDate); ok {
			lo = t.Format("2006")
		}
		if t, ok := parseDay(f.MaxDate); ok {
			hi = t.Format("2006")
		}
		return msg + fmt.Sprintf("filter '%s' itself (no function) with minDate %s-01-01 and maxDate %s-12-31, or use QUANTITATIVE_NUMERICAL on YEAR(%s) with min %s and max %s", c, lo, hi, c, lo, hi)
	}
	return msg + fmt.Sprintf("filter '%s' itself (no function, or a TRUNC_* truncation, which stays a date), or use QUANTITATIVE_NUMERICAL or SET on %s", c, what)
}

// freeCaption proposes a caption for a calculation that clashes with none.
func (md *dsMetadata) freeCaption(c string) string {
	for n := 1; ; n++ {
		s := c + " (calculated)"
		if n > 1 {
			s = fmt.Sprintf("%s (calculated %d)", c, n)
		}
		if _, clash := md.byCaption[s]; !clash {
			return s
		}
	}
}

// binnable names up to three measures that can be binned.
func (md *dsMetadata) binnable() string {
	var out []string
	for _, f := range md.fields {
		if !f.Hidden && f.role() == "MEASURE" && isNumeric(f.DataType) && len(out) < 3 {
			out = append(out, "'"+f.FieldCaption+"'")
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ", or bin " + strings.Join(out, " or ")
}

// bareMeasures lists the measures queried without a function: the service
// then groups by each distinct value instead of aggregating.
func bareMeasures(md *dsMetadata, fields []Field) []*fieldMeta {
	var out []*fieldMeta
	for _, f := range fields {
		if f.Calculation != "" || f.BinSize != nil || (f.Function != "" && f.Function != "NONE") {
			continue
		}
		if m, ok := md.byCaption[f.FieldCaption]; ok && m.role() == "MEASURE" {
			out = append(out, m)
		}
	}
	return out
}
