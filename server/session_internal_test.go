package server

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/tableau-mcp/tableau-mcp/demo"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// sessionHandler is the streamable HTTP handler of a demo server acting for
// one loopback user.
func sessionHandler(t testing.TB, o HTTPOptions) *httpHandler {
	t.Helper()
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Version: "test", Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	o.Transport, o.NoAuth, o.NoAuthIdentity = "http", true, "alice"
	return newHTTPHandler(s, o)
}

func mcpPost(h http.Handler, session, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(body))
	req.Host = "127.0.0.1"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if session != "" {
		req.Header.Set(mcpserver.HeaderKeySessionID, session)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func openSession(t testing.TB, h http.Handler) string {
	t.Helper()
	rec := mcpPost(h, "", initBody)
	id := rec.Header().Get(mcpserver.HeaderKeySessionID)
	if rec.Code != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	return id
}

const pingBody = `{"jsonrpc":"2.0","id":2,"method":"ping"}`

// One caller opening 8,000 sessions and never closing them holds at most
// MaxSessionsPerIdentity; the heap grows by far less than 32 MB (on an
// unbounded server it grew by about 90 MB).
func TestAbandonedSessionsKeepTheHeapBounded(t *testing.T) {
	h := sessionHandler(t, HTTPOptions{})
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	openSession(t, h) // warm up what every server allocates once
	before := heap()
	for i := 0; i < 8000; i++ {
		openSession(t, h)
	}
	after := heap()
	growth := int64(after) - int64(before)
	t.Logf("heap %d KiB -> %d KiB after 8,000 abandoned sessions (%d sessions kept)", before>>10, after>>10, h.sessions.count())
	if growth > 32<<20 {
		t.Errorf("the heap grew by %d MiB; at most 32 MiB allowed", growth>>20)
	}
	if n := h.sessions.count(); n != DefaultMaxSessionsPerIdentity {
		t.Errorf("%d sessions kept for one caller; want %d", n, DefaultMaxSessionsPerIdentity)
	}
}

func TestTheLeastRecentlyUsedSessionIsClosed(t *testing.T) {
	h := sessionHandler(t, HTTPOptions{MaxSessionsPerIdentity: 2})
	first, second := openSession(t, h), openSession(t, h)
	if rec := mcpPost(h, first, pingBody); rec.Code != http.StatusOK {
		t.Fatalf("ping on the first session: %d %s", rec.Code, rec.Body)
	}
	third := openSession(t, h) // the second is now the least recently used
	if rec := mcpPost(h, second, pingBody); rec.Code != http.StatusNotFound {
		t.Errorf("the least recently used session answered %d, want 404: %s", rec.Code, rec.Body)
	}
	for _, id := range []string{first, third} {
		if rec := mcpPost(h, id, pingBody); rec.Code != http.StatusOK {
			t.Errorf("a recent session answered %d: %s", rec.Code, rec.Body)
		}
	}
}

func TestIdleSessionsExpire(t *testing.T) {
	h := sessionHandler(t, HTTPOptions{SessionIdleTimeout: 10 * time.Minute})
	now := time.Now()
	h.sessions.now = func() time.Time { return now }
	idle, used := openSession(t, h), openSession(t, h)
	now = now.Add(6 * time.Minute)
	mcpPost(h, used, pingBody)
	now = now.Add(6 * time.Minute) // idle: 12 minutes unused; used: 6
	if rec := mcpPost(h, idle, pingBody); rec.Code != http.StatusNotFound {
		t.Errorf("a session idle past the timeout answered %d, want 404", rec.Code)
	}
	if rec := mcpPost(h, used, pingBody); rec.Code != http.StatusOK {
		t.Errorf("a session used within the timeout answered %d: %s", rec.Code, rec.Body)
	}
	// Expiry is also found by the sweep when a new session is opened.
	now = now.Add(11 * time.Minute)
	openSession(t, h)
	if n := h.sessions.count(); n != 1 {
		t.Errorf("%d sessions bound after the others idled out; want 1", n)
	}
}
