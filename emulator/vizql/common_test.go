package vizqlemu

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// LUIDs the tests publish the datasets under.
const (
	luidSuperstore = "6f1c2a4e-0b9d-4c7e-9a51-3d2e8f7b1c01"
	luidLeads      = "6f1c2a4e-0b9d-4c7e-9a51-3d2e8f7b1c02"
	luidHR         = "6f1c2a4e-0b9d-4c7e-9a51-3d2e8f7b1c03"
	luidUnknown    = "00000000-0000-4000-8000-000000000000"
	mountPrefix    = "/api/v1/vizql-data-service"
)

func newService() *Service {
	byLUID := map[string]string{
		luidSuperstore: sampledata.SuperstoreOrders,
		luidLeads:      sampledata.MarketingLeads,
		luidHR:         sampledata.HRHeadcount,
	}
	return New(func(_ context.Context, luid string) (string, bool) {
		name, ok := byLUID[luid]
		return name, ok
	})
}

func table(t testing.TB, name string) *sampledata.Table {
	t.Helper()
	tb, ok := sampledata.Get(name)
	if !ok {
		t.Fatalf("no dataset %q", name)
	}
	return tb
}

// cell returns a row's value by column name.
func cell(tb *sampledata.Table, row []any, name string) any {
	i := tb.ColumnIndex(name)
	if i < 0 {
		panic("test uses unknown column " + name)
	}
	return row[i]
}

func post(t testing.TB, s *Service, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, mountPrefix+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w
}

// queryBody builds a query-datasource request in the documented shape.
func queryBody(luid string, query map[string]any, options map[string]any) string {
	req := map[string]any{"datasource": map[string]any{"datasourceLuid": luid}, "query": query}
	if options != nil {
		req["options"] = options
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// runQuery posts a Superstore query and returns the decoded rows; numbers
// arrive as json.Number so integer-ness can be checked.
func runQuery(t testing.TB, s *Service, luid string, query map[string]any, options map[string]any) []map[string]any {
	t.Helper()
	w := post(t, s, "/query-datasource", queryBody(luid, query, options))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var out struct {
		Data []map[string]any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	if out.Data == nil {
		t.Fatalf("answer without data array: %s", w.Body.String())
	}
	return out.Data
}

func ss(t testing.TB, query map[string]any, options map[string]any) []map[string]any {
	t.Helper()
	return runQuery(t, newService(), luidSuperstore, query, options)
}

// Shorthands for query JSON.
type obj = map[string]any

func fields(fs ...obj) obj { return obj{"fields": fs} }

func dim(caption string) obj { return obj{"fieldCaption": caption} }

func fn(caption, function string) obj { return obj{"fieldCaption": caption, "function": function} }

func with(o obj, kv ...any) obj {
	out := obj{}
	for k, v := range o {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func num(t testing.TB, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// isInteger reports whether a JSON number was written without a fraction.
func isInteger(v any) bool {
	n, ok := v.(json.Number)
	return ok && !strings.ContainsAny(n.String(), ".eE")
}

func approx(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// byKey indexes answer rows by the string value of one key.
func byKey(t testing.TB, rows []map[string]any, key string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range rows {
		k, ok := r[key]
		if !ok {
			t.Fatalf("row %v has no key %q", r, key)
		}
		ks := ""
		switch x := k.(type) {
		case string:
			ks = x
		case json.Number:
			ks = x.String()
		case nil:
			ks = "<null>"
		default:
			t.Fatalf("key %q holds %T", key, k)
		}
		if _, dup := out[ks]; dup {
			t.Fatalf("two rows for %s=%s", key, ks)
		}
		out[ks] = r
	}
	return out
}

// Independent statistics for expected values.

func sumOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func medianOf(xs []float64) float64 {
	c := append([]float64(nil), xs...)
	sort.Float64s(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// sampleVariance uses Welford's running update.
func sampleVariance(xs []float64) float64 {
	mean, m2 := 0.0, 0.0
	for i, x := range xs {
		d := x - mean
		mean += d / float64(i+1)
		m2 += d * (x - mean)
	}
	return m2 / float64(len(xs)-1)
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// errorReply decodes and checks an error answer against the TableauError
// shape: exactly errorCode (string), message, datetime (RFC 3339) and debug.
func errorReply(t testing.TB, w *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body.String())
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatalf("error body is not a JSON object: %s", w.Body.String())
	}
	for _, k := range []string{"errorCode", "message", "datetime", "debug"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("error body lacks %q: %s", k, w.Body.String())
		}
	}
	if len(raw) != 4 {
		t.Errorf("error body has extra members: %s", w.Body.String())
	}
	var body struct {
		ErrorCode string         `json:"errorCode"`
		Message   string         `json:"message"`
		Datetime  string         `json:"datetime"`
		Debug     map[string]any `json:"debug"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body members have wrong types: %v: %s", err, w.Body.String())
	}
	if body.ErrorCode != code {
		t.Errorf("errorCode %q, want %q (%s)", body.ErrorCode, code, body.Message)
	}
	if _, err := time.Parse(time.RFC3339, body.Datetime); err != nil {
		t.Errorf("datetime %q is not RFC 3339: %v", body.Datetime, err)
	}
	if body.Message == "" || body.Debug == nil {
		t.Errorf("empty message or debug: %s", w.Body.String())
	}
	return body.Message
}
