package tools

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// The rules these tests hold the tool to come from the VizQL Data Service's
// OpenAPI document (components.schemas), restated here as the project's own
// facts:
//   - Query.parameters: array of Parameter {parameterCaption, value}, both
//     required; "the type of the value must match the type of the parameter".
//   - read-metadata's extraData.parameters: ParameterRecord {parameterType
//     ANY_VALUE|LIST|QUANTITATIVE_RANGE|QUANTITATIVE_DATE, parameterName,
//     parameterCaption, dataType, value}; LIST adds members [{value, alias}],
//     QUANTITATIVE_RANGE min/max/step ("values must be greater than or
//     equal to min", "less than or equal to max"), QUANTITATIVE_DATE
//     minDate/maxDate/periodType/periodValue.
//   - BinField: fieldCaption and binSize, no function, additionalProperties
//     false; "The binSize value must be greater than 0".
//   - QuantitativeFilterBase.includeNulls: "Only applies to RANGE, MIN, and
//     MAX filters"; RelativeDateFilter (DATE) has includeNulls too.
//   - QuantitativeDateFilter.minDate/maxDate: "format": "date".
//   - FieldBase.fieldCaption: "in the case of a calculation, a user-supplied
//     name for the calculation".

// paramMetadata is a MetadataOutput with one parameter of each type.
const paramMetadata = `{"data":[
 {"fieldName":"Region","fieldCaption":"Region","dataType":"STRING","fieldRole":"DIMENSION","defaultAggregation":"COUNT"},
 {"fieldName":"Order Date","fieldCaption":"Order Date","dataType":"DATE","fieldRole":"DIMENSION","defaultAggregation":"YEAR"},
 {"fieldName":"Sales","fieldCaption":"Sales","dataType":"REAL","fieldRole":"MEASURE","defaultAggregation":"SUM"},
 {"fieldName":"Quantity","fieldCaption":"Quantity","dataType":"INTEGER","fieldRole":"MEASURE","defaultAggregation":"SUM"},
 {"fieldName":"Profit","fieldCaption":"Profit","dataType":"REAL","fieldRole":"MEASURE","defaultAggregation":"SUM"}
],"extraData":{"parameters":[
 {"parameterType":"QUANTITATIVE_RANGE","parameterName":"[Parameters].[Parameter 1]","parameterCaption":"Profit Target","dataType":"REAL","value":0.15,"min":0,"max":0.5,"step":0.01},
 {"parameterType":"LIST","parameterName":"[Parameters].[Parameter 2]","parameterCaption":"Top Customers","dataType":"INTEGER","value":10,"members":[{"value":5,"alias":"Top 5"},{"value":10,"alias":"Top 10"},{"value":20,"alias":"Top 20"}]},
 {"parameterType":"ANY_VALUE","parameterName":"[Parameters].[Parameter 3]","parameterCaption":"Label","dataType":"STRING","value":"All"},
 {"parameterType":"QUANTITATIVE_DATE","parameterName":"[Parameters].[Parameter 4]","parameterCaption":"As Of","dataType":"DATE","value":"2025-06-30","minDate":"2023-01-01","maxDate":"2026-12-31","periodType":"DAYS","periodValue":1}
]}}`

func queried(b *vds) bool {
	for _, c := range b.calls {
		if c.Request.Path == "/query-datasource" {
			return true
		}
	}
	return false
}

func TestParametersAreCheckedAndSent(t *testing.T) {
	good := `[{"parameterCaption":"Profit Target","value":0.3},{"parameterCaption":"Top Customers","value":20},` +
		`{"parameterCaption":"Label","value":"x"},{"parameterCaption":"As Of","value":"2024-02-29"}]`
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	for _, form := range []string{good, q(good)} {
		b := &vds{meta: paramMetadata, rows: 1}
		res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}],"parameters":`+form))
		if res.IsError {
			t.Fatal(text(res))
		}
		body, _ := sent(t, b)
		if got := mustJSON(t, body["query"].(map[string]any)["parameters"]); got != good {
			t.Errorf("parameters sent %s, want %s", got, good)
		}
		for _, c := range b.calls {
			if c.Request.Path == "/query-datasource" && c.Forward {
				t.Error("a query with parameters must go as the service's own request: Scalekit's connector takes none")
			}
		}
	}
	// Without parameters the connector's tool is used, and no member is added.
	b := &vds{meta: paramMetadata, rows: 1}
	query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}]`))
	body, _ := sent(t, b)
	if _, has := body["query"].(map[string]any)["parameters"]; has || !b.calls[len(b.calls)-1].Forward {
		t.Errorf("query without parameters: %s forward=%v", mustJSON(t, body), b.calls[len(b.calls)-1].Forward)
	}

	cases := []struct{ params, want string }{
		{`[{"parameterCaption":"Profit Targt","value":0.2}]`, "parameters[0]: no parameter 'Profit Targt'; did you mean 'Profit Target'?"},
		{`[{"parameterCaption":"Discount","value":0.2}]`, "parameters[0]: no parameter 'Discount'; its parameters are 'Profit Target', 'Top Customers', 'Label', 'As Of'"},
		{`[{"parameterCaption":"Profit Target","value":"0.2"}]`, `parameters[0].value "0.2" does not fit 'Profit Target', which takes a number (REAL), not a string, e.g. its current value 0.15`},
		{`[{"parameterCaption":"Profit Target","value":0.9}]`, "parameters[0].value 0.9 is outside the range of 'Profit Target': 0 to 0.5"},
		{`[{"parameterCaption":"Profit Target","value":-0.1}]`, "parameters[0].value -0.1 is outside the range of 'Profit Target': 0 to 0.5"},
		{`[{"parameterCaption":"Top Customers","value":7}]`, "parameters[0].value 7 is not one of the values 'Top Customers' allows: 5 (Top 5), 10 (Top 10), 20 (Top 20)"},
		{`[{"parameterCaption":"Top Customers","value":"Top 5"}]`, "parameters[0].value \"Top 5\" does not fit 'Top Customers', which takes a whole number (INTEGER)"},
		{`[{"parameterCaption":"Top Customers","value":10.5}]`, "which takes a whole number (INTEGER), e.g. its current value 10"},
		{`[{"parameterCaption":"Label","value":3}]`, "parameters[0].value 3 does not fit 'Label', which takes a string (STRING)"},
		{`[{"parameterCaption":"As Of","value":"30/06/2025"}]`, "parameters[0].value \"30/06/2025\" does not fit 'As Of', which takes a date as a string YYYY-MM-DD"},
		{`[{"parameterCaption":"As Of","value":"2022-12-31"}]`, "parameters[0].value \"2022-12-31\" is outside the dates of 'As Of': 2023-01-01 to 2026-12-31"},
		{`[{"parameterCaption":"Label","value":"a"},{"parameterCaption":"Profit Target","value":1}]`, "parameters[1].value 1 is outside the range"},
	}
	for _, c := range cases {
		b := &vds{meta: paramMetadata, rows: 1}
		res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}],"parameters":`+c.params))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.params, text(res), c.want)
		}
		if queried(b) {
			t.Errorf("%s: sent though refused", c.params)
		}
	}
	// Shape mistakes are refused before the metadata is read.
	for params, want := range map[string]string{
		`[{"parameterCaption":"Label"}]`:             "parameters[0] needs a value",
		`[{"value":1}]`:                              "parameters[0] needs a parameterCaption",
		`[{"parameterCaption":"Label","value":[1]}]`: "parameters[0].value must be a string, number or boolean",
		`[{"parameterCaption":"Label","value":"a"},{"parameterCaption":"Label","value":"b"}]`: "parameters[1] sets 'Label' again (parameters[0] sets it too)",
		`[{"parameterCaption":"Label","val":"a"}]`:                                            `parameters[0] has no member "val"; its members are: parameterCaption, value`,
	} {
		b := &vds{meta: paramMetadata, rows: 1}
		res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}],"parameters":`+params))
		if !res.IsError || !strings.Contains(text(res), want) || len(b.calls) != 0 {
			t.Errorf("%s:\n got %q (calls %q)\nwant %q", params, text(res), b.paths(), want)
		}
	}
	// A data source without parameters says so.
	b = &vds{rows: 1, meta: strings.Replace(paramMetadata, `"parameters":[`, `"parameters":[],"x":[`, 1)}
	res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Label","value":"a"}]`))
	if !strings.Contains(text(res), "parameters[0]: the data source has no parameters") {
		t.Errorf("no parameters: %s", text(res))
	}
}

func TestBinsAreMeasuresWithAPositiveSize(t *testing.T) {
	b := &vds{meta: paramMetadata, rows: 1}
	res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Sales","binSize":100},{"fieldCaption":"Quantity","binSize":0.5},{"fieldCaption":"Profit","function":"SUM"}],"sort":[{"fieldCaption":"Sales"}]`))
	if res.IsError {
		t.Fatal(text(res))
	}
	body, p := sent(t, b)
	want := `[{"binSize":100,"fieldCaption":"Sales","sortDirection":"ASC","sortPriority":1},{"binSize":0.5,"fieldCaption":"Quantity"},{"fieldCaption":"Profit","function":"SUM"}]`
	if got := mustJSON(t, body["query"].(map[string]any)["fields"]); got != want {
		t.Errorf("fields sent %s\nwant %s", got, want)
	}
	if !strings.Contains(p["fields"].(string), `"binSize":100`) {
		t.Errorf("Scalekit's fields string lacks the bin: %s", p["fields"])
	}
	if strings.Contains(text(res), "without a function") {
		t.Errorf("a bin is not a measure missing its function: %s", text(res))
	}

	cases := []struct{ fields, want string }{
		{`[{"fieldCaption":"Sales","binSize":0}]`, "fields[0].binSize must be greater than 0"},
		{`[{"fieldCaption":"Region"},{"fieldCaption":"Sales","binSize":-5}]`, "fields[1].binSize must be greater than 0"},
		{`[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM","binSize":10}]`, "fields[1].binSize groups the measure's own values, so the field takes no function; drop function SUM"},
		{`[{"fieldCaption":"Margin","calculation":"[Profit]/[Sales]","binSize":1}]`, "fields[0].binSize cannot apply to a calculation"},
		{`[{"fieldCaption":"Region"},{"fieldCaption":"Region","binSize":10,"fieldAlias":"R"}]`, "fields[1].binSize: bins group a numeric measure (INTEGER or REAL), and 'Region' is a STRING dimension; drop binSize, or bin 'Sales' or 'Quantity' or 'Profit'"},
		{`[{"fieldCaption":"Order Date","binSize":7}]`, "fields[0].binSize: bins group a numeric measure (INTEGER or REAL), and 'Order Date' is a DATE dimension"},
		{`[{"fieldCaption":"Sale","binSize":7}]`, "fields[0]: no field 'Sale'; did you mean 'Sales'?"},
	}
	for _, c := range cases {
		b := &vds{meta: paramMetadata, rows: 1}
		res := query(t, b, withLUID(`"fields":`+c.fields))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.fields, text(res), c.want)
		}
		if queried(b) {
			t.Errorf("%s: sent though refused", c.fields)
		}
	}
}

func TestFilterRulesTheServiceDocuments(t *testing.T) {
	region := `"fields":[{"fieldCaption":"Region"}],"filters":`
	cases := []struct{ rest, want string }{
		// includeNulls only on RANGE, MIN and MAX.
		{region + `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"]},{"field":{"fieldCaption":"Profit"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"ONLY_NULL","includeNulls":true}]`,
			"filters[1].includeNulls applies only to RANGE, MIN and MAX filters, and ONLY_NULL already keeps only the null values; drop includeNulls"},
		{region + `[{"field":{"fieldCaption":"Order Date"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"ONLY_NON_NULL","includeNulls":false}]`,
			"filters[0].includeNulls applies only to RANGE, MIN and MAX filters, and ONLY_NON_NULL already drops the null values"},
		// A calculation's caption must not shadow a field.
		{`"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","calculation":"SUM([Sales]) * 2"}]`,
			"fields[1].fieldCaption 'Sales' is already a field of the data source, and the calculation's column would shadow it; name the result differently, e.g. 'Sales (calculated)'"},
		// One filter per field, with how to write it as one.
		{region + `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"]},{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":1},{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["West"]}]`,
			`filters[2] filters 'Region' again (so does filters[0]); give each field one filter: one SET filter listing every value, "values":["East","West"]`},
		{region + `[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":1},{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MAX","max":9}]`,
			"filters[1] filters 'Sales' again (so does filters[0]); give each field one filter: one QUANTITATIVE_NUMERICAL filter with quantitativeFilterType RANGE and both min and max"},
		{region + `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"]},{"field":{"fieldCaption":"Region"},"filterType":"MATCH","contains":"st"}]`,
			"filters[1] filters 'Region' again (so does filters[0]); give each field one filter: a SET filter lists every value to keep"},
		// A date part is a number; QUANTITATIVE_DATE compares dates.
		{region + `[{"field":{"fieldCaption":"Order Date","function":"YEAR"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"RANGE","minDate":"2024-01-01","maxDate":"2025-12-31"}]`,
			"filters[0] (QUANTITATIVE_DATE): YEAR(Order Date) is a number (INTEGER), not a date, while QUANTITATIVE_DATE compares dates; filter 'Order Date' itself (no function) with minDate 2024-01-01 and maxDate 2025-12-31, or use QUANTITATIVE_NUMERICAL on YEAR(Order Date) with min 2024 and max 2025"},
		{region + `[{"field":{"fieldCaption":"Order Date","function":"MONTH"},"filterType":"DATE","periodType":"MONTHS","dateRangeType":"LAST"}]`,
			"MONTH(Order Date) is a number (INTEGER), not a date, while DATE compares dates; filter 'Order Date' itself"},
	}
	for _, c := range cases {
		b := &vds{meta: paramMetadata, rows: 1}
		res := query(t, b, withLUID(c.rest))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.rest, text(res), c.want)
		}
		if queried(b) {
			t.Errorf("%s: sent though refused", c.rest)
		}
	}
	// What the rules allow is sent.
	for _, rest := range []string{
		region + `[{"field":{"fieldCaption":"Profit"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":-5,"max":5,"includeNulls":true}]`,
		region + `[{"field":{"fieldCaption":"Profit"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":0,"includeNulls":false}]`,
		region + `[{"field":{"fieldCaption":"Order Date"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"MAX","maxDate":"2025-01-01","includeNulls":true}]`,
		region + `[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"YEARS","dateRangeType":"LAST","includeNulls":true}]`,
		region + `[{"field":{"fieldCaption":"Order Date","function":"TRUNC_YEAR"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"MIN","minDate":"2024-01-01"}]`,
		region + `[{"field":{"fieldCaption":"Order Date","function":"YEAR"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":2024,"max":2025}]`,
		region + `[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":1,"max":9},{"field":{"calculation":"[Sales] > 2"},"filterType":"SET","values":[true]},{"field":{"calculation":"[Sales] > 2"},"filterType":"SET","values":[true]}]`,
		`"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Margin","calculation":"SUM([Profit])/SUM([Sales])"}]`,
	} {
		b := &vds{meta: paramMetadata, rows: 1}
		if res := query(t, b, withLUID(rest)); res.IsError || !queried(b) {
			t.Errorf("%s: refused: %s", rest, text(res))
		}
	}
}

func TestQueryMistakesGetANote(t *testing.T) {
	decode := func(s string) queryAnswer {
		t.Helper()
		var a queryAnswer
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
		return a
	}
	// A measure without its function: named, with the function to add, and
	// the answer cut small.
	b := &vds{meta: paramMetadata, rows: 500}
	a := decode(text(query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales"}]`))))
	want := `'Sales' is a measure queried without a function, so each of its distinct values is a row; add "function":"SUM" to aggregate it. Only the first 20 rows are shown until then; more exist.`
	if a.Note != want || a.RowCount != bareMeasureRows || !a.Truncated {
		t.Errorf("bare measure: %d rows, note %q\nwant %q", a.RowCount, a.Note, want)
	}
	body, _ := sent(t, b)
	if body["options"].(map[string]any)["rowLimit"] != float64(bareMeasureRows+1) {
		t.Errorf("rowLimit %v", body["options"])
	}
	// With max_rows chosen, the note stays and the limit is the caller's.
	b = &vds{meta: paramMetadata, rows: 50}
	a = decode(text(query(t, b, withLUID(`"fields":[{"fieldCaption":"Quantity"}],"max_rows":40`))))
	if a.RowCount != 40 || !strings.HasPrefix(a.Note, `'Quantity' is a measure queried without a function`) || !strings.HasSuffix(a.Note, "Cut at max_rows=40 as asked: more rows exist.") || strings.Contains(a.Note, "Raise") {
		t.Errorf("bare measure with max_rows: %d rows, note %q", a.RowCount, a.Note)
	}
	// A SET value matching no member gets the closest members; the members
	// are read once while the metadata is kept.
	b = &vds{meta: paramMetadata, rows: 4} // members R0 R1 R2 R3
	env := &Env{Backend: b, Metadata: NewMetadataCache(60e9)}
	args := withLUID(`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["R1","r2","Nowhere"]}]`)
	for i := 0; i < 2; i++ {
		a = decode(text(runWith(t, t.Context(), env, "tableau_query_view", args)))
		want := `filters[0].values[1] "r2" matches no member of 'Region'; closest: "R2". filters[0].values[2] "Nowhere" matches no member of 'Region' (query 'Region' alone to list its members).`
		if a.Note != want {
			t.Errorf("set note %q\nwant %q", a.Note, want)
		}
	}
	members := 0
	for _, c := range b.calls {
		if isMembersCall(c) {
			members++
		}
	}
	if members != 1 {
		t.Errorf("members read %d times, want once: %s", members, b.paths())
	}
	// Reading the members fails: the answer stands, without the hint, and
	// the next query tries again.
	b = &vds{meta: paramMetadata, rows: 4, memErr: fmt.Errorf("injected 503")}
	env = &Env{Backend: b, Metadata: NewMetadataCache(60e9)}
	for i := 0; i < 2; i++ {
		res := runWith(t, t.Context(), env, "tableau_query_view", args)
		if a = decode(text(res)); res.IsError || a.RowCount != 4 || a.Note != "" {
			t.Errorf("members unreadable: %s", text(res))
		}
	}
	if n := strings.Count(b.paths(), "/query-datasource"); n != 4 {
		t.Errorf("calls %q: want each query and a fresh attempt at the members", b.paths())
	}
}

var (
	vdsSchemaOnce sync.Once
	vdsSchema     *jsonschema.Resolved
	vdsSchemaErr  error
)

// vdsQuerySchema is the service's Query schema (testdata/vds-query.schema.json,
// taken from its OpenAPI document), against which every query the tests
// see sent is validated.
func vdsQuerySchema(t testing.TB) *jsonschema.Resolved {
	t.Helper()
	vdsSchemaOnce.Do(func() {
		raw, err := os.ReadFile("testdata/vds-query.schema.json")
		if err != nil {
			vdsSchemaErr = err
			return
		}
		var s jsonschema.Schema
		if vdsSchemaErr = json.Unmarshal(raw, &s); vdsSchemaErr == nil {
			vdsSchema, vdsSchemaErr = s.Resolve(nil)
		}
	})
	if vdsSchemaErr != nil {
		t.Fatal(vdsSchemaErr)
	}
	return vdsSchema
}

// The schema itself tells right from wrong, so that passing it means
// something.
func TestTheQuerySchemaRefusesWhatTheServiceWould(t *testing.T) {
	s := vdsQuerySchema(t)
	for q, ok := range map[string]bool{
		`{"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]}`:                                      true,
		`{"fields":[{"fieldCaption":"Sales","binSize":0.5}]}`:                                                                   true,
		`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"P","value":1}]}`:                              true,
		`{"fields":[{"fieldCaption":"Sales","function":"SUM","binSize":10}]}`:                                                   false,
		`{"fields":[{"fieldCaption":"Sales","binSize":0}]}`:                                                                     false,
		`{"fields":[{"fieldCaption":"Sales","function":"SUMM"}]}`:                                                               false,
		`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"P"}]}`:                                        false,
		`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET"}]}`:             false,
		`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"TOP","howMany":1}]}`: false,
		`{"fields":[{"fieldCaption":"Region"}],"bins":[]}`:                                                                      false,
	} {
		var v any
		if err := json.Unmarshal([]byte(q), &v); err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(v); (err == nil) != ok {
			t.Errorf("%s: valid=%v, want %v (%v)", q, err == nil, ok, err)
		}
	}
}
