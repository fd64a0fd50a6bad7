package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Draining: /readyz, and counting the requests in flight so that a shutdown
// lets them finish.

func (h *httpHandler) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	if h.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: shutting down\n")
		return
	}
	if h.o.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		if err := h.o.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: "+err.Error()+"\n")
			return
		}
	}
	io.WriteString(w, "ready\n")
}

// tracker counts the MCP requests being answered, so that a shutdown can
// wait for them: streamable HTTP requests until their answer is written, SSE
// requests until their answer has been written to the session's stream.
type tracker struct {
	mu      sync.Mutex
	n       int
	idle    chan struct{}
	pending map[string]map[string]bool // SSE session -> request IDs
}

func newTracker() *tracker {
	t := &tracker{idle: make(chan struct{}), pending: map[string]map[string]bool{}}
	close(t.idle)
	return t
}

func (t *tracker) add() {
	t.mu.Lock()
	t.addLocked()
	t.mu.Unlock()
}

func (t *tracker) addLocked() {
	if t.n == 0 {
		t.idle = make(chan struct{})
	}
	t.n++
}

func (t *tracker) done() {
	t.mu.Lock()
	t.doneLocked(1)
	t.mu.Unlock()
}

func (t *tracker) doneLocked(k int) {
	t.n -= k
	if t.n <= 0 && k > 0 {
		t.n = 0
		close(t.idle)
	}
}

// normID gives equal JSON-RPC IDs one spelling (1 and 1.0 alike).
func normID(raw json.RawMessage) string {
	if plainID(raw) {
		// Already in the form encoding/json would give it.
		return string(raw)
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// sseRequest tracks a request posted to an SSE session until its answer
// is written or dropped; it says whether it did (false: one with that id
// is tracked already).
func (t *tracker) sseRequest(session string, id json.RawMessage) bool {
	key := normID(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pending[session]
	if p == nil {
		p = map[string]bool{}
		t.pending[session] = p
	}
	if p[key] {
		return false
	}
	p[key] = true
	t.addLocked()
	return true
}

// sseWritten sees an event written to a session's stream; an answer to a
// tracked request ends it.
func (t *tracker) sseWritten(session string, p []byte) {
	if !bytes.Contains(p, []byte("\ndata:")) {
		return
	}
	m, ok := answerTo(p)
	if !ok || m.Method != "" || len(m.ID) == 0 {
		return
	}
	t.sseAnswered(session, m.ID)
}

// sseAnswered ends a tracked request whose answer was written, left out
// (its request was cancelled) or will never come (the POST was refused).
// Only the first call for an id counts.
func (t *tracker) sseAnswered(session string, id json.RawMessage) {
	key := normID(id)
	t.mu.Lock()
	defer t.mu.Unlock()
	if pend := t.pending[session]; pend[key] {
		delete(pend, key)
		t.doneLocked(1)
	}
}

// sseEnded forgets what a closed stream can no longer deliver.
func (t *tracker) sseEnded(session string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if k := len(t.pending[session]); k > 0 {
		t.doneLocked(k)
	}
	delete(t.pending, session)
}

func (t *tracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// wait returns when nothing is in flight or ctx ends.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain stops new work, lets the calls in flight finish within grace, ends
// the streams and closes the server.
func (h *httpHandler) drain(srv *http.Server, grace time.Duration, log *zap.Logger) {
	if grace <= 0 {
		grace = defaultGrace
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	h.draining.Store(true)
	log.Info("shutting down: finishing the calls in flight", zap.Duration("grace", grace), zap.Int("in_flight", h.track.count()))
	if err := h.track.wait(sctx); err != nil {
		log.Warn("shutdown grace period over with calls still in flight", zap.Int("in_flight", h.track.count()))
	}
	// Streams never go idle by themselves: end them so Shutdown can finish.
	if h.sse != nil {
		h.sse.CloseSessions()
	}
	if h.stream != nil {
		h.stream.CloseSessions(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("closing the connections still open", zap.Error(err))
		srv.Close()
	}
}

// plainID tells whether raw is an id encoding/json writes back unchanged:
// an integer of at most 15 digits (exact as a float64) without a leading
// zero, or a string of printable ASCII without escapes or <, > and &.
func plainID(raw []byte) bool {
	switch {
	case len(raw) == 0:
		return false
	case raw[0] == '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return false
		}
		for _, c := range raw[1 : len(raw)-1] {
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
		}
		return true
	default:
		digits := raw
		if digits[0] == '-' {
			digits = digits[1:]
		}
		if len(digits) == 0 || len(digits) > 15 || (digits[0] == '0' && len(digits) > 1) {
			return false
		}
		for _, c := range digits {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
}
