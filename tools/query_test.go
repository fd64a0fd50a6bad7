package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
)

const dsLUID = "5f8af27b-37d1-5f36-9d10-977f2fb97505"

// metadataAnswer is a /read-metadata answer in the documented form
// (MetadataOutput of the VDS OpenAPI document), written by hand. Profit has
// no fieldRole, so its role must be derived from its aggregation.
const metadataAnswer = `{"data":[
 {"fieldName":"Region","fieldCaption":"Region","dataType":"STRING","fieldRole":"DIMENSION","defaultAggregation":"COUNT","logicalTableId":"Orders_1"},
 {"fieldName":"Order Date","fieldCaption":"Order Date","dataType":"DATE","fieldRole":"DIMENSION","defaultAggregation":"YEAR","logicalTableId":"Orders_1"},
 {"fieldName":"Sales","fieldCaption":"Sales","dataType":"REAL","fieldRole":"MEASURE","defaultAggregation":"SUM","description":"Revenue.","logicalTableId":"Orders_1"},
 {"fieldName":"Profit","fieldCaption":"Profit","dataType":"REAL","defaultAggregation":"SUM","logicalTableId":"Orders_1"},
 {"fieldName":"Quantity","fieldCaption":"Quantity","dataType":"INTEGER","fieldRole":"MEASURE","defaultAggregation":"SUM","logicalTableId":"Orders_1"},
 {"fieldName":"Customer Name","fieldCaption":"Customer Name","dataType":"STRING","fieldRole":"DIMENSION","defaultAggregation":"COUNT","logicalTableId":"Orders_1"},
 {"fieldName":"Secret","fieldCaption":"Secret","dataType":"STRING","fieldRole":"DIMENSION","hidden":true}
],"extraData":{"parameters":[{"parameterType":"QUANTITATIVE_RANGE","parameterName":"[Parameters].[Parameter 1]","parameterCaption":"Profit Target","dataType":"REAL","value":0.15,"min":0,"max":0.5,"step":0.01}]}}`

// vds is a backend that answers the two VDS endpoints: the metadata
// above, and rows rows of data for a query.
type vds struct {
	meta     string // the metadata answer; metadataAnswer when empty
	memErr   error  // the answer to reading a field's members
	calls    []backend.Call
	rows     int
	queryErr error
	metaErr  error
}

func (v *vds) Name() string { return "test" }
func (v *vds) Open(context.Context, backend.Request) (*http.Response, error) {
	return nil, fmt.Errorf("not used")
}
func (v *vds) Invoke(_ context.Context, c backend.Call) (json.RawMessage, error) {
	v.calls = append(v.calls, c)
	switch c.Request.Path {
	case "/read-metadata":
		if v.metaErr != nil {
			return nil, v.metaErr
		}
		if v.meta != "" {
			return json.RawMessage(v.meta), nil
		}
		return json.RawMessage(metadataAnswer), nil
	case "/query-datasource":
		if v.queryErr != nil {
			return nil, v.queryErr
		}
		if v.memErr != nil && isMembersCall(c) {
			return nil, v.memErr
		}
		var rows []string
		for i := 0; i < v.rows; i++ {
			rows = append(rows, fmt.Sprintf(`{"Region":"R%d", "SUM(Sales)":%d}`, i, i*10))
		}
		return json.RawMessage(`{"data":[` + strings.Join(rows, ",") + `]}`), nil
	}
	return nil, fmt.Errorf("unexpected path %s", c.Request.Path)
}

// isMembersCall tells the query that reads a field's members.
func isMembersCall(c backend.Call) bool {
	return c.Params["max_rows"] == maxMembers+1 && !strings.Contains(c.Params["fields"].(string), "},{")
}

func (v *vds) paths() string {
	var p []string
	for _, c := range v.calls {
		p = append(p, c.Request.Path)
	}
	return strings.Join(p, " ")
}

func runWith(t *testing.T, ctx context.Context, env *Env, name, args string) *mcp.CallToolResult {
	t.Helper()
	tool, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tool.Handle(ctx, env, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	return res
}

func query(t *testing.T, b *vds, args string) *mcp.CallToolResult {
	t.Helper()
	return runWith(t, context.Background(), &Env{Backend: b, Metadata: NewMetadataCache(time.Minute)}, "tableau_query_view", args)
}

func withLUID(rest string) string { return `{"datasource_luid":"` + dsLUID + `",` + rest + `}` }

// sent is the VDS body and the Scalekit params of the last query call
// (not counting the reading of a field's members for a SET filter).
func sent(t *testing.T, b *vds) (body map[string]any, params map[string]any) {
	t.Helper()
	for i := len(b.calls) - 1; i >= 0; i-- {
		c := b.calls[i]
		if c.Request.Path != "/query-datasource" || isMembersCall(c) {
			continue
		}
		raw, _ := json.Marshal(c.Request.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		if err := vdsQuerySchema(t).Validate(body["query"]); err != nil {
			t.Errorf("the query sent does not follow the service's Query schema: %v\n%s", err, mustJSON(t, body["query"]))
		}
		return body, c.Params
	}
	t.Fatalf("no query was sent; calls: %s", b.paths())
	return nil, nil
}

func TestArraysAndStringsAreTheSameQuery(t *testing.T) {
	fields := `[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`
	filters := `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East","West"],"exclude":false}]`
	sort := `[{"fieldCaption":"Sales","sortDirection":"DESC"}]`
	asArrays := &vds{rows: 2}
	asStrings := &vds{rows: 2}
	if res := query(t, asArrays, withLUID(`"fields":`+fields+`,"filters":`+filters+`,"sort":`+sort)); res.IsError {
		t.Fatal(text(res))
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	if res := query(t, asStrings, withLUID(`"fields":`+q(fields)+`,"filters":`+q(filters)+`,"sort":`+q(sort))); res.IsError {
		t.Fatal(text(res))
	}
	b1, p1 := sent(t, asArrays)
	b2, p2 := sent(t, asStrings)
	if mustJSON(t, b1) != mustJSON(t, b2) || mustJSON(t, p1) != mustJSON(t, p2) {
		t.Errorf("the two forms differ:\n%s\n%s", mustJSON(t, b1), mustJSON(t, b2))
	}
	// The body follows the QueryRequest schema.
	want := `{"datasource":{"datasourceLuid":"` + dsLUID + `"},` +
		`"options":{"disaggregate":false,"returnFormat":"OBJECTS","rowLimit":1001},` +
		`"query":{"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM","sortDirection":"DESC","sortPriority":1}],` +
		`"filters":[{"exclude":false,"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East","West"]}]}}`
	if got := mustJSON(t, b1); got != want {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Re-encode through a map so that key order is canonical.
	var x any
	_ = json.Unmarshal(b, &x)
	b, _ = json.Marshal(x)
	return string(b)
}

func TestScalekitGetsItsOwnParameterForm(t *testing.T) {
	b := &vds{rows: 1}
	res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}],`+
		`"filters":[{"field":{"fieldCaption":"Sales","function":"SUM"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":100}],`+
		`"sort":[{"fieldCaption":"Region","sortDirection":"desc"}],"max_rows":25`))
	if res.IsError {
		t.Fatal(text(res))
	}
	var call backend.Call
	for _, c := range b.calls {
		if c.Request.Path == "/query-datasource" {
			call = c
		}
	}
	if call.Tool != "tableau_query_view" || !call.Forward {
		t.Errorf("the query must go to Scalekit's own tableau_query_view: %+v", call)
	}
	p := call.Params
	for _, k := range []string{"fields", "filters"} {
		s, ok := p[k].(string)
		var arr []any
		if !ok || json.Unmarshal([]byte(s), &arr) != nil || len(arr) == 0 {
			t.Errorf("params.%s must be a string holding a JSON array, got %#v", k, p[k])
		}
	}
	if p["fields"] != `[{"fieldCaption":"Region","sortDirection":"DESC","sortPriority":1},{"fieldCaption":"Sales","function":"SUM"}]` {
		t.Errorf("params.fields %v: the sort must be merged into the fields", p["fields"])
	}
	if _, has := p["sort"]; has {
		t.Errorf("the sort is merged into fields, params.sort must be absent: %v", p)
	}
	if p["max_rows"] != 26 || p["datasource_luid"] != dsLUID {
		t.Errorf("params %v", p)
	}
	if len(p) != 4 {
		t.Errorf("params has unexpected members: %v", p)
	}
}

func TestListsAreDecodedStrictly(t *testing.T) {
	cases := []struct{ rest, want string }{
		{`"fields":[{"fieldCaption":"Region","func":"SUM"}]`, `fields[0] has no member "func"; its members are: fieldCaption, function, fieldAlias, maxDecimalPlaces, sortDirection, sortPriority, calculation`},
		{`"fields":"[{\"fieldCaption\":\"Region\"},{\"caption\":\"Sales\"}]"`, `fields[1] has no member "caption"`},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region","name":"x"},"filterType":"SET","values":["a"]}]`, `filters[0].field has no member "name"; its members are: fieldCaption, function, calculation`},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET","value":["a"]}]`, `filters[0] has no member "value"`},
		{`"fields":[{"fieldCaption":7}]`, `fields[0].fieldCaption must be a string, not a JSON number`},
		{`"fields":[{"fieldCaption":"Sales","maxDecimalPlaces":"2"}]`, `fields[0].maxDecimalPlaces must be an integer, not a JSON string`},
		{`"fields":"Region, SUM(Sales)"`, `fields is a string that does not hold valid JSON`},
		{`"fields":{"fieldCaption":"Region"}`, `fields must be a JSON array (or a string holding one)`},
		{`"fields":["Region"]`, `fields[0] must be an object`},
		{`"fields":[{"fieldCaption":"Region"}],"sort":[{"fieldCaption":"Region","direction":"DESC"}]`, `sort[0] has no member "direction"; its members are: fieldCaption, function, sortDirection, sortPriority`},
		{`"filters":[]`, `parameter "fields" is required`},
		{`"fields":[]`, `fields must list at least one field`},
		{`"fields":""`, `parameter "fields" is required`},
		{`"fields":[{"fieldCaption":"Region"}],"max_rows":20000`, `max_rows must be between 1 and 10000`},
	}
	for _, c := range cases {
		b := &vds{}
		res := query(t, b, withLUID(c.rest))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.rest, text(res), c.want)
		}
		if !strings.HasPrefix(text(res), "tableau_query_view") {
			t.Errorf("%s: the message should name the tool: %q", c.rest, text(res))
		}
		if len(b.calls) != 0 {
			t.Errorf("%s: a malformed query reached the backend", c.rest)
		}
	}
}

func TestQueriesBreakingTheVDSRulesAreRefusedWithTheReason(t *testing.T) {
	f := `"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}],`
	cases := []struct{ filters, want string }{
		{`[{"field":{"fieldCaption":"Region"},"filterType":"SET"}]`, "filters[0] (SET) needs values"},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"]},{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":10}]`, "filters[1] (QUANTITATIVE_NUMERICAL, RANGE) needs min and max"},
		{`[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MAX","min":10}]`, "filters[0] (QUANTITATIVE_NUMERICAL, MAX) needs max; filters[0] (QUANTITATIVE_NUMERICAL, MAX) does not take min"},
		{`[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":10,"max":1}]`, "min 10 is greater than max 1"},
		{`[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL"}]`, "filters[0] (QUANTITATIVE_NUMERICAL) needs quantitativeFilterType, one of: RANGE MIN MAX ONLY_NULL ONLY_NON_NULL"},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"MIN","minDate":"01/02/2025"}]`, `filters[0].minDate "01/02/2025" is not a date YYYY-MM-DD`},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"RANGE","minDate":"2025-03-01","maxDate":"2025-01-01"}]`, "minDate 2025-03-01 is after maxDate 2025-01-01"},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"MATCH"}]`, "filters[0] (MATCH) needs contains, startsWith or endsWith"},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"MATCH","contains":"st","values":["x"]}]`, "filters[0] (MATCH) does not take values; a MATCH filter takes contains, startsWith, endsWith, exclude"},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"MONTHS","dateRangeType":"LASTN"}]`, "filters[0] (DATE, LASTN) needs rangeN"},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"FORTNIGHTS","dateRangeType":"LAST"}]`, "filters[0] (DATE) needs periodType, one of: MINUTES HOURS DAYS WEEKS MONTHS QUARTERS YEARS"},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"MONTHS","dateRangeType":"LAST","rangeN":3}]`, "does not take rangeN; use LASTN or NEXTN"},
		{`[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"MONTHS","dateRangeType":"LAST","anchorDate":"yesterday"}]`, `anchorDate "yesterday" is not a date YYYY-MM-DD`},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"TOP","howMany":3}]`, "filters[0] (TOP) needs fieldToMeasure"},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"TOP","fieldToMeasure":{"fieldCaption":"Sales","function":"YEAR"}}]`, "filters[0] (TOP) needs howMany, the number of members to keep; filters[0].fieldToMeasure.function must be an aggregation"},
		{`[{"field":{"fieldCaption":"Region","function":"SUM"},"filterType":"TOP","howMany":3,"fieldToMeasure":{"fieldCaption":"Sales","function":"SUM"}}]`, "field is the dimension to rank and takes no aggregation"},
		{`[{"field":{"fieldCaption":"Region"},"filterType":"IN","values":["East"]}]`, `filters[0].filterType "IN" is not one of: SET MATCH QUANTITATIVE_NUMERICAL QUANTITATIVE_DATE DATE TOP`},
		{`[{"field":{},"filterType":"SET","values":["East"]}]`, `filters[0].field needs a fieldCaption`},
	}
	for _, c := range cases {
		b := &vds{}
		res := query(t, b, withLUID(f+`"filters":`+c.filters))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.filters, text(res), c.want)
		}
		if len(b.calls) != 0 {
			t.Errorf("%s: an invalid query reached the backend", c.filters)
		}
	}

	fieldCases := []struct{ fields, want string }{
		{`[{"fieldCaption":"Sales","function":"TOTAL"}]`, `fields[0].function "TOTAL" is not one of: SUM AVG MEDIAN`},
		{`[{"fieldCaption":"Sales","function":"SUM"},{"fieldCaption":"Sales","function":"SUM"}]`, "fields[1] repeats the column SUM(Sales) of fields[0]; drop it or give it a fieldAlias"},
		{`[{"fieldCaption":" "}]`, "fields[0] needs a fieldCaption"},
		{`[{"fieldCaption":"Sales","sortDirection":"UP"}]`, `fields[0].sortDirection "UP" is not ASC or DESC`},
	}
	for _, c := range fieldCases {
		res := query(t, &vds{}, withLUID(`"fields":`+c.fields))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.fields, text(res), c.want)
		}
	}
}

func TestEnumValuesAreAcceptedInAnyCase(t *testing.T) {
	b := &vds{rows: 1}
	res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Order Date","function":"year"},{"fieldCaption":"Sales","function":"sum"}],`+
		`"filters":[{"field":{"fieldCaption":"Order Date"},"filterType":"date","periodType":"years","dateRangeType":"lastn","rangeN":2}]`))
	if res.IsError {
		t.Fatal(text(res))
	}
	body, _ := sent(t, b)
	got := mustJSON(t, body["query"])
	for _, w := range []string{`"function":"YEAR"`, `"function":"SUM"`, `"filterType":"DATE"`, `"periodType":"YEARS"`, `"dateRangeType":"LASTN"`} {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %s", got, w)
		}
	}
}

func TestSortIsMergedIntoTheFields(t *testing.T) {
	cases := []struct{ fields, sort, want, err string }{
		// Position gives the priority; ASC is the default.
		{`[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`, `[{"fieldCaption":"Sales","sortDirection":"DESC"},{"fieldCaption":"Region"}]`,
			`[{"fieldCaption":"Region","sortDirection":"ASC","sortPriority":2},{"fieldCaption":"Sales","function":"SUM","sortDirection":"DESC","sortPriority":1}]`, ""},
		// An explicit priority wins; the row key and the alias name a field too.
		{`[{"fieldCaption":"Region","fieldAlias":"R"},{"fieldCaption":"Sales","function":"SUM"}]`, `[{"fieldCaption":"SUM(Sales)","sortPriority":5},{"fieldCaption":"R","sortDirection":"DESC","sortPriority":2}]`,
			`[{"fieldAlias":"R","fieldCaption":"Region","sortDirection":"DESC","sortPriority":2},{"fieldCaption":"Sales","function":"SUM","sortDirection":"ASC","sortPriority":5}]`, ""},
		// function picks among fields sharing a caption.
		{`[{"fieldCaption":"Order Date","function":"YEAR"},{"fieldCaption":"Order Date","function":"MONTH"}]`, `[{"fieldCaption":"Order Date","function":"MONTH","sortDirection":"DESC"}]`,
			`[{"fieldCaption":"Order Date","function":"YEAR"},{"fieldCaption":"Order Date","function":"MONTH","sortDirection":"DESC","sortPriority":1}]`, ""},
		{`[{"fieldCaption":"Order Date","function":"YEAR"},{"fieldCaption":"Order Date","function":"MONTH"}]`, `[{"fieldCaption":"Order Date"}]`,
			"", "sort[0] matches fields[0] and fields[1]; add function (or use the row key such as YEAR(Order Date)) to say which"},
		{`[{"fieldCaption":"Region"}]`, `[{"fieldCaption":"Sales"}]`, "", `sort[0] names "Sales", which is not among fields (Region); only queried fields can be sorted`},
		{`[{"fieldCaption":"Region","sortDirection":"ASC"}]`, `[{"fieldCaption":"Region"}]`, "", "already has sortDirection or sortPriority"},
	}
	for _, c := range cases {
		b := &vds{rows: 1}
		res := query(t, b, withLUID(`"fields":`+c.fields+`,"sort":`+c.sort))
		if c.err != "" {
			if !res.IsError || !strings.Contains(text(res), c.err) {
				t.Errorf("%s %s:\n got %q\nwant %q", c.fields, c.sort, text(res), c.err)
			}
			continue
		}
		if res.IsError {
			t.Errorf("%s %s: %s", c.fields, c.sort, text(res))
			continue
		}
		body, _ := sent(t, b)
		if got := mustJSON(t, body["query"].(map[string]any)["fields"]); got != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.fields, c.sort, got, c.want)
		}
	}
}

func TestQueriesAreCheckedAgainstTheMetadata(t *testing.T) {
	cases := []struct{ rest, want string }{
		{`"fields":[{"fieldCaption":"sales","function":"SUM"}]`,
			"fields[0]: no field 'sales'; did you mean 'Sales'? Call tableau_datasource_metadata_get to see the fields"},
		{`"fields":[{"fieldCaption":"Regoin"}]`, "fields[0]: no field 'Regoin'; did you mean 'Region'?"},
		{`"fields":[{"fieldCaption":"Customer"}]`, "fields[0]: no field 'Customer'; did you mean 'Customer Name'?"},
		{`"fields":[{"fieldCaption":"Margin Ratio Index"}]`, "fields[0]: no field 'Margin Ratio Index'. Call tableau_datasource_metadata_get"},
		{`"fields":[{"fieldCaption":"Region","function":"SUM"}]`,
			"fields[0]: function SUM cannot apply to 'Region' (STRING); use COUNT or COUNTD, or drop the function to group by it"},
		{`"fields":[{"fieldCaption":"Order Date","function":"AVG"}]`, "function AVG cannot apply to 'Order Date' (DATE); use MIN, MAX or COUNT, or a date part"},
		{`"fields":[{"fieldCaption":"Sales","function":"YEAR"}]`, "function YEAR needs a date field; 'Sales' is REAL; use an aggregation such as SUM or AVG"},
		{`"fields":[{"fieldCaption":"Region","function":"TRUNC_MONTH"}]`, "function TRUNC_MONTH needs a date field; 'Region' is STRING"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Sales"},"filterType":"MATCH","contains":"1"}]`,
			"filters[0] (MATCH): matches text, and 'Sales' is REAL; use QUANTITATIVE_NUMERICAL"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":1}]`,
			"filters[0] (QUANTITATIVE_NUMERICAL): needs a number, and 'Region' is STRING; use SET (exact values) or MATCH"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"DATE","periodType":"YEARS","dateRangeType":"CURRENT"}]`,
			"filters[0] (DATE): needs a date, and 'Region' is STRING"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Order Date","function":"YEAR"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"MIN","minDate":"2025-01-01"}]`,
			"filters[0] (QUANTITATIVE_DATE): YEAR(Order Date) is a number (INTEGER), not a date, while QUANTITATIVE_DATE compares dates; filter 'Order Date' itself (no function) with minDate 2025-01-01 and maxDate 2025-12-31, or use QUANTITATIVE_NUMERICAL on YEAR(Order Date) with min 2025 and max 2025"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"TOP","howMany":2,"fieldToMeasure":{"fieldCaption":"Order Date"}}]`,
			"filters[0].fieldToMeasure needs a function"},
		{`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Regio"},"filterType":"SET","values":["East"]}]`,
			"filters[0].field: no field 'Regio'; did you mean 'Region'?"},
		// Several mistakes are named in one answer.
		{`"fields":[{"fieldCaption":"region"},{"fieldCaption":"Region","function":"AVG"}]`, "fields[0]: no field 'region'; did you mean 'Region'?; fields[1]: function AVG cannot apply to 'Region'"},
	}
	for _, c := range cases {
		b := &vds{rows: 1}
		res := query(t, b, withLUID(c.rest))
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.rest, text(res), c.want)
		}
		if b.paths() != "/read-metadata" {
			t.Errorf("%s: calls %q; a query failing the check must not be sent", c.rest, b.paths())
		}
	}

	// What fits passes: aggregations of measures, COUNTD and MAX of text,
	// dates by part, measure filters, TOP ranked by a measure.
	b := &vds{rows: 1}
	res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Customer Name","function":"COUNTD"},{"fieldCaption":"Region","function":"MAX"},`+
		`{"fieldCaption":"Order Date","function":"TRUNC_QUARTER"},{"fieldCaption":"Profit","function":"MEDIAN"},{"fieldCaption":"Quantity"}],`+
		`"filters":[{"field":{"fieldCaption":"Sales","function":"SUM"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":5},`+
		`{"field":{"fieldCaption":"Order Date","function":"YEAR"},"filterType":"SET","values":[2025]},`+
		`{"field":{"fieldCaption":"Customer Name"},"filterType":"TOP","howMany":5,"fieldToMeasure":{"fieldCaption":"Profit"}}]`))
	if res.IsError {
		t.Fatal(text(res))
	}
	if b.paths() != "/read-metadata /query-datasource" {
		t.Errorf("calls %q", b.paths())
	}
}

func TestTheMetadataCheckCanBeSwitchedOffAndFailsOpen(t *testing.T) {
	b := &vds{rows: 1}
	res := runWith(t, context.Background(), &Env{Backend: b, SkipQueryCheck: true}, "tableau_query_view", withLUID(`"fields":[{"fieldCaption":"sales","function":"SUM"}]`))
	if res.IsError || b.paths() != "/query-datasource" {
		t.Errorf("with the check off the query goes straight out: %s, calls %q", text(res), b.paths())
	}
	// The static rules still apply.
	res = runWith(t, context.Background(), &Env{Backend: b, SkipQueryCheck: true}, "tableau_query_view", withLUID(`"fields":[{"fieldCaption":"Sales","function":"PLUS"}]`))
	if !res.IsError {
		t.Error("an unknown function passed with the metadata check off")
	}
	// Metadata that cannot be read does not block the query.
	b = &vds{rows: 1, metaErr: &backend.APIError{Status: 500, Code: "500000", Summary: "boom"}}
	if res := query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}]`)); res.IsError || b.paths() != "/read-metadata /query-datasource" {
		t.Errorf("%s; calls %q", text(res), b.paths())
	}
}

func TestMetadataIsCachedPerIdentityAndDataSource(t *testing.T) {
	b := &vds{rows: 1}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := NewMetadataCache(5 * time.Minute)
	cache.now = func() time.Time { return now }
	env := &Env{Backend: b, Metadata: cache}
	alice := auth.WithIdentity(context.Background(), "alice")
	bob := auth.WithIdentity(context.Background(), "bob")
	q := withLUID(`"fields":[{"fieldCaption":"Region"}]`)
	count := func() int { return strings.Count(b.paths(), "/read-metadata") }

	runWith(t, alice, env, "tableau_query_view", q)
	runWith(t, alice, env, "tableau_query_view", q)
	if count() != 1 {
		t.Errorf("%d metadata reads for two queries of one user, want 1", count())
	}
	runWith(t, bob, env, "tableau_query_view", q)
	if count() != 2 {
		t.Errorf("another identity must not reuse alice's metadata: %d reads", count())
	}
	other := strings.Replace(q, dsLUID, "7a1b2c3d-0000-4000-8000-000000000001", 1)
	runWith(t, alice, env, "tableau_query_view", other)
	if count() != 3 {
		t.Errorf("another data source must read its own metadata: %d reads", count())
	}
	now = now.Add(5*time.Minute + time.Second)
	runWith(t, alice, env, "tableau_query_view", q)
	if count() != 4 {
		t.Errorf("expired metadata was reused: %d reads", count())
	}
	// An unknown-field answer from the service drops the entry.
	b.queryErr = &backend.APIError{Status: 400, Code: "400803", Summary: "Unknown Field: Region."}
	runWith(t, alice, env, "tableau_query_view", q)
	b.queryErr = nil
	runWith(t, alice, env, "tableau_query_view", q)
	if count() != 5 {
		t.Errorf("metadata kept after the service said a field is unknown: %d reads", count())
	}
	// Reading the metadata with the tool fills the cache for bob's queries.
	now = now.Add(time.Hour)
	runWith(t, bob, env, "tableau_datasource_metadata_get", `{"datasource_luid":"`+dsLUID+`"}`)
	runWith(t, bob, env, "tableau_query_view", q)
	if count() != 6 {
		t.Errorf("the metadata tool's answer was not reused: %d reads", count())
	}
	// A zero TTL keeps nothing.
	b2 := &vds{rows: 1}
	env2 := &Env{Backend: b2, Metadata: NewMetadataCache(0)}
	runWith(t, alice, env2, "tableau_query_view", q)
	runWith(t, alice, env2, "tableau_query_view", q)
	if n := strings.Count(b2.paths(), "/read-metadata"); n != 2 {
		t.Errorf("ttl 0: %d reads, want 2", n)
	}
}

func TestTheAnswerSaysWhenTheLimitCutIt(t *testing.T) {
	decode := func(res *mcp.CallToolResult) queryAnswer {
		t.Helper()
		var a queryAnswer
		if err := json.Unmarshal([]byte(text(res)), &a); err != nil {
			t.Fatalf("%v: %s", err, text(res))
		}
		return a
	}
	// The service returned max_rows+1 rows: more exist.
	b := &vds{rows: 4}
	// A max_rows the caller chose is not second-guessed.
	a := decode(query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}],"max_rows":3`)))
	if a.RowCount != 3 || len(a.Rows) != 3 || !a.Truncated || a.Note != "Cut at max_rows=3 as asked: more rows exist." {
		t.Errorf("cut answer: %+v", a)
	}
	body, _ := sent(t, b)
	if body["options"].(map[string]any)["rowLimit"] != float64(4) {
		t.Errorf("rowLimit %v, want max_rows+1", body["options"])
	}
	// Exactly max_rows rows: nothing was cut.
	a = decode(query(t, &vds{rows: 3}, withLUID(`"fields":[{"fieldCaption":"Region"}],"max_rows":3`)))
	if a.RowCount != 3 || a.Truncated || a.Note != "" {
		t.Errorf("whole answer: %+v", a)
	}
	// Rows keep the service's keys in the service's order.
	if string(a.Rows[1]) != `{"Region":"R1","SUM(Sales)":10}` {
		t.Errorf("row %s", a.Rows[1])
	}
	// No rows: a note on why that may be.
	a = decode(query(t, &vds{rows: 0}, withLUID(`"fields":[{"fieldCaption":"Region"}]`)))
	if a.RowCount != 0 || a.Rows == nil || !strings.Contains(a.Note, "No rows matched") {
		t.Errorf("empty answer: %+v", a)
	}
	// Cut at the default limit: the note says how to get more.
	a = decode(query(t, &vds{rows: defaultMaxRows + 1}, withLUID(`"fields":[{"fieldCaption":"Region"}]`)))
	if a.RowCount != defaultMaxRows || !a.Truncated || !strings.Contains(a.Note, "cut at max_rows=1000") || !strings.Contains(a.Note, "Raise max_rows") {
		t.Errorf("default cut: %d %v %q", a.RowCount, a.Truncated, a.Note)
	}
	// The default limit.
	b = &vds{rows: 1}
	query(t, b, withLUID(`"fields":[{"fieldCaption":"Region"}]`))
	body, params := sent(t, b)
	if body["options"].(map[string]any)["rowLimit"] != float64(defaultMaxRows+1) || params["max_rows"] != defaultMaxRows+1 {
		t.Errorf("default limit: %v %v", body["options"], params["max_rows"])
	}
}

func TestMetadataIsCompact(t *testing.T) {
	b := &vds{}
	res := runWith(t, context.Background(), &Env{Backend: b}, "tableau_datasource_metadata_get", `{"datasource_luid":"`+dsLUID+`"}`)
	if res.IsError {
		t.Fatal(text(res))
	}
	call := b.calls[0]
	if call.Forward || call.Request.Method != http.MethodPost || call.Request.Scope != backend.VDSScope || call.Request.Path != "/read-metadata" {
		t.Errorf("metadata call %+v: must be a proxied VDS POST /read-metadata", call)
	}
	if got := mustJSON(t, call.Request.Body); got != `{"datasource":{"datasourceLuid":"`+dsLUID+`"}}` {
		t.Errorf("body %s", got)
	}
	var m struct {
		LUID   string `json:"datasource_luid"`
		Fields []map[string]any
		Params []map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(text(res)), &m); err != nil {
		t.Fatal(err)
	}
	if m.LUID != dsLUID || len(m.Fields) != 6 {
		t.Fatalf("%d fields (the hidden one left out): %s", len(m.Fields), text(res))
	}
	want := map[string]string{"Region": "DIMENSION", "Order Date": "DIMENSION", "Sales": "MEASURE", "Profit": "MEASURE", "Quantity": "MEASURE"}
	for _, f := range m.Fields {
		if r, ok := want[f["caption"].(string)]; ok && f["role"] != r {
			t.Errorf("%v: role %v, want %s", f["caption"], f["role"], r)
		}
	}
	if m.Fields[2]["description"] != "Revenue." || m.Fields[2]["dataType"] != "REAL" || m.Fields[2]["defaultAggregation"] != "SUM" {
		t.Errorf("Sales: %v", m.Fields[2])
	}
	if _, has := m.Fields[0]["description"]; has {
		t.Errorf("an empty description should be left out: %v", m.Fields[0])
	}
	if len(m.Params) != 1 || m.Params[0]["parameterCaption"] != "Profit Target" || m.Params[0]["max"] != 0.5 {
		t.Errorf("parameters %v", m.Params)
	}
	if len(text(res)) > 2000 {
		t.Errorf("metadata of 6 fields takes %d characters", len(text(res)))
	}
	// The usage names the parameters argument with a value that passes the
	// query checks, and only where there are parameters.
	if !strings.Contains(text(res), `Set parameters for one query with parameters [{\"parameterCaption\":\"Profit Target\",\"value\":0.15}].`) {
		t.Errorf("usage without the parameters example: %s", text(res))
	}
	noParams := &vds{meta: strings.Replace(paramMetadata, `"parameters":[`, `"parameters":[],"x":[`, 1)}
	if res := runWith(t, context.Background(), &Env{Backend: noParams}, "tableau_datasource_metadata_get", `{"datasource_luid":"`+dsLUID+`"}`); strings.Contains(text(res), "Set parameters") {
		t.Errorf("usage names parameters the data source lacks: %s", text(res))
	}
}

func TestVDSErrorsSayWhatToDo(t *testing.T) {
	cases := []struct {
		err  *backend.APIError
		want string
	}{
		{&backend.APIError{Status: 404, Code: "404934", Summary: "Unknown Field: Foo."}, "captions are case-sensitive"},
		{&backend.APIError{Status: 400, Code: "400803", Summary: "Unknown Field: Foo."}, "captions are case-sensitive"},
		{&backend.APIError{Status: 400, Code: "400803", Summary: "Function SUM cannot be applied"}, "well-formed but invalid"},
		{&backend.APIError{Status: 400, Code: "400802", Summary: "Unrecognized property"}, "does not follow the VizQL Data Service's schema"},
		{&backend.APIError{Status: 403, Code: "403800", Summary: "Forbidden"}, "API Access capability"},
		{&backend.APIError{Status: 403, Code: "403157", Summary: "Feature disabled"}, "Tableau Server 2023.1"},
		{&backend.APIError{Status: 429, Code: "429000", Summary: "Too many requests"}, "rate limiting"},
		{&backend.APIError{Status: 408, Code: "408000", Summary: "Timeout"}, "narrow it"},
		{&backend.APIError{Status: 400, Code: "400804", Summary: "Response too large"}, "lower max_rows"},
		// Through Scalekit the status is Scalekit's, the code Tableau's.
		{&backend.APIError{Status: 400, Code: "403800", Summary: "Forbidden", Via: "scalekit"}, "API Access capability"},
		{&backend.APIError{Status: 404, Code: "404001", Summary: "Unknown Datasource"}, "tableau_datasources_list"},
	}
	for _, c := range cases {
		b := &vds{rows: 1, queryErr: c.err}
		res := runWith(t, context.Background(), &Env{Backend: b, SkipQueryCheck: true}, "tableau_query_view", withLUID(`"fields":[{"fieldCaption":"Region"}]`))
		msg := text(res)
		if !res.IsError || !strings.Contains(msg, c.want) || !strings.Contains(msg, c.err.Code) {
			t.Errorf("%s: %q lacks %q", c.err.Code, msg, c.want)
		}
	}
	b := &vds{metaErr: &backend.APIError{Status: 403, Code: "403800"}}
	res := runWith(t, context.Background(), &Env{Backend: b}, "tableau_datasource_metadata_get", `{"datasource_luid":"`+dsLUID+`"}`)
	if !res.IsError || !strings.Contains(text(res), "API Access capability") {
		t.Errorf("metadata error: %s", text(res))
	}
}

func TestSuggestions(t *testing.T) {
	captions := []string{"Sales", "Profit", "Profit Ratio", "Region", "Sub-Category", "Category", "Order Date", "Ship Date"}
	cases := []struct{ name, want string }{
		{"sales", "Sales"},
		{"SALES", "Sales"},
		{"Regoin", "Region"},
		{"Subcategory", "Sub-Category,Category"},
		{"profit", "Profit,Profit Ratio"},
		{"Date", "Ship Date,Order Date"},
		{"Zebra", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := strings.Join(suggest(c.name, captions), ","); got != c.want {
			t.Errorf("suggest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "abc", 3}, {"kitten", "sitting", 3}, {"Région", "Region", 1}, {"same", "same", 0}} {
		if got := levenshtein(c.a, c.b); got != c.d {
			t.Errorf("levenshtein(%q,%q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

// TestQuerySchemaDescribesTheStructure checks that clients see the real
// structure of fields, filters and sort, with the OpenAPI document's enums.
func TestQuerySchemaDescribesTheStructure(t *testing.T) {
	tool, _ := ByName("tableau_query_view")
	s := schemaOf(t, tool)
	props := s["properties"].(map[string]any)
	items := func(name string) map[string]any {
		p := props[name].(map[string]any)
		if p["type"] != "array" {
			t.Fatalf("%s has type %v, want array", name, p["type"])
		}
		return p["items"].(map[string]any)
	}
	enum := func(obj map[string]any, member string) string {
		m := obj["properties"].(map[string]any)[member].(map[string]any)
		var out []string
		for _, v := range m["enum"].([]any) {
			out = append(out, v.(string))
		}
		return strings.Join(out, " ")
	}
	// The Function enum of the VDS OpenAPI document, without UNSPECIFIED.
	const functions = "SUM AVG MEDIAN COUNT COUNTD MIN MAX STDEV VAR COLLECT YEAR QUARTER MONTH WEEK DAY TRUNC_YEAR TRUNC_QUARTER TRUNC_MONTH TRUNC_WEEK TRUNC_DAY AGG NONE"
	f := items("fields")
	if got := enum(f, "function"); got != functions {
		t.Errorf("fields[].function enum %q", got)
	}
	if f["additionalProperties"] != false || mustJSON(t, f["required"]) != `["fieldCaption"]` {
		t.Errorf("fields[] must require fieldCaption and refuse other members: %v", f)
	}
	if got := enum(f, "sortDirection"); got != "ASC DESC" {
		t.Errorf("sortDirection enum %q", got)
	}
	fl := items("filters")
	if got := enum(fl, "filterType"); got != "SET MATCH QUANTITATIVE_NUMERICAL QUANTITATIVE_DATE DATE TOP" {
		t.Errorf("filterType enum %q", got)
	}
	for member, want := range map[string]string{
		"quantitativeFilterType": "RANGE MIN MAX ONLY_NULL ONLY_NON_NULL",
		"periodType":             "MINUTES HOURS DAYS WEEKS MONTHS QUARTERS YEARS",
		"dateRangeType":          "CURRENT LAST LASTN NEXT NEXTN TODATE",
		"direction":              "TOP BOTTOM",
	} {
		if got := enum(fl, member); got != want {
			t.Errorf("filters[].%s enum %q, want %q", member, got, want)
		}
	}
	if mustJSON(t, fl["required"]) != `["field","filterType"]` {
		t.Errorf("filters[] required %v", fl["required"])
	}
	field := fl["properties"].(map[string]any)["field"].(map[string]any)
	if _, ok := field["properties"].(map[string]any)["fieldCaption"]; !ok {
		t.Errorf("filters[].field does not describe fieldCaption: %v", field)
	}
	if got := enum(items("sort"), "sortDirection"); got != "ASC DESC" {
		t.Errorf("sort[].sortDirection enum %q", got)
	}
	mr := props["max_rows"].(map[string]any)
	if mr["maximum"] != float64(10000) || mr["minimum"] != float64(1) {
		t.Errorf("max_rows %v", mr)
	}
}
