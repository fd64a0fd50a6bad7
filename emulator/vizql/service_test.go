package vizqlemu

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// FieldMetadata and ParameterRecord member names from the VDS OpenAPI
// document; the emulator must not invent others.
var (
	fieldMetadataMembers = map[string]bool{
		"fieldName": true, "fieldCaption": true, "dataType": true, "fieldRole": true, "fieldType": true,
		"defaultAggregation": true, "columnClass": true, "formula": true, "groupFormula": true,
		"logicalTableId": true, "description": true, "imageRole": true, "hidden": true,
		"defaultFormatting": true, "isLODCalc": true, "aliases": true,
	}
	parameterMembers = map[string]bool{
		"parameterType": true, "parameterName": true, "parameterCaption": true, "dataType": true, "value": true,
		"members": true, "min": true, "max": true, "step": true, "minDate": true, "maxDate": true,
		"periodType": true, "periodValue": true,
	}
	dataTypes     = map[string]bool{"INTEGER": true, "REAL": true, "STRING": true, "DATETIME": true, "BOOLEAN": true, "DATE": true, "SPATIAL": true, "UNKNOWN": true}
	functionNames = map[string]bool{"SUM": true, "AVG": true, "MEDIAN": true, "COUNT": true, "COUNTD": true, "MIN": true, "MAX": true,
		"STDEV": true, "VAR": true, "COLLECT": true, "YEAR": true, "QUARTER": true, "MONTH": true, "WEEK": true, "DAY": true,
		"TRUNC_YEAR": true, "TRUNC_QUARTER": true, "TRUNC_MONTH": true, "TRUNC_WEEK": true, "TRUNC_DAY": true,
		"AGG": true, "NONE": true, "UNSPECIFIED": true}
)

func readMetadata(t *testing.T, s *Service, luid string) (fields []map[string]any, params []map[string]any) {
	t.Helper()
	w := post(t, s, "/read-metadata", `{"datasource":{"datasourceLuid":"`+luid+`"}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	var out struct {
		Data      []map[string]any `json:"data"`
		ExtraData *struct {
			Parameters []map[string]any `json:"parameters"`
		} `json:"extraData"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.ExtraData == nil || out.ExtraData.Parameters == nil {
		t.Fatalf("no extraData.parameters array: %s", w.Body.String())
	}
	return out.Data, out.ExtraData.Parameters
}

func TestReadMetadataListsEveryColumn(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	fields, params := readMetadata(t, newService(), luidSuperstore)
	// The columns, then Superstore's two calculations reading Profit Target.
	if len(fields) != len(tb.Columns)+2 {
		t.Fatalf("%d fields for %d columns and 2 calculations", len(fields), len(tb.Columns))
	}
	for _, f := range fields[len(tb.Columns):] {
		for k := range f {
			if !fieldMetadataMembers[k] {
				t.Errorf("calculation %v has member %q, not in FieldMetadata", f["fieldCaption"], k)
			}
		}
		if f["columnClass"] != "CALCULATION" || !strings.Contains(f["formula"].(string), "[Profit Target]") || !dataTypes[f["dataType"].(string)] {
			t.Errorf("calculation %v", f)
		}
	}
	fields = fields[:len(tb.Columns)]
	tableID := fields[0]["logicalTableId"]
	for i, f := range fields {
		c := tb.Columns[i]
		for k := range f {
			if !fieldMetadataMembers[k] {
				t.Errorf("field %s has member %q, not in FieldMetadata", c.Name, k)
			}
		}
		if f["fieldCaption"] != c.Name || f["fieldName"] != c.Name {
			t.Errorf("field %d: caption %v name %v, want %s", i, f["fieldCaption"], f["fieldName"], c.Name)
		}
		if f["dataType"] != c.DataType || !dataTypes[f["dataType"].(string)] {
			t.Errorf("%s: dataType %v, want %s", c.Name, f["dataType"], c.DataType)
		}
		if f["fieldRole"] != c.Role {
			t.Errorf("%s: fieldRole %v, want %s", c.Name, f["fieldRole"], c.Role)
		}
		if agg, _ := f["defaultAggregation"].(string); !functionNames[agg] || agg != c.DefaultAggregation {
			t.Errorf("%s: defaultAggregation %v", c.Name, f["defaultAggregation"])
		}
		if f["columnClass"] != "COLUMN" {
			t.Errorf("%s: columnClass %v", c.Name, f["columnClass"])
		}
		if id, _ := f["logicalTableId"].(string); id == "" || f["logicalTableId"] != tableID {
			t.Errorf("%s: logicalTableId %v, want one id for the one table", c.Name, f["logicalTableId"])
		}
	}
	want := map[string]string{"Order Date": "DATE", "Sales": "REAL", "Quantity": "INTEGER", "Region": "STRING"}
	for _, f := range fields {
		if dt, ok := want[f["fieldCaption"].(string)]; ok && f["dataType"] != dt {
			t.Errorf("%v: dataType %v, want %s", f["fieldCaption"], f["dataType"], dt)
		}
	}

	if len(params) == 0 {
		t.Fatal("Superstore publishes no parameters")
	}
	var sawRange, sawList bool
	for _, p := range params {
		for k := range p {
			if !parameterMembers[k] {
				t.Errorf("parameter has member %q, not in ParameterRecord", k)
			}
		}
		for _, k := range []string{"parameterType", "parameterCaption", "value", "dataType"} {
			if _, ok := p[k]; !ok {
				t.Errorf("parameter %v lacks required %q", p["parameterCaption"], k)
			}
		}
		switch p["parameterType"] {
		case "QUANTITATIVE_RANGE":
			sawRange = p["parameterCaption"] == "Profit Target" && p["dataType"] == "REAL" && p["min"] != nil && p["max"] != nil
		case "LIST":
			members, _ := p["members"].([]any)
			sawList = len(members) > 0
			for _, m := range members {
				mm, ok := m.(map[string]any)
				if !ok || mm["value"] == nil || mm["alias"] == nil {
					t.Errorf("LIST member %v is not an AliasedDataValue", m)
				}
			}
		}
	}
	if !sawRange || !sawList {
		t.Errorf("want a Profit Target range and a list parameter: %v", params)
	}
}

func TestReadMetadataOtherDatasets(t *testing.T) {
	s := newService()
	for luid, name := range map[string]string{luidLeads: sampledata.MarketingLeads, luidHR: sampledata.HRHeadcount} {
		fields, params := readMetadata(t, s, luid)
		if len(fields) != len(table(t, name).Columns) || len(params) != 0 {
			t.Errorf("%s: %d fields, %d parameters", name, len(fields), len(params))
		}
	}
}

func TestNilResolveUsesDatasetNames(t *testing.T) {
	s := New(nil)
	rows := runQuery(t, s, sampledata.FinanceGL, fields(dim("Account Type")), nil)
	if len(rows) != 4 {
		t.Errorf("Account Type values: %v", rows)
	}
}

func TestErrors(t *testing.T) {
	q := func(query string) string {
		return `{"datasource":{"datasourceLuid":"` + luidSuperstore + `"},"query":` + query + `}`
	}
	cases := []struct {
		name, path, body string
		status           int
		code             string
		mention          string // the message must name this
	}{
		{"unknown data source", "/query-datasource",
			`{"datasource":{"datasourceLuid":"` + luidUnknown + `"},"query":{"fields":[{"fieldCaption":"Region"}]}}`,
			404, "404001", luidUnknown},
		{"unknown data source in metadata", "/read-metadata",
			`{"datasource":{"datasourceLuid":"` + luidUnknown + `"}}`, 404, "404001", luidUnknown},
		{"unknown field", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Revenue","function":"SUM"}]}`),
			404, "404934", "Revenue"},
		{"unknown filter field", "/query-datasource",
			q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Country"},"filterType":"SET","values":["US"]}]}`),
			404, "404934", "Country"},
		{"unknown field to measure", "/query-datasource",
			q(`{"fields":[{"fieldCaption":"City"}],"filters":[{"field":{"fieldCaption":"City"},"filterType":"TOP","howMany":3,"fieldToMeasure":{"fieldCaption":"Margin","function":"SUM"}}]}`),
			404, "404934", "Margin"},
		{"body not JSON", "/query-datasource", `{"datasource":`, 400, "400000", "JSON"},
		{"empty body", "/read-metadata", ``, 400, "400000", "JSON"},
		{"missing datasource", "/query-datasource", `{"query":{"fields":[{"fieldCaption":"Region"}]}}`, 400, "400802", "datasource"},
		{"missing luid", "/read-metadata", `{"datasource":{}}`, 400, "400802", "datasourceLuid"},
		{"missing query", "/query-datasource", `{"datasource":{"datasourceLuid":"` + luidSuperstore + `"}}`, 400, "400802", "query"},
		{"missing fields", "/query-datasource", q(`{"filters":[]}`), 400, "400802", "fields"},
		{"empty fields", "/query-datasource", q(`{"fields":[]}`), 400, "400803", "fields"},
		{"missing caption", "/query-datasource", q(`{"fields":[{"function":"SUM"}]}`), 400, "400802", "fieldCaption"},
		{"unknown field property", "/query-datasource", q(`{"fields":[{"columnName":"Region"}]}`), 400, "400802", "columnName"},
		{"unknown query property", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"sort":[]}`), 400, "400802", "sort"},
		{"bad function", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"TOTAL"}]}`), 400, "400802", "TOTAL"},
		{"wrong type", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"SUM","sortPriority":"first"}]}`), 400, "400802", "sortPriority"},
		{"bad sort direction", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"SUM","sortDirection":"DOWN"}]}`), 400, "400802", "DOWN"},
		{"SUM of a string", "/query-datasource", q(`{"fields":[{"fieldCaption":"Customer Name","function":"SUM"}]}`), 400, "400803", "Customer Name"},
		{"AVG of a date", "/query-datasource", q(`{"fields":[{"fieldCaption":"Order Date","function":"AVG"}]}`), 400, "400803", "Order Date"},
		{"YEAR of a number", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"YEAR"}]}`), 400, "400803", "Sales"},
		{"negative decimals", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"SUM","maxDecimalPlaces":-1}]}`), 400, "400803", "maxDecimalPlaces"},
		{"repeated output key", "/query-datasource", q(`{"fields":[{"fieldCaption":"Sales","function":"SUM"},{"fieldCaption":"Sales","function":"SUM"}]}`), 400, "400803", "SUM(Sales)"},
		{"calculation", "/query-datasource", q(`{"fields":[{"fieldCaption":"Margin","calculation":"SUM([Profit])/SUM([Sales])"}]}`), 400, "400800", "alculation"},
		{"row limit zero", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}]},"options":{"rowLimit":0}`), 400, "400802", "rowLimit"},
		{"bad return format", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}]},"options":{"returnFormat":"CSV"}`), 400, "400802", "CSV"},
		{"filter without type", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"values":["East"]}]}`), 400, "400802", "filterType"},
		{"unknown filter type", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"LIKE"}]}`), 400, "400802", "LIKE"},
		{"filter without field", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"filterType":"SET","values":["East"]}]}`), 400, "400802", "field"},
		{"SET without values", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET"}]}`), 400, "400802", "values"},
		{"MATCH without pattern", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"MATCH"}]}`), 400, "400803", "contains"},
		{"quantitative without type", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","min":1}]}`), 400, "400802", "quantitativeFilterType"},
		{"RANGE without max", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Sales"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"RANGE","min":1}]}`), 400, "400803", "max"},
		{"numeric filter on a string", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"City"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"MIN","min":1}]}`), 400, "400803", "City"},
		{"date filter bad date", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Order Date"},"filterType":"QUANTITATIVE_DATE","quantitativeFilterType":"MIN","minDate":"01/02/2025"}]}`), 400, "400802", "01/02/2025"},
		{"relative without periodType", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","dateRangeType":"LAST"}]}`), 400, "400802", "periodType"},
		{"relative without dateRangeType", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"DAYS"}]}`), 400, "400802", "dateRangeType"},
		{"LASTN without rangeN", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"DAYS","dateRangeType":"LASTN"}]}`), 400, "400803", "rangeN"},
		{"relative on a string", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"DATE","periodType":"DAYS","dateRangeType":"LAST"}]}`), 400, "400803", "Region"},
		{"TOP without howMany", "/query-datasource", q(`{"fields":[{"fieldCaption":"City"}],"filters":[{"field":{"fieldCaption":"City"},"filterType":"TOP","fieldToMeasure":{"fieldCaption":"Sales","function":"SUM"}}]}`), 400, "400802", "howMany"},
		{"TOP without measure", "/query-datasource", q(`{"fields":[{"fieldCaption":"City"}],"filters":[{"field":{"fieldCaption":"City"},"filterType":"TOP","howMany":3}]}`), 400, "400802", "fieldToMeasure"},
		{"TOP by a date function", "/query-datasource", q(`{"fields":[{"fieldCaption":"City"}],"filters":[{"field":{"fieldCaption":"City"},"filterType":"TOP","howMany":3,"fieldToMeasure":{"fieldCaption":"Order Date","function":"YEAR"}}]}`), 400, "400803", "fieldToMeasure"},
		{"unknown parameter", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Discount Rate","value":0.1}]}`), 400, "400803", "Discount Rate"},
		{"parameter out of range", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Profit Target","value":3}]}`), 400, "400803", "Profit Target"},
		{"parameter not a list member", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Top Customers","value":7}]}`), 400, "400803", "Top Customers"},
		{"parameter without value", "/query-datasource", q(`{"fields":[{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Profit Target"}]}`), 400, "400802", "value"},
		{"unknown endpoint", "/get-everything", `{}`, 404, "404950", "get-everything"},
	}
	s := newService()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := errorReply(t, post(t, s, c.path, c.body), c.status, c.code)
			if !strings.Contains(msg, c.mention) {
				t.Errorf("message %q does not mention %q", msg, c.mention)
			}
		})
	}
}

func TestValidParametersAreAccepted(t *testing.T) {
	q := fields(dim("Region"))
	q["parameters"] = []obj{{"parameterCaption": "Profit Target", "value": 0.2}, {"parameterCaption": "Top Customers", "value": 20}}
	if rows := ss(t, q, nil); len(rows) != 4 {
		t.Errorf("rows %v", rows)
	}
}

func TestWrongMethod(t *testing.T) {
	s := newService()
	for _, path := range []string{"/query-datasource", "/read-metadata"} {
		req := httptest.NewRequest(http.MethodGet, mountPrefix+path, nil)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		errorReply(t, w, http.StatusMethodNotAllowed, "405000")
		if w.Header().Get("Allow") != http.MethodPost {
			t.Errorf("%s: Allow %q", path, w.Header().Get("Allow"))
		}
	}
	// simple-request is the one GET endpoint.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, mountPrefix+"/simple-request", nil))
	if w.Code != http.StatusOK {
		t.Errorf("simple-request: %d", w.Code)
	}
}

func TestNoMatchGivesEmptyData(t *testing.T) {
	q := fields(dim("Region"), fn("Sales", "SUM"))
	q["filters"] = []obj{{"field": dim("Region"), "filterType": "SET", "values": []string{"Antarctica"}}}
	w := post(t, newService(), "/query-datasource", queryBody(luidSuperstore, q, nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"data":[]}` {
		t.Errorf("%d %s", w.Code, w.Body.String())
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	s := newService()
	for i := 0; i < maxRecorded+5; i++ {
		post(t, s, "/simple-request", `{"n":`+strings.Repeat("1", 1+i%3)+`}`)
	}
	if n := len(s.Requests()); n != maxRecorded {
		t.Errorf("%d requests kept, want %d", n, maxRecorded)
	}
}
