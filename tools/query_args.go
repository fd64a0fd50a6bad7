package tools

import (
	"fmt"
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
	FieldCaption     string   `json:"fieldCaption" jsonschema:"required" jsonschema_description:"Caption of a data source field exactly as tableau_datasource_metadata_get lists it (case-sensitive), e.g. Region or Sales; with calculation, the name of the computed column."`
	Function         string   `json:"function,omitempty" jsonschema:"enum=SUM,enum=AVG,enum=MEDIAN,enum=COUNT,enum=COUNTD,enum=MIN,enum=MAX,enum=STDEV,enum=VAR,enum=COLLECT,enum=YEAR,enum=QUARTER,enum=MONTH,enum=WEEK,enum=DAY,enum=TRUNC_YEAR,enum=TRUNC_QUARTER,enum=TRUNC_MONTH,enum=TRUNC_WEEK,enum=TRUNC_DAY,enum=AGG,enum=NONE" jsonschema_description:"Aggregation of a measure (SUM AVG MEDIAN COUNT COUNTD MIN MAX STDEV VAR; COUNT COUNTD MIN MAX also fit text), or for a date a part (YEAR QUARTER MONTH WEEK DAY) or truncation (TRUNC_*). Leave it out to group by the field."`
	FieldAlias       string   `json:"fieldAlias,omitempty" jsonschema_description:"Key of this column in the rows instead of Caption or FUNCTION(Caption)."`
	MaxDecimalPlaces *int     `json:"maxDecimalPlaces,omitempty" jsonschema:"minimum=0" jsonschema_description:"Round numbers to at most this many decimals."`
	SortDirection    string   `json:"sortDirection,omitempty" jsonschema:"enum=ASC,enum=DESC" jsonschema_description:"Sort the rows by this column: ASC or DESC."`
	SortPriority     int      `json:"sortPriority,omitempty" jsonschema:"minimum=1" jsonschema_description:"Order among sorted columns; 1 sorts first."`
	Calculation      string   `json:"calculation,omitempty" jsonschema_description:"A Tableau calculation computing this column, e.g. SUM([Profit])/SUM([Sales]); fieldCaption then names the result."`
	BinSize          *float64 `json:"binSize,omitempty" jsonschema_description:"Group a numeric measure into bins of this width, without function; each row is a bin's lower edge."`
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
	FieldCaption string `json:"fieldCaption,omitempty" jsonschema_description:"Caption of the data source field."`
	Function     string `json:"function,omitempty" jsonschema:"enum=SUM,enum=AVG,enum=MEDIAN,enum=COUNT,enum=COUNTD,enum=MIN,enum=MAX,enum=STDEV,enum=VAR,enum=YEAR,enum=QUARTER,enum=MONTH,enum=WEEK,enum=DAY,enum=TRUNC_YEAR,enum=TRUNC_QUARTER,enum=TRUNC_MONTH,enum=TRUNC_WEEK,enum=TRUNC_DAY" jsonschema_description:"Filter on the field with this function applied; an aggregation (e.g. SUM) filters the aggregated rows."`
	Calculation  string `json:"calculation,omitempty" jsonschema_description:"A Tableau calculation to filter on, instead of fieldCaption."`
}

// Filter is one VizQL Data Service filter: filterType says which of the
// other members apply.
type Filter struct {
	Field      FilterField `json:"field" jsonschema:"required" jsonschema_description:"The field to filter, e.g. {\"fieldCaption\":\"Region\"}."`
	FilterType string      `json:"filterType" jsonschema:"required,enum=SET,enum=MATCH,enum=QUANTITATIVE_NUMERICAL,enum=QUANTITATIVE_DATE,enum=DATE,enum=TOP" jsonschema_description:"SET: values; MATCH: contains/startsWith/endsWith; QUANTITATIVE_NUMERICAL: quantitativeFilterType with min/max; QUANTITATIVE_DATE: quantitativeFilterType with minDate/maxDate; DATE: periodType and dateRangeType (relative to anchorDate, default today); TOP: howMany and fieldToMeasure."`
	Context    bool        `json:"context,omitempty" jsonschema_description:"Apply this filter first, before the others (a TOP filter then ranks only what it keeps)."`

	Values  []any `json:"values,omitempty" jsonschema_description:"SET: the members to keep, exactly as stored, e.g. [\"East\",\"West\"]."`
	Exclude *bool `json:"exclude,omitempty" jsonschema_description:"SET and MATCH: true keeps everything except the matches."`

	Contains   string `json:"contains,omitempty" jsonschema_description:"MATCH: text the value contains."`
	StartsWith string `json:"startsWith,omitempty" jsonschema_description:"MATCH: text the value starts with."`
	EndsWith   string `json:"endsWith,omitempty" jsonschema_description:"MATCH: text the value ends with."`

	QuantitativeFilterType string   `json:"quantitativeFilterType,omitempty" jsonschema:"enum=RANGE,enum=MIN,enum=MAX,enum=ONLY_NULL,enum=ONLY_NON_NULL" jsonschema_description:"QUANTITATIVE_*: RANGE needs both bounds, MIN the lower, MAX the upper; ONLY_NULL and ONLY_NON_NULL none."`
	Min                    *float64 `json:"min,omitempty" jsonschema_description:"QUANTITATIVE_NUMERICAL: lower bound, inclusive."`
	Max                    *float64 `json:"max,omitempty" jsonschema_description:"QUANTITATIVE_NUMERICAL: upper bound, inclusive."`
	MinDate                string   `json:"minDate,omitempty" jsonschema_description:"QUANTITATIVE_DATE: first day, YYYY-MM-DD."`
	MaxDate                string   `json:"maxDate,omitempty" jsonschema_description:"QUANTITATIVE_DATE: last day, YYYY-MM-DD, inclusive."`
	IncludeNulls           *bool    `json:"includeNulls,omitempty" jsonschema_description:"QUANTITATIVE_* and DATE: keep rows whose value is null too."`

	PeriodType    string `json:"periodType,omitempty" jsonschema:"enum=MINUTES,enum=HOURS,enum=DAYS,enum=WEEKS,enum=MONTHS,enum=QUARTERS,enum=YEARS" jsonschema_description:"DATE: the unit of the relative range."`
	DateRangeType string `json:"dateRangeType,omitempty" jsonschema:"enum=CURRENT,enum=LAST,enum=LASTN,enum=NEXT,enum=NEXTN,enum=TODATE" jsonschema_description:"DATE: CURRENT period, LAST (previous) one, LASTN/NEXTN periods (with rangeN), NEXT one, or TODATE (period start to the anchor)."`
	RangeN        *int   `json:"rangeN,omitempty" jsonschema_description:"DATE with LASTN or NEXTN: how many periods."`
	AnchorDate    string `json:"anchorDate,omitempty" jsonschema_description:"DATE: the day the range is relative to, YYYY-MM-DD (default today)."`

	HowMany        *int         `json:"howMany,omitempty" jsonschema_description:"TOP: how many members of field to keep."`
	FieldToMeasure *FilterField `json:"fieldToMeasure,omitempty" jsonschema_description:"TOP: the measure that ranks them, e.g. {\"fieldCaption\":\"Sales\",\"function\":\"SUM\"}."`
	Direction      string       `json:"direction,omitempty" jsonschema:"enum=TOP,enum=BOTTOM" jsonschema_description:"TOP: TOP (largest, default) or BOTTOM."`
}

func (Filter) listName() string { return "filters" }
func (Filter) listExample() string {
	return `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East","West"]}]`
}

// Sort is one sort instruction; it is merged into the matching field as
// sortDirection and sortPriority.
type Sort struct {
	FieldCaption  string `json:"fieldCaption" jsonschema:"required" jsonschema_description:"A queried field: its caption, its fieldAlias, or its row key such as SUM(Sales)."`
	Function      string `json:"function,omitempty" jsonschema:"enum=SUM,enum=AVG,enum=MEDIAN,enum=COUNT,enum=COUNTD,enum=MIN,enum=MAX,enum=STDEV,enum=VAR,enum=COLLECT,enum=YEAR,enum=QUARTER,enum=MONTH,enum=WEEK,enum=DAY,enum=TRUNC_YEAR,enum=TRUNC_QUARTER,enum=TRUNC_MONTH,enum=TRUNC_WEEK,enum=TRUNC_DAY,enum=AGG,enum=NONE" jsonschema_description:"The function of that field, when two queried fields share the caption."`
	SortDirection string `json:"sortDirection,omitempty" jsonschema:"enum=ASC,enum=DESC" jsonschema_description:"ASC (default) or DESC."`
	SortPriority  int    `json:"sortPriority,omitempty" jsonschema:"minimum=1" jsonschema_description:"1 sorts first; default: the position in sort."`
}

// Parameter sets one of the data source's parameters for this query.
type Parameter struct {
	ParameterCaption string `json:"parameterCaption" jsonschema:"required" jsonschema_description:"Caption of a parameter that tableau_datasource_metadata_get lists."`
	Value            any    `json:"value" jsonschema:"required" jsonschema_description:"Its value, of the parameter's dataType."`
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

var isoDay = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func parseDay(s string) (time.Time, bool) {
	if !isoDay.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	return t, err == nil
}

// QueryViewArgs are the arguments of tableau_query_view.
type QueryViewArgs struct {
	DatasourceLUID string              `json:"datasource_luid" jsonschema:"required" jsonschema_description:"LUID of the published data source, from tableau_datasources_list (datasources.datasource[].id)."`
	Fields         JSONList[Field]     `json:"fields" jsonschema:"required" jsonschema_description:"The answer's columns: dimensions to group by (no function) and measures with a function, e.g. [{\"fieldCaption\":\"Region\"},{\"fieldCaption\":\"Sales\",\"function\":\"SUM\"}]. A string holding the JSON array is accepted too."`
	Filters        JSONList[Filter]    `json:"filters,omitempty" jsonschema_description:"Filters, all of which a row must pass, e.g. [{\"field\":{\"fieldCaption\":\"Order Date\"},\"filterType\":\"DATE\",\"periodType\":\"QUARTERS\",\"dateRangeType\":\"LAST\"}] for last quarter. A string holding the JSON array is accepted too."`
	Sort           JSONList[Sort]      `json:"sort,omitempty" jsonschema_description:"How to order the rows, e.g. [{\"fieldCaption\":\"Sales\",\"function\":\"SUM\",\"sortDirection\":\"DESC\"}]; each entry names one of fields. A string holding the JSON array is accepted too."`
	Parameters     JSONList[Parameter] `json:"parameters,omitempty" jsonschema_description:"Values for the data source's parameters, e.g. [{\"parameterCaption\":\"Profit Target\",\"value\":0.2}]. A string holding the JSON array is accepted too."`
	MaxRows        int                 `json:"max_rows,omitempty" jsonschema:"minimum=1,maximum=10000" jsonschema_description:"Most rows to return, 1 to 10000 (default 1000); the answer says when more rows exist."`

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
