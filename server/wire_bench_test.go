package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
)

// replay answers each distinct call with what the demo site answered the
// first time, so that a benchmark measures the server, not the site.
type replay struct {
	backend.Backend
	mu   sync.Mutex
	seen map[string]json.RawMessage
}

func (r *replay) Name() string { return "tableau" }

func (r *replay) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	key := call.Tool + " " + call.Request.Path
	for k, v := range call.Request.Query {
		key += " " + k + "=" + strings.Join(v, ",")
	}
	r.mu.Lock()
	raw, ok := r.seen[key]
	r.mu.Unlock()
	if ok {
		return raw, nil
	}
	raw, err := r.Backend.Invoke(ctx, call)
	if err == nil {
		r.mu.Lock()
		r.seen[key] = raw
		r.mu.Unlock()
	}
	return raw, err
}

// sink is a ResponseWriter that keeps nothing but the size of the answer.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header {
	if s.h == nil {
		s.h = http.Header{}
	}
	return s.h
}
func (s *sink) WriteHeader(code int)        { s.status = code }
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *sink) Flush()                      {}

// BenchmarkHTTPHandlerToolCall measures the server's own work for one
// tools/call over streamable HTTP: the handler from the request body to
// the bytes of the answer (reading the body, the session, the guarded
// dispatch with its access log line, the tool turning the upstream answer
// into its result, and writing the answer), with the upstream answer
// replayed and no network.
func BenchmarkHTTPHandlerToolCall(b *testing.B) {
	be, _, err := demo.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(discard{}), zap.InfoLevel))
	s, err := New(Options{Version: "bench", Backend: &replay{Backend: be, seen: map[string]json.RawMessage{}}, Logger: log, Metrics: NewMetrics()})
	if err != nil {
		b.Fatal(err)
	}
	h := newHTTPHandler(s, HTTPOptions{Transport: "http", NoAuth: true, Logger: log})
	sid := openSession(b, h)
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{}}}`
	call := func() *sink {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(body))
		req.Host = "127.0.0.1"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set(mcpserver.HeaderKeySessionID, sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		w := &sink{}
		h.ServeHTTP(w, req)
		return w
	}
	if w := call(); w.status != http.StatusOK || w.n < 1000 {
		b.Fatalf("tools/call: %d, %d bytes", w.status, w.n)
	}
	b.ReportAllocs()
	for b.Loop() {
		call()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
