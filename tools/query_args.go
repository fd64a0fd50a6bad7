package tools

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"regexp"
	"strings"
	"time"
)

// VizQL Data Service vocabulary, from its OpenAPI document.
var (
	aggregateFunctions = []string{"SUM", "AVG", "MEDIAN", "COUNT", "COUNTD", "MIN", "MAX", "STDEV", "VAR"}
	numericFunctions   = []string{"SUM", "AVG", "MEDIAN", "STDEV", "VAR"}
	datePartFunctions  = []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY"}
	dateTruncFunctions = []string{"TRUNC_YEAR", "TRUNC_QUARTER", "TRUNC_MONTH", "TRUNC_WEEK", "TRUNC_DAY"}
	// vdsFunctions is the Function enum (without its UNSPECIFIED placeholder).
	vdsFunctions = []string{"SUM", "AVG", "MEDIAN", "COUNT", "COUNTD", "MIN", "MAX", "STDEV", "VAR", "COLLECT",
		"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "TRUNC_YEAR", "TRUNC_QUARTER", "TRUNC_MONTH", "TRUNC_WEEK", "TRUNC_DAY", "AGG", "NONE"}
	filterTypes    = []string{"SET", "MATCH", "QUANTITATIVE_NUMERICAL", "QUANTITATIVE_DATE", "DATE", "TOP"}
	quantTypes     = []string{"RANGE", "MIN", "MAX", "ONLY_NULL", "ONLY_NON_NULL"}
	periodTypes    = []string{"MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "QUARTERS", "YEARS"}
	dateRangeTypes = []string{"CURRENT", "LAST", "LASTN", "NEXT", "NEXTN", "TODATE"}
	sortDirections = []string{"ASC", "DESC"}
	topDirections  = []string{"TOP", "BOTTOM"}
)

const (
	defaultMaxRows = 1000
	maxMaxRows     = 10000
)

// Field is one column of a query: a data source field, grouped by (no
// function) or with an aggregation, date part or truncation applied.
type Field struct {
	FieldCaption     string   `json:"fieldCaption" jsonschema:"required" jsonschema_description:"Field caption exactly as tableau_datasource_metadata_get lists it."`
	Function         string   `json:"function,omitempty" jsonschema:"enum=SUM,enum=AVG,enum=MEDIAN,enum=COUNT,enum=COUNTD,enum=MIN,enum=MAX,enum=STDEV,enum=VAR,enum=COLLECT,enum=YEAR,enum=QUARTER,enum=MONTH,enum=WEEK,enum=DAY,enum=TRUNC_YEAR,enum=TRUNC_QUARTER,enum=TRUNC_MONTH,enum=TRUNC_WEEK,enum=TRUNC_DAY,enum=AGG,enum=NONE" jsonschema_description:"Aggregate measures; a date takes a part or TRUNC_*; none groups."`
	FieldAlias       string   `json:"fieldAlias,omitempty"`
	MaxDecimalPlaces *int     `json:"maxDecimalPlaces,omitempty"`
	SortDirection    string   `json:"sortDirection,omitempty" jsonschema:"enum=ASC,enum=DESC"`
	SortPriority     int      `json:"sortPriority,omitempty"`
	Calculation      string   `json:"calculation,omitempty" jsonschema_description:"Tableau calculation; fieldCaption names it."`
	BinSize          *float64 `json:"binSize,omitempty" jsonschema_description:"Bin width, for a measure without function."`
}

func (Field) listName() string { return "fields" }
func (Field) listExample() string {
	return `[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`
}

// key is the column's key in the answer rows.
func (f Field) key() string {
	switch {
	case f.FieldAlias != "":
		return f.FieldAlias
	case f.Function != "" && f.Function != "NONE" && f.Calculation == "" && f.BinSize == nil:
		return f.Function + "(" + f.FieldCaption + ")"
	}
	return f.FieldCaption
}

// FilterField names what a filter applies to.
type FilterField struct {
	FieldCaption string `json:"fieldCaption,omitempty"`
	Function     string `json:"function,omitempty"`
	Calculation  string `json:"calculation,omitempty"`
}

// Filter is one VizQL Data Service filter: filterType says which of the
// other members apply.
type Filter struct {
	Field      FilterField `json:"field" jsonschema:"required" jsonschema_description:"{\"fieldCaption\":...}."`
	FilterType string      `json:"filterType" jsonschema:"required,enum=SET,enum=MATCH,enum=QUANTITATIVE_NUMERICAL,enum=QUANTITATIVE_DATE,enum=DATE,enum=TOP" jsonschema_description:"SET values; MATCH contains|startsWith|endsWith; QUANTITATIVE_NUMERICAL min/max; QUANTITATIVE_DATE minDate/maxDate; DATE periodType+dateRangeType; TOP howMany+fieldToMeasure."`
	Context    bool        `json:"context,omitempty"`

	Values  []any `json:"values,omitempty" jsonschema_description:"SET: exact members."`
	Exclude *bool `json:"exclude,omitempty"`

	Contains   string `json:"contains,omitempty"`
	StartsWith string `json:"startsWith,omitempty"`
	EndsWith   string `json:"endsWith,omitempty"`

	QuantitativeFilterType string   `json:"quantitativeFilterType,omitempty" jsonschema:"enum=RANGE,enum=MIN,enum=MAX,enum=ONLY_NULL,enum=ONLY_NON_NULL"`
	Min                    *float64 `json:"min,omitempty"`
	Max                    *float64 `json:"max,omitempty"`
	MinDate                string   `json:"minDate,omitempty"`
	MaxDate                string   `json:"maxDate,omitempty"`
	IncludeNulls           *bool    `json:"includeNulls,omitempty"`

	PeriodType    string `json:"periodType,omitempty" jsonschema:"enum=MINUTES,enum=HOURS,enum=DAYS,enum=WEEKS,enum=MONTHS,enum=QUARTERS,enum=YEARS"`
	DateRangeType string `json:"dateRangeType,omitempty" jsonschema:"enum=CURRENT,enum=LAST,enum=LASTN,enum=NEXT,enum=NEXTN,enum=TODATE"`
	RangeN        *int   `json:"rangeN,omitempty"`
	AnchorDate    string `json:"anchorDate,omitempty"`

	HowMany        *int         `json:"howMany,omitempty"`
	FieldToMeasure *FilterField `json:"fieldToMeasure,omitempty" jsonschema_description:"TOP: the ranking measure, as field."`
	Direction      string       `json:"direction,omitempty" jsonschema:"enum=TOP,enum=BOTTOM"`
}

func (Filter) listName() string { return "filters" }
func (Filter) listExample() string {
	return `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East","West"]}]`
}

// Sort is one sort instruction; it is merged into the matching field as
// sortDirection and sortPriority.
type Sort struct {
	FieldCaption  string `json:"fieldCaption" jsonschema:"required" jsonschema_description:"A queried field (caption or alias)."`
	Function      string `json:"function,omitempty"`
	SortDirection string `json:"sortDirection,omitempty" jsonschema:"enum=ASC,enum=DESC"`
	SortPriority  int    `json:"sortPriority,omitempty" jsonschema:"minimum=1"`
}

// Parameter sets one of the data source's parameters for this query.
type Parameter struct {
	ParameterCaption string `json:"parameterCaption" jsonschema:"required"`
	Value            any    `json:"value" jsonschema:"required" jsonschema_description:"Of the parameter's dataType."`
}

func (Parameter) listName() string { return "parameters" }
func (Parameter) listExample() string {
	return `[{"parameterCaption":"Profit Target","value":0.2}]`
}

func (Sort) listName() string { return "sort" }
func (Sort) listExample() string {
	return `[{"fieldCaption":"Sales","function":"SUM","sortDirection":"DESC"}]`
}

// filterMembers lists the members each filter type takes besides field,
// filterType and context.
var filterMembers = map[string][]string{
	"SET":                    {"values", "exclude"},
	"MATCH":                  {"contains", "startsWith", "endsWith", "exclude"},
	"QUANTITATIVE_NUMERICAL": {"quantitativeFilterType", "min", "max", "includeNulls"},
	"QUANTITATIVE_DATE":      {"quantitativeFilterType", "minDate", "maxDate", "includeNulls"},
	"DATE":                   {"periodType", "dateRangeType", "rangeN", "anchorDate", "includeNulls"},
	"TOP":                    {"howMany", "fieldToMeasure", "direction"},
}

// present lists the type-specific members a filter sets.
func (f *Filter) present() []string {
	set := map[string]bool{
		"values": f.Values != nil, "exclude": f.Exclude != nil,
		"contains": f.Contains != "", "startsWith": f.StartsWith != "", "endsWith": f.EndsWith != "",
		"quantitativeFilterType": f.QuantitativeFilterType != "", "min": f.Min != nil, "max": f.Max != nil,
		"minDate": f.MinDate != "", "maxDate": f.MaxDate != "", "includeNulls": f.IncludeNulls != nil,
		"periodType": f.PeriodType != "", "dateRangeType": f.DateRangeType != "", "rangeN": f.RangeN != nil, "anchorDate": f.AnchorDate != "",
		"howMany": f.HowMany != nil, "fieldToMeasure": f.FieldToMeasure != nil, "direction": f.Direction != "",
	}
	var out []string
	for _, k := range sortedKeys(set) {
		if set[k] {
			out = append(out, k)
		}
	}
	return out
}

var isoDay = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`) }}

func parseDay(s string) (time.Time, bool) {
	if !isoDay.Get().MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// QueryViewArgs are the arguments of tableau_query_view.
type QueryViewArgs struct {
	DatasourceLUID string              `json:"datasource_luid" jsonschema:"required" jsonschema_description:"From tableau_datasources_list."`
	Fields         JSONList[Field]     `json:"fields" jsonschema:"required" jsonschema_description:"Columns: dimensions without function, measures with one."`
	Filters        JSONList[Filter]    `json:"filters,omitempty" jsonschema_description:"All must pass, e.g. {\"field\":{\"fieldCaption\":\"Order Date\"},\"filterType\":\"DATE\",\"periodType\":\"QUARTERS\",\"dateRangeType\":\"LAST\"}."`
	Sort           JSONList[Sort]      `json:"sort,omitempty" jsonschema_description:"Row order; each names one of fields."`
	Parameters     JSONList[Parameter] `json:"parameters,omitempty" jsonschema_description:"Values of the data source's parameters."`
	MaxRows        int                 `json:"max_rows,omitempty" jsonschema:"minimum=1,maximum=10000" jsonschema_description:"Most rows to return (default 1000)."`

	// query is fields with the sort merged in, set by Validate.
	query []Field
}

// Validate checks the query against the VizQL Data Service's rules (enums,
// the members each filter type requires) and merges sort into fields.
func (a *QueryViewArgs) Validate() error {
	var p problems
	if len(a.Fields) == 0 {
		p.add("fields must list at least one field, e.g. %s", Field{}.listExample())
	}
	seen := map[string]int{}
	for i := range a.Fields {
		f := &a.Fields[i]
		where := fmt.Sprintf("fields[%d]", i)
		f.FieldCaption = strings.TrimSpace(f.FieldCaption)
		if f.FieldCaption == "" {
			p.add("%s needs a fieldCaption (a field's caption from tableau_datasource_metadata_get)", where)
		}
		if f.Function != "" && !oneOf(&f.Function, vdsFunctions) {
			p.add("%s.function %q is not one of: %s", where, clip(f.Function), strings.Join(vdsFunctions, " "))
		}
		if f.Calculation != "" && f.Function != "" {
			p.add("%s has both calculation and function; put the aggregation inside the calculation", where)
		}
		if f.SortDirection != "" && !oneOf(&f.SortDirection, sortDirections) {
			p.add("%s.sortDirection %q is not ASC or DESC", where, clip(f.SortDirection))
		}
		if f.SortPriority < 0 {
			p.add("%s.sortPriority must be 1 or more", where)
		}
		if f.MaxDecimalPlaces != nil && *f.MaxDecimalPlaces < 0 {
			p.add("%s.maxDecimalPlaces must be 0 or more", where)
		}
		if f.BinSize != nil {
			switch {
			case !(*f.BinSize > 0):
				p.add("%s.binSize must be greater than 0: the width of each bin, e.g. 100 for Sales in steps of 100", where)
			case f.Calculation != "":
				p.add("%s.binSize cannot apply to a calculation; bin a data source measure", where)
			case f.Function != "":
				p.add("%s.binSize groups the measure's own values, so the field takes no function; drop function %s (to count rows per bin add another field such as {\"fieldCaption\":\"%s\",\"function\":\"COUNT\"})", where, f.Function, f.FieldCaption)
			}
		}
		if f.FieldCaption != "" {
			k := f.key()
			if j, dup := seen[k]; dup {
				p.add("%s repeats the column %s of fields[%d]; drop it or give it a fieldAlias", where, k, j)
			} else {
				seen[k] = i
			}
		}
	}
	for i := range a.Filters {
		a.Filters[i].validate(fmt.Sprintf("filters[%d]", i), &p)
	}
	a.sameFieldFilters(&p)
	named := map[string]int{}
	for i := range a.Parameters {
		q := &a.Parameters[i]
		where := fmt.Sprintf("parameters[%d]", i)
		q.ParameterCaption = strings.TrimSpace(q.ParameterCaption)
		switch q.Value.(type) {
		case nil:
			p.add("%s needs a value, of the parameter's dataType", where)
		case string, float64, bool:
		default:
			p.add("%s.value must be a string, number or boolean", where)
		}
		if q.ParameterCaption == "" {
			p.add("%s needs a parameterCaption (tableau_datasource_metadata_get lists the parameters)", where)
		} else if j, dup := named[q.ParameterCaption]; dup {
			p.add("%s sets '%s' again (parameters[%d] sets it too); give each parameter once", where, q.ParameterCaption, j)
		} else {
			named[q.ParameterCaption] = i
		}
	}
	if len(p) == 0 {
		a.query = a.mergeSort(&p)
	}
	return p.err()
}

func (ff *FilterField) validate(where string, p *problems) {
	ff.FieldCaption = strings.TrimSpace(ff.FieldCaption)
	switch {
	case ff.FieldCaption == "" && ff.Calculation == "":
		p.add("%s needs a fieldCaption, e.g. {\"fieldCaption\":\"Region\"}", where)
	case ff.FieldCaption != "" && ff.Calculation != "":
		p.add("%s has both fieldCaption and calculation; give one", where)
	}
	if ff.Function != "" {
		if !oneOf(&ff.Function, vdsFunctions) {
			p.add("%s.function %q is not one of: %s", where, clip(ff.Function), strings.Join(vdsFunctions, " "))
		} else if ff.Calculation != "" {
			p.add("%s has both calculation and function; put the function inside the calculation", where)
		}
	}
}

func (f *Filter) validate(where string, p *problems) {
	if !oneOf(&f.FilterType, filterTypes) {
		if f.FilterType == "" {
			p.add("%s needs a filterType: one of %s", where, strings.Join(filterTypes, " "))
		} else {
			p.add("%s.filterType %q is not one of: %s", where, clip(f.FilterType), strings.Join(filterTypes, " "))
		}
		return
	}
	kind := f.FilterType
	label := where + " (" + kind + ")"
	f.Field.validate(where+".field", p)
	allowed := filterMembers[kind]
	for _, m := range f.present() {
		if !contains(allowed, m) {
			p.add("%s does not take %s; a %s filter takes %s", label, m, kind, strings.Join(allowed, ", "))
		}
	}
	switch kind {
	case "SET":
		if len(f.Values) == 0 {
			p.add("%s needs values: the members to keep, e.g. [\"East\",\"West\"]", label)
		}
		for j, v := range f.Values {
			switch v.(type) {
			case nil, string, float64, bool:
			default:
				p.add("%s.values[%d] must be a string, number, boolean or null", where, j)
			}
		}
	case "MATCH":
		if f.Contains == "" && f.StartsWith == "" && f.EndsWith == "" {
			p.add("%s needs contains, startsWith or endsWith", label)
		}
	case "QUANTITATIVE_NUMERICAL", "QUANTITATIVE_DATE":
		f.validateQuantitative(where, p)
	case "DATE":
		if f.PeriodType == "" || !oneOf(&f.PeriodType, periodTypes) {
			p.add("%s needs periodType, one of: %s", label, strings.Join(periodTypes, " "))
		}
		if f.DateRangeType == "" || !oneOf(&f.DateRangeType, dateRangeTypes) {
			p.add("%s needs dateRangeType, one of: %s", label, strings.Join(dateRangeTypes, " "))
		} else {
			n := f.DateRangeType == "LASTN" || f.DateRangeType == "NEXTN"
			switch {
			case n && f.RangeN == nil:
				p.add("%s (DATE, %s) needs rangeN, the number of periods", where, f.DateRangeType)
			case n && *f.RangeN < 1:
				p.add("%s.rangeN must be 1 or more", where)
			case !n && f.RangeN != nil:
				p.add("%s (DATE, %s) does not take rangeN; use LASTN or NEXTN for several periods", where, f.DateRangeType)
			}
		}
		if f.AnchorDate != "" {
			if _, ok := parseDay(f.AnchorDate); !ok {
				p.add("%s.anchorDate %q is not a date YYYY-MM-DD", where, clip(f.AnchorDate))
			}
		}
	case "TOP":
		if f.HowMany == nil {
			p.add("%s needs howMany, the number of members to keep", label)
		} else if *f.HowMany < 1 {
			p.add("%s.howMany must be 1 or more", where)
		}
		if contains(aggregateFunctions, f.Field.Function) {
			p.add("%s: field is the dimension to rank and takes no aggregation; put the measure in fieldToMeasure", label)
		}
		if f.FieldToMeasure == nil {
			p.add("%s needs fieldToMeasure, the measure that ranks, e.g. {\"fieldCaption\":\"Sales\",\"function\":\"SUM\"}", label)
		} else {
			f.FieldToMeasure.validate(where+".fieldToMeasure", p)
			if fn := f.FieldToMeasure.Function; fn != "" && contains(vdsFunctions, fn) && !contains(aggregateFunctions, fn) {
				p.add("%s.fieldToMeasure.function must be an aggregation (%s), not %s", where, strings.Join(aggregateFunctions, " "), fn)
			}
		}
		if f.Direction != "" && !oneOf(&f.Direction, topDirections) {
			p.add("%s.direction %q is not TOP or BOTTOM", where, clip(f.Direction))
		}
	}
}

func (f *Filter) validateQuantitative(where string, p *problems) {
	if f.QuantitativeFilterType == "" || !oneOf(&f.QuantitativeFilterType, quantTypes) {
		p.add("%s (%s) needs quantitativeFilterType, one of: %s", where, f.FilterType, strings.Join(quantTypes, " "))
		return
	}
	q := f.QuantitativeFilterType
	label := fmt.Sprintf("%s (%s, %s)", where, f.FilterType, q)
	if f.IncludeNulls != nil && (q == "ONLY_NULL" || q == "ONLY_NON_NULL") {
		keeps := "keeps only the null values"
		if q == "ONLY_NON_NULL" {
			keeps = "drops the null values"
		}
		p.add("%s.includeNulls applies only to RANGE, MIN and MAX filters, and %s already %s; drop includeNulls", where, q, keeps)
	}
	needLo, needHi := q == "RANGE" || q == "MIN", q == "RANGE" || q == "MAX"
	if f.FilterType == "QUANTITATIVE_NUMERICAL" {
		hasLo, hasHi := f.Min != nil, f.Max != nil
		boundProblems(label, "min", "max", needLo, needHi, hasLo, hasHi, p)
		if hasLo && hasHi && *f.Min > *f.Max {
			p.add("%s: min %v is greater than max %v", label, *f.Min, *f.Max)
		}
		return
	}
	hasLo, hasHi := f.MinDate != "", f.MaxDate != ""
	boundProblems(label, "minDate", "maxDate", needLo, needHi, hasLo, hasHi, p)
	lo, okLo := parseDay(f.MinDate)
	hi, okHi := parseDay(f.MaxDate)
	if hasLo && !okLo {
		p.add("%s.minDate %q is not a date YYYY-MM-DD", where, clip(f.MinDate))
	}
	if hasHi && !okHi {
		p.add("%s.maxDate %q is not a date YYYY-MM-DD", where, clip(f.MaxDate))
	}
	if okLo && okHi && lo.After(hi) {
		p.add("%s: minDate %s is after maxDate %s", label, f.MinDate, f.MaxDate)
	}
}

func boundProblems(label, lo, hi string, needLo, needHi, hasLo, hasHi bool, p *problems) {
	switch {
	case needLo && needHi && (!hasLo || !hasHi):
		p.add("%s needs %s and %s", label, lo, hi)
	case needLo && !hasLo:
		p.add("%s needs %s", label, lo)
	case needHi && !hasHi:
		p.add("%s needs %s", label, hi)
	}
	if !needLo && hasLo {
		p.add("%s does not take %s", label, lo)
	}
	if !needHi && hasHi {
		p.add("%s does not take %s", label, hi)
	}
}

// mergeSort copies fields and gives the ones sort names their
// sortDirection and sortPriority (the entry's position unless given).
func (a *QueryViewArgs) mergeSort(p *problems) []Field {
	out := append([]Field(nil), a.Fields...)
	for i := range a.Sort {
		s := &a.Sort[i]
		where := fmt.Sprintf("sort[%d]", i)
		s.FieldCaption = strings.TrimSpace(s.FieldCaption)
		if s.FieldCaption == "" {
			p.add("%s needs a fieldCaption naming one of fields", where)
			continue
		}
		if s.Function != "" && !oneOf(&s.Function, vdsFunctions) {
			p.add("%s.function %q is not one of: %s", where, clip(s.Function), strings.Join(vdsFunctions, " "))
			continue
		}
		if s.SortDirection == "" {
			s.SortDirection = "ASC"
		} else if !oneOf(&s.SortDirection, sortDirections) {
			p.add("%s.sortDirection %q is not ASC or DESC", where, clip(s.SortDirection))
			continue
		}
		if s.SortPriority < 0 {
			p.add("%s.sortPriority must be 1 or more", where)
			continue
		}
		var hits []int
		for j, f := range out {
			named := f.FieldCaption == s.FieldCaption || (f.FieldAlias != "" && f.FieldAlias == s.FieldCaption) || f.key() == s.FieldCaption
			if named && (s.Function == "" || s.Function == f.Function) {
				hits = append(hits, j)
			}
		}
		switch {
		case len(hits) == 0:
			var keys []string
			for _, f := range out {
				keys = append(keys, f.key())
			}
			p.add("%s names %q, which is not among fields (%s); only queried fields can be sorted", where, clip(s.FieldCaption), strings.Join(keys, ", "))
			continue
		case len(hits) > 1:
			p.add("%s matches fields[%d] and fields[%d]; add function (or use the row key such as %s) to say which", where, hits[0], hits[1], out[hits[0]].key())
			continue
		}
		f := &out[hits[0]]
		if f.SortDirection != "" || f.SortPriority != 0 {
			p.add("%s sorts fields[%d], which already has sortDirection or sortPriority; give the sort in one place", where, hits[0])
			continue
		}
		f.SortDirection = s.SortDirection
		f.SortPriority = s.SortPriority
		if f.SortPriority == 0 {
			f.SortPriority = i + 1
		}
	}
	return out
}

// rowLimit is max_rows, defaulted.
func (a *QueryViewArgs) rowLimit() int {
	if a.MaxRows <= 0 {
		return defaultMaxRows
	}
	return a.MaxRows
}

// sameFieldFilters refuses two filters on one field. The service's schema
// does not say how it would combine them, and a model writing two usually
// means one (East or West, between two bounds) while the rows would show
// the other (both at once); the error says how to write it as one filter.
func (a *QueryViewArgs) sameFieldFilters(p *problems) {
	first := map[string]int{}
	for j, f := range a.Filters {
		c := f.Field.FieldCaption
		if c == "" || f.Field.Calculation != "" {
			continue
		}
		i, seen := first[c]
		if !seen {
			first[c] = j
			continue
		}
		p.add("filters[%d] filters '%s' again (so does filters[%d]); give each field one filter: %s", j, c, i, oneFilter(a.Filters[i], f))
	}
}

// oneFilter says how two filters on one field are written as one.
func oneFilter(x, y Filter) string {
	switch {
	case x.FilterType == "SET" && y.FilterType == "SET" && (x.Exclude != nil && *x.Exclude) == (y.Exclude != nil && *y.Exclude):
		vals := append(append([]any{}, x.Values...), y.Values...)
		return fmt.Sprintf("one SET filter listing every value, \"values\":%s", clip(compactJSON(vals)))
	case x.FilterType == y.FilterType && (x.FilterType == "QUANTITATIVE_NUMERICAL" || x.FilterType == "QUANTITATIVE_DATE") && x.Field.Function == y.Field.Function:
		lo, hi := "min", "max"
		if x.FilterType == "QUANTITATIVE_DATE" {
			lo, hi = "minDate", "maxDate"
		}
		return fmt.Sprintf("one %s filter with quantitativeFilterType RANGE and both %s and %s", x.FilterType, lo, hi)
	}
	return "a SET filter lists every value to keep, a RANGE filter takes both bounds, a MATCH filter takes contains, startsWith and endsWith together, and exclude:true inverts a SET or MATCH filter"
}
