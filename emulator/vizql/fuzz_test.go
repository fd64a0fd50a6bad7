package vizqlemu

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzQueryDatasource feeds arbitrary bodies to query-datasource: every
// answer must be 200 with data, or a documented error status with a
// TableauError body. The seeds run with plain go test.
func FuzzQueryDatasource(f *testing.F) {
	seeds := []string{
		queryBody(luidSuperstore, fields(dim("Region"), fn("Sales", "SUM")), nil),
		queryBody(luidSuperstore, obj{"fields": []obj{fn("Order Date", "TRUNC_WEEK"), fn("Profit", "STDEV")},
			"filters": []obj{{"field": dim("Ship Date"), "filterType": "DATE", "periodType": "HOURS", "dateRangeType": "NEXTN", "rangeN": 5}}},
			obj{"disaggregate": true}),
		queryBody(luidSuperstore, obj{"fields": []obj{dim("City")},
			"filters": []obj{{"field": fn("Discount", "MEDIAN"), "filterType": "SET", "values": []any{0.2, "x", nil, true}},
				{"field": dim("City"), "filterType": "TOP", "howMany": 2, "fieldToMeasure": dim("Order ID")}}}, nil),
		queryBody(luidLeads, obj{"fields": []obj{fn("Created At", "MAX"), fn("Converted", "COUNTD")},
			"filters": []obj{{"field": fn("Created At", "MIN"), "filterType": "QUANTITATIVE_DATE", "quantitativeFilterType": "MAX", "maxDate": "2026-01-01"}}}, nil),
		queryBody(luidSuperstore, obj{"fields": []obj{{"fieldCaption": "Target Profit", "binSize": 1e-300}, {"fieldCaption": "Quantity", "binSize": 1e300}, dim("Profit vs Target")},
			"parameters": []obj{{"parameterCaption": "Profit Target", "value": 0.5}, {"parameterCaption": "Top Customers", "value": 20}}}, nil),
		`{"datasource":{"datasourceLuid":1},"query":[]}`,
		`{"datasource":{"datasourceLuid":"` + luidSuperstore + `"},"query":{"fields":[{"fieldCaption":"Sales","function":"SUM"}],"filters":[{"field":[],"filterType":"SET","values":[{}]}]}}`,
		`[]`, `null`, `"x"`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := post(t, newService(), "/query-datasource", body)
		switch w.Code {
		case http.StatusOK:
			var out struct {
				Data []json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Data == nil {
				t.Fatalf("200 without data: %s", w.Body.String())
			}
		case http.StatusBadRequest, http.StatusNotFound:
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ErrorCode == "" {
				t.Fatalf("%d without TableauError: %s", w.Code, w.Body.String())
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
	})
}
