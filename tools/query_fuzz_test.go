package tools

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// FuzzQueryView feeds arbitrary arguments to tableau_query_view: it must
// never panic, and it either refuses with a message or sends a query that
// follows the service's Query schema.
func FuzzQueryView(f *testing.F) {
	for _, s := range []string{
		withLUID(`"fields":[{"fieldCaption":"Sales","binSize":100},{"fieldCaption":"Region"}],"parameters":[{"parameterCaption":"Top Customers","value":5}]`),
		withLUID(`"fields":"[{\"fieldCaption\":\"Region\"}]","parameters":"[{\"parameterCaption\":\"As Of\",\"value\":\"2024-01-01\"}]"`),
		withLUID(`"fields":[{"fieldCaption":"Region"}],"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["x",1,null]},{"field":{"fieldCaption":"Region"},"filterType":"SET","values":[]}]`),
		withLUID(`"fields":[{"fieldCaption":"Sales","calculation":"1"}],"filters":[{"field":{"fieldCaption":"Profit"},"filterType":"QUANTITATIVE_NUMERICAL","quantitativeFilterType":"ONLY_NULL","includeNulls":true}]`),
		`{}`, `[]`, `{"datasource_luid":1}`,
	} {
		f.Add(s)
	}
	tool, err := ByName("tableau_query_view")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, args string) {
		b := &vds{meta: paramMetadata, rows: 3}
		env := &Env{Backend: b, Metadata: NewMetadataCache(time.Minute)}
		res, err := tool.Handle(context.Background(), env, json.RawMessage(args))
		if err != nil {
			return // not JSON: a protocol error
		}
		if !res.IsError {
			if !queried(b) {
				t.Fatalf("answered without sending a query: %s", text(res))
			}
			sent(t, b) // what passed the checks follows the service's schema
		}
		if res.IsError && text(res) == "" {
			t.Fatal("a refusal without a message")
		}
	})
}
