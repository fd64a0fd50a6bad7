package tableau

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// BenchmarkInvoke is one list call through the client with its session
// live, against a server answering a 4 KB body at once: the client's own
// cost (request building, sending, reading the answer) plus the server's.
func BenchmarkInvoke(b *testing.B) {
	body := `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"12"},"workbooks":{"workbook":[` +
		strings.Repeat(`{"id":"32619934-7b71-5ef6-aa49-3cade9bc3023","name":"Superstore Sales","description":"Sales, profit and order trends of the Superstore.","owner":{"name":"casey.creator@example.com"},"project":{"id":"a709a264-ad7f-59ca-a330-b8e64e651be1","name":"Sales"},"tags":{"tag":[{"label":"sales"}]},"updatedAt":"2025-02-01T09:00:00Z"},`, 11) +
		`{"id":"x","name":"y"}]}}`
	length := strconv.Itoa(len(body))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		if strings.HasSuffix(r.URL.Path, "/auth/signin") {
			io.WriteString(w, `{"credentials":{"site":{"id":"`+siteLUID+`"},"user":{"id":"u1"},"token":"tok"}}`)
			return
		}
		h["Content-Length"] = []string{length}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	c, err := New(Config{ServerURL: srv.URL, Site: "mysite", PATName: "n", PATSecret: "s", APIVersion: "3.27"})
	if err != nil {
		b.Fatal(err)
	}
	call := backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks",
		Query: url.Values{"fields": {"id,name,description,updatedAt,project.id,project.name,owner.name,tags"}}}}
	ctx := context.Background()
	if _, err := c.Invoke(ctx, call); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Invoke(ctx, call); err != nil {
			b.Fatal(err)
		}
	}
}
