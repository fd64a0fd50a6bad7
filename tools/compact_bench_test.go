package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// canned answers every call with the same body and keeps nothing, so that
// a benchmark measures the tool and not the recording.
type canned struct{ answer json.RawMessage }

func (c canned) Name() string { return "test" }
func (c canned) Invoke(context.Context, backend.Call) (json.RawMessage, error) {
	return c.answer, nil
}
func (c canned) Open(context.Context, backend.Request) (*http.Response, error) { return nil, nil }

// workbooksAnswer is a recorded answer of GET /workbooks with the compact
// result's fields= (12 workbooks), or that answer's items repeated to n.
func workbooksAnswer(tb testing.TB, n int) json.RawMessage {
	tb.Helper()
	raw, err := os.ReadFile("testdata/workbooks-12.json")
	if err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		return raw
	}
	var doc struct {
		Workbooks struct {
			Workbook []map[string]any `json:"workbook"`
		} `json:"workbooks"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		tb.Fatal(err)
	}
	src := doc.Workbooks.Workbook
	items := make([]map[string]any, n)
	for i := range items {
		w := map[string]any{}
		for k, v := range src[i%len(src)] {
			w[k] = v
		}
		w["id"] = fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		items[i] = w
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"pagination":{"pageNumber":"1","pageSize":"%d","totalAvailable":"%d"},"workbooks":{"workbook":`, n, n)
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(items); err != nil {
		tb.Fatal(err)
	}
	b.Truncate(b.Len() - 1)
	b.WriteString("}}")
	return b.Bytes()
}

// BenchmarkWorkbooksList is one tableau_workbooks_list call with default
// arguments from the decoding of its arguments to its compact result,
// against a recorded answer of 12 workbooks and one of 1000.
func BenchmarkWorkbooksList(b *testing.B) {
	tool, err := ByName("tableau_workbooks_list")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{0, 1000} {
		answer := workbooksAnswer(b, n)
		name := "12"
		if n > 0 {
			name = fmt.Sprint(n)
		}
		b.Run(name, func(b *testing.B) {
			env := &Env{Backend: canned{answer}}
			args := json.RawMessage(`{}`)
			ctx := context.Background()
			b.SetBytes(int64(len(answer)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := tool.Handle(ctx, env, args)
				if err != nil || res.IsError {
					b.Fatal(err, text(res))
				}
			}
		})
	}
}
