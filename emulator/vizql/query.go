package vizqlemu

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// Request shapes (QueryRequest, Query, Field, Filter, Parameter, options).
// Pointers tell an absent member from a zero one.

type queryRequest struct {
	Datasource json.RawMessage `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	Options    json.RawMessage `json:"options"`
}

type queryJSON struct {
	Fields     *[]json.RawMessage `json:"fields"`
	Filters    []json.RawMessage  `json:"filters"`
	Parameters []json.RawMessage  `json:"parameters"`
}

var fieldKeys = []string{"fieldCaption", "fieldAlias", "maxDecimalPlaces", "sortDirection", "sortPriority",
	"function", "calculation", "binSize", "tableCalculation", "nestedTableCalculations"}

type fieldJSON struct {
	FieldCaption     *string         `json:"fieldCaption"`
	FieldAlias       *string         `json:"fieldAlias"`
	MaxDecimalPlaces *int            `json:"maxDecimalPlaces"`
	SortDirection    *string         `json:"sortDirection"`
	SortPriority     *int            `json:"sortPriority"`
	Function         *string         `json:"function"`
	Calculation      *string         `json:"calculation"`
	BinSize          *float64        `json:"binSize"`
	TableCalculation json.RawMessage `json:"tableCalculation"`
}

type filterFieldJSON struct {
	FieldCaption *string `json:"fieldCaption"`
	Function     *string `json:"function"`
	Calculation  *string `json:"calculation"`
}

type filterJSON struct {
	Field                  json.RawMessage `json:"field"`
	FilterType             *string         `json:"filterType"`
	Context                bool            `json:"context"`
	Values                 *[]any          `json:"values"`
	Exclude                bool            `json:"exclude"`
	Contains               *string         `json:"contains"`
	StartsWith             *string         `json:"startsWith"`
	EndsWith               *string         `json:"endsWith"`
	QuantitativeFilterType *string         `json:"quantitativeFilterType"`
	IncludeNulls           bool            `json:"includeNulls"`
	Min                    *float64        `json:"min"`
	Max                    *float64        `json:"max"`
	MinDate                *string         `json:"minDate"`
	MaxDate                *string         `json:"maxDate"`
	PeriodType             *string         `json:"periodType"`
	DateRangeType          *string         `json:"dateRangeType"`
	RangeN                 *int            `json:"rangeN"`
	AnchorDate             *string         `json:"anchorDate"`
	HowMany                *int            `json:"howMany"`
	Direction              *string         `json:"direction"`
	FieldToMeasure         json.RawMessage `json:"fieldToMeasure"`
	Condition              json.RawMessage `json:"condition"`
	Calculation            *string         `json:"calculation"`
}

type parameterJSON struct {
	ParameterCaption *string         `json:"parameterCaption"`
	Value            json.RawMessage `json:"value"`
}

type optionsJSON struct {
	ReturnFormat           *string `json:"returnFormat"`
	RowLimit               *int    `json:"rowLimit"`
	Disaggregate           bool    `json:"disaggregate"`
	ReturnServerSentEvents bool    `json:"returnServerSentEvents"`
}

// expr is a data source field, optionally with a function applied, or
// grouped into bins.
type expr struct {
	caption string
	col     int // -1 for a calculation
	colType string
	role    string
	defAgg  string
	fn      string              // "", a date function, or an aggregate function
	calc    func(row []any) any // a calculation's value on a row
	bin     float64             // a bin field's size; 0 for none
}

// scope is what a query is compiled against: the dataset, its
// calculations and the parameter values they read.
type scope struct {
	*sampledata.Table
	calcs  []calculation
	params map[string]any
}

func (e expr) isAgg() bool { return isAggregate(e.fn) }

// name is the output key: "Region", "SUM(Sales)".
func (e expr) name() string {
	if e.fn == "" {
		return e.caption
	}
	return e.fn + "(" + e.caption + ")"
}

// valueType is the data type of what the expression yields.
func (e expr) valueType() string {
	if e.bin > 0 {
		if e.colType == sampledata.TypeInteger && e.bin == math.Trunc(e.bin) {
			return sampledata.TypeInteger
		}
		return sampledata.TypeReal
	}
	switch {
	case isDatePart(e.fn), e.fn == "COUNT", e.fn == "COUNTD":
		return sampledata.TypeInteger
	case e.fn == "AVG", e.fn == "MEDIAN", e.fn == "STDEV", e.fn == "VAR":
		return sampledata.TypeReal
	}
	return e.colType
}

// rowValue is the expression's value on one row; for an aggregate it is the
// input of the aggregation, the raw cell.
func (e expr) rowValue(row []any) any {
	v := e.cell(row)
	if v == nil {
		return nil
	}
	switch {
	case isDatePart(e.fn):
		return datePart(e.fn, v.(time.Time))
	case isDateTrunc(e.fn):
		return dateTrunc(e.fn, v.(time.Time))
	}
	return v
}

// cell is the field's own value on a row (before any function): the
// column's cell, the calculation's value, or the lower edge of its bin.
func (e expr) cell(row []any) any {
	var v any
	if e.calc != nil {
		v = e.calc(row)
	} else {
		v = row[e.col]
	}
	if e.bin > 0 && v != nil {
		edge := math.Floor(toFloat(v)/e.bin) * e.bin
		if e.valueType() == sampledata.TypeInteger {
			return int64(edge)
		}
		return edge
	}
	return v
}

type outField struct {
	key      string
	e        expr
	decimals int // -1: as computed
	desc     bool
	sortRank int // 0: not sorted
}

type filter struct {
	kind    string
	e       expr
	context bool

	values  []any // SET, normalized
	exclude bool  // SET, MATCH

	contains, startsWith, endsWith *string // MATCH, lower case

	quant        string // RANGE MIN MAX ONLY_NULL ONLY_NON_NULL
	lo, hi       any    // float64, or time.Time (hi exclusive for dates)
	includeNulls bool

	from, to time.Time // DATE: [from, to)

	howMany int // TOP
	measure expr
	bottom  bool
}

type plan struct {
	table        *sampledata.Table
	fields       []outField
	filters      []*filter
	disaggregate bool
	rowLimit     int // 0: no limit
	arrays       bool
}

func (s *Service) queryDatasource(ctx context.Context, body []byte) (any, *apiError) {
	var req queryRequest
	if e := decodeBody(body, &req); e != nil {
		return nil, e
	}
	table, e := s.datasource(ctx, req.Datasource)
	if e != nil {
		return nil, e
	}
	p, e := compile(table, req)
	if e != nil {
		return nil, e
	}
	return p.execute(), nil
}

func compile(table *sampledata.Table, req queryRequest) (*plan, *apiError) {
	p := &plan{table: table}
	t := &scope{Table: table, calcs: calculationsOf(table.Name), params: map[string]any{}}
	for _, prm := range parametersOf(table.Name) {
		t.params[prm.ParameterCaption] = toParamValue(prm.Value)
	}

	var opts optionsJSON
	if !isAbsent(req.Options) {
		if e := decodeLoose(req.Options, "options", &opts); e != nil {
			return nil, e
		}
	}
	if opts.ReturnFormat != nil {
		switch *opts.ReturnFormat {
		case "OBJECTS":
		case "ARRAYS":
			p.arrays = true
		default:
			return nil, errSpec("options.returnFormat must be OBJECTS or ARRAYS, not %q.", *opts.ReturnFormat)
		}
	}
	if opts.RowLimit != nil {
		if *opts.RowLimit < 1 {
			return nil, errSpec("options.rowLimit must be at least 1.")
		}
		p.rowLimit = *opts.RowLimit
	}
	if opts.ReturnServerSentEvents {
		return nil, errInvalid("options.returnServerSentEvents is not supported by this emulated data service.")
	}
	p.disaggregate = opts.Disaggregate

	if isAbsent(req.Query) {
		return nil, errSpec("Missing required property 'query'.")
	}
	var q queryJSON
	if e := decodeStrict(req.Query, "query", &q, "fields", "filters", "parameters"); e != nil {
		return nil, e
	}
	if q.Fields == nil {
		return nil, errSpec("Missing required property 'query.fields'.")
	}
	if len(*q.Fields) == 0 {
		return nil, errInvalid("query.fields must list at least one field.")
	}
	for i, raw := range q.Parameters {
		caption, v, e := checkParameter(table.Name, raw, fmt.Sprintf("query.parameters[%d]", i))
		if e != nil {
			return nil, e
		}
		t.params[caption] = v
	}
	seenKeys := map[string]bool{}
	for i, raw := range *q.Fields {
		f, e := compileField(t, raw, fmt.Sprintf("query.fields[%d]", i))
		if e != nil {
			return nil, e
		}
		if seenKeys[f.key] {
			return nil, errInvalid("Two fields in the query are both named %q; give one a fieldAlias.", f.key)
		}
		seenKeys[f.key] = true
		p.fields = append(p.fields, f)
	}
	// Fields with a sortDirection but no sortPriority sort after the
	// prioritized ones, in field order.
	next := 1 << 20
	for i := range p.fields {
		if p.fields[i].sortRank < 0 {
			p.fields[i].sortRank = next
			next++
		}
	}

	for i, raw := range q.Filters {
		f, e := compileFilter(t, raw, fmt.Sprintf("query.filters[%d]", i))
		if e != nil {
			return nil, e
		}
		p.filters = append(p.filters, f)
	}
	return p, nil
}

// compileExpr resolves a caption and checks that fn applies to its type.
func compileExpr(t *scope, caption string, fn *string, where string) (expr, *apiError) {
	f := ""
	if fn != nil {
		f = *fn
		if !knownFunction(f) {
			return expr{}, errSpec("%s.function %q is not a known function.", where, f)
		}
		if f == "NONE" || f == "UNSPECIFIED" {
			f = ""
		}
	}
	var e expr
	if col := t.ColumnIndex(caption); col >= 0 {
		c := t.Columns[col]
		e = expr{caption: caption, col: col, colType: c.DataType, role: c.Role, defAgg: c.DefaultAggregation, fn: f}
	} else {
		found := false
		for _, c := range t.calcs {
			if c.caption == caption {
				eval, table, params := c.eval, t.Table, t.params
				e = expr{caption: caption, col: -1, colType: c.dataType, role: c.role, defAgg: c.defaultAgg, fn: f,
					calc: func(row []any) any { return eval(table, row, params) }}
				found = true
				break
			}
		}
		if !found {
			return expr{}, errUnknownField(caption)
		}
	}
	typ := e.colType
	bad := func() (expr, *apiError) {
		return expr{}, errInvalid("Function %s cannot be applied to field '%s' of type %s.", f, caption, typ)
	}
	switch {
	case f == "":
	case f == "COLLECT" || f == "AGG":
		return expr{}, errInvalid("Function %s applies to calculations and spatial fields only, not to field '%s'.", f, caption)
	case f == "SUM" || f == "AVG" || f == "MEDIAN" || f == "STDEV" || f == "VAR":
		if !isNumberType(typ) {
			return bad()
		}
	case isDatePart(f) || isDateTrunc(f):
		if !isDateType(typ) {
			return bad()
		}
	}
	return e, nil
}

func compileField(t *scope, raw json.RawMessage, where string) (outField, *apiError) {
	var fj fieldJSON
	if e := decodeStrict(raw, where, &fj, fieldKeys...); e != nil {
		return outField{}, e
	}
	if fj.Calculation != nil {
		return outField{}, errCalculation()
	}
	if fj.FieldCaption == nil {
		return outField{}, errSpec("Missing required property '%s.fieldCaption'.", where)
	}
	if fj.TableCalculation != nil {
		return outField{}, errInvalid("%s: table calculations are not supported by this emulated data service.", where)
	}
	if fj.BinSize != nil && fj.Function != nil {
		// BinField has no function and MeasureField no binSize.
		return outField{}, errSpec("%s has both binSize and function; no field schema allows both.", where)
	}
	e, err := compileExpr(t, *fj.FieldCaption, fj.Function, where)
	if err != nil {
		return outField{}, err
	}
	if fj.BinSize != nil {
		if !(*fj.BinSize > 0) {
			return outField{}, errInvalid("%s.binSize must be greater than 0.", where)
		}
		if e.role != sampledata.RoleMeasure || !isNumberType(e.colType) {
			return outField{}, errInvalid("%s: field '%s' cannot be binned; bins apply to numeric measures.", where, e.caption)
		}
		e.bin = *fj.BinSize
	}
	f := outField{key: e.name(), e: e, decimals: -1}
	if fj.FieldAlias != nil && *fj.FieldAlias != "" {
		f.key = *fj.FieldAlias
	}
	if fj.MaxDecimalPlaces != nil {
		if *fj.MaxDecimalPlaces < 0 {
			return outField{}, errInvalid("%s.maxDecimalPlaces must be 0 or more.", where)
		}
		f.decimals = *fj.MaxDecimalPlaces
	}
	if fj.SortDirection != nil {
		switch *fj.SortDirection {
		case "ASC":
		case "DESC":
			f.desc = true
		default:
			return outField{}, errSpec("%s.sortDirection must be ASC or DESC, not %q.", where, *fj.SortDirection)
		}
		f.sortRank = -1
	}
	if fj.SortPriority != nil {
		if *fj.SortPriority < 1 {
			return outField{}, errSpec("%s.sortPriority must be at least 1.", where)
		}
		f.sortRank = *fj.SortPriority
	}
	return f, nil
}

func compileFilterField(t *scope, raw json.RawMessage, where string) (expr, *apiError) {
	if isAbsent(raw) {
		return expr{}, errSpec("Missing required property '%s'.", where)
	}
	var ff filterFieldJSON
	if e := decodeStrict(raw, where, &ff, "fieldCaption", "function", "calculation"); e != nil {
		return expr{}, e
	}
	if ff.Calculation != nil {
		return expr{}, errCalculation()
	}
	if ff.FieldCaption == nil {
		return expr{}, errSpec("Missing required property '%s.fieldCaption'.", where)
	}
	return compileExpr(t, *ff.FieldCaption, ff.Function, where)
}

func compileFilter(t *scope, raw json.RawMessage, where string) (*filter, *apiError) {
	var fj filterJSON
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil || probe == nil {
		return nil, errSpec("'%s' must be a JSON object.", where)
	}
	if e := decodeLoose(raw, where, &fj); e != nil {
		return nil, e
	}
	if fj.FilterType == nil {
		return nil, errSpec("Missing required property '%s.filterType'.", where)
	}
	kind := *fj.FilterType
	switch kind {
	case "SET", "MATCH", "QUANTITATIVE_NUMERICAL", "QUANTITATIVE_DATE", "DATE", "TOP":
	case "CONDITION":
		return nil, errInvalid("%s: CONDITION filters are not supported by this emulated data service.", where)
	default:
		return nil, errSpec("%s.filterType %q is not a known filter type.", where, kind)
	}
	e, err := compileFilterField(t, fj.Field, where+".field")
	if err != nil {
		return nil, err
	}
	f := &filter{kind: kind, e: e, context: fj.Context, exclude: fj.Exclude, includeNulls: fj.IncludeNulls}
	vt := e.valueType()
	switch kind {
	case "SET":
		if fj.Values == nil {
			return nil, errSpec("Missing required property '%s.values'.", where)
		}
		for _, v := range *fj.Values {
			switch v.(type) {
			case nil, string, float64, bool:
			default:
				return nil, errSpec("%s.values must hold strings, numbers, booleans or null.", where)
			}
			f.values = append(f.values, normalizeFilterValue(v, vt))
		}
	case "MATCH":
		if fj.Contains == nil && fj.StartsWith == nil && fj.EndsWith == nil {
			return nil, errInvalid("%s: a MATCH filter needs contains, startsWith or endsWith.", where)
		}
		lower := func(s *string) *string {
			if s == nil {
				return nil
			}
			l := strings.ToLower(*s)
			return &l
		}
		f.contains, f.startsWith, f.endsWith = lower(fj.Contains), lower(fj.StartsWith), lower(fj.EndsWith)
	case "QUANTITATIVE_NUMERICAL", "QUANTITATIVE_DATE":
		if err := compileQuantitative(f, fj, where); err != nil {
			return nil, err
		}
	case "DATE":
		if err := compileRelativeDate(f, fj, where); err != nil {
			return nil, err
		}
	case "TOP":
		if fj.HowMany == nil {
			return nil, errSpec("Missing required property '%s.howMany'.", where)
		}
		if isAbsent(fj.FieldToMeasure) {
			return nil, errSpec("Missing required property '%s.fieldToMeasure'.", where)
		}
		if *fj.HowMany < 1 {
			return nil, errInvalid("%s.howMany must be at least 1.", where)
		}
		if e.isAgg() {
			return nil, errInvalid("%s: the field of a TOP filter is the dimension to rank; it cannot carry function %s.", where, e.fn)
		}
		m, err := compileFilterField(t, fj.FieldToMeasure, where+".fieldToMeasure")
		if err != nil {
			return nil, err
		}
		if m.fn == "" {
			// Without a function, rank by the field's default aggregation.
			def := m.defAgg
			if !isAggregate(def) {
				return nil, errInvalid("%s.fieldToMeasure needs an aggregate function.", where)
			}
			if m, err = compileExpr(t, m.caption, &def, where+".fieldToMeasure"); err != nil {
				return nil, err
			}
		}
		if !m.isAgg() {
			return nil, errInvalid("%s.fieldToMeasure needs an aggregate function, not %s.", where, m.fn)
		}
		f.howMany, f.measure = *fj.HowMany, m
		if fj.Direction != nil {
			switch *fj.Direction {
			case "TOP":
			case "BOTTOM":
				f.bottom = true
			default:
				return nil, errSpec("%s.direction must be TOP or BOTTOM, not %q.", where, *fj.Direction)
			}
		}
	}
	return f, nil
}

// normalizeFilterValue brings a SET filter value to the form normalizeCell
// gives a cell of type vt, so the two compare with ==.
func normalizeFilterValue(v any, vt string) any {
	s, isString := v.(string)
	switch {
	case isString && isDateType(vt):
		if vt == sampledata.TypeDateTime {
			if tm, ok := parseDateTime(s); ok {
				return tm.Format(dateTimeLayout)
			}
		} else if tm, ok := parseDate(s); ok {
			return tm.Format(dateLayout)
		}
	case isString && isNumberType(vt):
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case isString && vt == sampledata.TypeBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	}
	return v
}

// normalizeCell is the comparable form of a cell for SET filters.
func normalizeCell(v any, vt string) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case time.Time:
		return render(x, vt, -1)
	}
	return v
}

func compileQuantitative(f *filter, fj filterJSON, where string) *apiError {
	if fj.QuantitativeFilterType == nil {
		return errSpec("Missing required property '%s.quantitativeFilterType'.", where)
	}
	f.quant = *fj.QuantitativeFilterType
	switch f.quant {
	case "RANGE", "MIN", "MAX", "ONLY_NULL", "ONLY_NON_NULL":
	default:
		return errSpec("%s.quantitativeFilterType must be RANGE, MIN, MAX, ONLY_NULL or ONLY_NON_NULL, not %q.", where, f.quant)
	}
	vt := f.e.valueType()
	needLo := f.quant == "RANGE" || f.quant == "MIN"
	needHi := f.quant == "RANGE" || f.quant == "MAX"

	if f.kind == "QUANTITATIVE_NUMERICAL" {
		if !isNumberType(vt) {
			return errInvalid("%s: QUANTITATIVE_NUMERICAL needs a numeric field; %s is %s.", where, f.e.name(), vt)
		}
		if (needLo && fj.Min == nil) || (needHi && fj.Max == nil) {
			return errInvalid("%s: quantitativeFilterType %s needs %s.", where, f.quant, boundsWord(needLo, needHi, "min", "max"))
		}
		if needLo {
			f.lo = *fj.Min
		}
		if needHi {
			f.hi = *fj.Max
		}
		if needLo && needHi && *fj.Min > *fj.Max {
			return errInvalid("%s: min %v is greater than max %v.", where, *fj.Min, *fj.Max)
		}
		return nil
	}

	if !isDateType(vt) {
		return errInvalid("%s: QUANTITATIVE_DATE needs a date field; %s is %s.", where, f.e.name(), vt)
	}
	if (needLo && fj.MinDate == nil) || (needHi && fj.MaxDate == nil) {
		return errInvalid("%s: quantitativeFilterType %s needs %s.", where, f.quant, boundsWord(needLo, needHi, "minDate", "maxDate"))
	}
	if needLo {
		d, ok := parseDate(*fj.MinDate)
		if !ok {
			return errSpec("%s.minDate %q is not an RFC 3339 date (YYYY-MM-DD).", where, *fj.MinDate)
		}
		f.lo = d
	}
	if needHi {
		d, ok := parseDate(*fj.MaxDate)
		if !ok {
			return errSpec("%s.maxDate %q is not an RFC 3339 date (YYYY-MM-DD).", where, *fj.MaxDate)
		}
		f.hi = d.AddDate(0, 0, 1) // the whole last day is in range
	}
	if needLo && needHi && !f.lo.(time.Time).Before(f.hi.(time.Time)) {
		return errInvalid("%s: minDate is after maxDate.", where)
	}
	return nil
}

func boundsWord(lo, hi bool, loName, hiName string) string {
	switch {
	case lo && hi:
		return loName + " and " + hiName
	case lo:
		return loName
	}
	return hiName
}

func compileRelativeDate(f *filter, fj filterJSON, where string) *apiError {
	if fj.PeriodType == nil {
		return errSpec("Missing required property '%s.periodType'.", where)
	}
	if fj.DateRangeType == nil {
		return errSpec("Missing required property '%s.dateRangeType'.", where)
	}
	period, rangeType := *fj.PeriodType, *fj.DateRangeType
	switch period {
	case "MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS", "QUARTERS", "YEARS":
	default:
		return errSpec("%s.periodType %q is not a known period type.", where, period)
	}
	if vt := f.e.valueType(); !isDateType(vt) {
		return errInvalid("%s: a DATE filter needs a date field; %s is %s.", where, f.e.name(), vt)
	}
	n := 1
	switch rangeType {
	case "CURRENT", "LAST", "NEXT", "TODATE":
	case "LASTN", "NEXTN":
		if fj.RangeN == nil {
			return errInvalid("%s: dateRangeType %s needs rangeN.", where, rangeType)
		}
		if *fj.RangeN < 1 {
			return errInvalid("%s.rangeN must be at least 1.", where)
		}
		n = *fj.RangeN
	default:
		return errSpec("%s.dateRangeType %q is not a known range type.", where, rangeType)
	}
	anchor := sampledata.Today()
	if fj.AnchorDate != nil {
		d, ok := parseDate(*fj.AnchorDate)
		if !ok {
			return errSpec("%s.anchorDate %q is not an RFC 3339 date (YYYY-MM-DD).", where, *fj.AnchorDate)
		}
		anchor = d
	}
	start := periodStart(anchor, period)
	switch rangeType {
	case "CURRENT":
		f.from, f.to = start, addPeriods(start, period, 1)
	case "LAST":
		f.from, f.to = addPeriods(start, period, -1), start
	case "NEXT":
		f.from, f.to = addPeriods(start, period, 1), addPeriods(start, period, 2)
	case "LASTN":
		f.from, f.to = addPeriods(start, period, -(n-1)), addPeriods(start, period, 1)
	case "NEXTN":
		f.from, f.to = start, addPeriods(start, period, n)
	case "TODATE":
		f.from, f.to = start, anchor.AddDate(0, 0, 1)
	}
	return nil
}

func periodStart(t time.Time, period string) time.Time {
	switch period {
	case "MINUTES":
		return t.Truncate(time.Minute)
	case "HOURS":
		return t.Truncate(time.Hour)
	case "DAYS":
		return dateTrunc("TRUNC_DAY", t)
	case "WEEKS":
		return dateTrunc("TRUNC_WEEK", t)
	case "MONTHS":
		return dateTrunc("TRUNC_MONTH", t)
	case "QUARTERS":
		return dateTrunc("TRUNC_QUARTER", t)
	default:
		return dateTrunc("TRUNC_YEAR", t)
	}
}

func addPeriods(t time.Time, period string, n int) time.Time {
	switch period {
	case "MINUTES":
		return t.Add(time.Duration(n) * time.Minute)
	case "HOURS":
		return t.Add(time.Duration(n) * time.Hour)
	case "DAYS":
		return t.AddDate(0, 0, n)
	case "WEEKS":
		return t.AddDate(0, 0, 7*n)
	case "MONTHS":
		return t.AddDate(0, n, 0)
	case "QUARTERS":
		return t.AddDate(0, 3*n, 0)
	default:
		return t.AddDate(n, 0, 0)
	}
}

// toParamValue brings a parameter value to the form calculations read:
// numbers as float64.
func toParamValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return v
}

// checkParameter validates a query parameter against the data source's and
// returns its caption and value.
func checkParameter(dataset string, raw json.RawMessage, where string) (string, any, *apiError) {
	var pj parameterJSON
	if e := decodeLoose(raw, where, &pj); e != nil {
		return "", nil, e
	}
	if pj.ParameterCaption == nil {
		return "", nil, errSpec("Missing required property '%s.parameterCaption'.", where)
	}
	if pj.Value == nil {
		return "", nil, errSpec("Missing required property '%s.value'.", where)
	}
	var v any
	_ = json.Unmarshal(pj.Value, &v)
	return *pj.ParameterCaption, v, validParameter(dataset, *pj.ParameterCaption, v, where)
}

func validParameter(dataset, caption string, v any, where string) *apiError {
	for _, p := range parametersOf(dataset) {
		if p.ParameterCaption != caption {
			continue
		}
		num, isNum := v.(float64)
		if isNumberType(p.DataType) && !isNum {
			return errInvalid("%s: parameter '%s' takes a number.", where, p.ParameterCaption)
		}
		if p.DataType == sampledata.TypeInteger && num != math.Trunc(num) {
			return errInvalid("%s: parameter '%s' takes an integer.", where, p.ParameterCaption)
		}
		if (p.Min != nil && num < *p.Min) || (p.Max != nil && num > *p.Max) {
			return errInvalid("%s: parameter '%s' is out of its range.", where, p.ParameterCaption)
		}
		if p.ParameterType == "LIST" {
			for _, m := range p.Members {
				if fmt.Sprint(m.Value) == fmt.Sprint(v) {
					return nil
				}
			}
			return errInvalid("%s: %v is not one of the values of parameter '%s'.", where, v, p.ParameterCaption)
		}
		return nil
	}
	return errInvalid("%s: Unknown Parameter: %s.", where, caption)
}
