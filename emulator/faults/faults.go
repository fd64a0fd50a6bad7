// Package faults is a fault-injecting upstream for tests: an http.Handler in
// front of an emulator (Tableau or Scalekit) that answers chosen requests
// with an error status, resets their connection, loses the answer after the
// emulator acted on the request, or cuts the answer's body short. It counts
// every request it sees, so that a test can tell how often a call was sent.
// Serve it over loopback (httptest.NewServer) so that resets are real TCP
// resets.
package faults

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Match selects requests: each non-empty field must match.
type Match struct {
	Method string // exact, e.g. "GET"
	Path   string // substring of the URL path
	Body   string // substring of the request body, e.g. `"tool_name":"tableau_workbook_refresh"`
}

func (m Match) matches(r *http.Request, body []byte) bool {
	return (m.Method == "" || strings.EqualFold(m.Method, r.Method)) &&
		strings.Contains(r.URL.Path, m.Path) &&
		(m.Body == "" || bytes.Contains(body, []byte(m.Body)))
}

// Fault is what happens to a matched request.
type Fault struct {
	// Status answers this status (with Header and Body) instead of the
	// upstream's answer.
	Status int
	Header http.Header
	Body   string
	// After passes the request to the upstream first, so that it takes
	// effect, then answers Status instead: the answer was lost on the way.
	After bool
	// Reset closes the connection with a TCP reset and no answer; with
	// After, once the upstream has acted on the request.
	Reset bool
	// Truncate passes the answer on with only the first half of its body,
	// as a complete answer (no Content-Length, so nothing looks amiss at
	// the HTTP level).
	Truncate bool
	// Trickle passes the answer on whole, in 32 pieces with this pause
	// before each: a slow but steady download.
	Trickle time.Duration
	// Stall passes the first half of the answer on, then sends nothing
	// more until the client gives up.
	Stall bool
}

type rule struct {
	match Match
	fault Fault
	left  int // <0: forever
}

// Proxy injects faults in front of Next. It is safe for concurrent use.
type Proxy struct {
	Next http.Handler

	mu    sync.Mutex
	rules []*rule
	seen  []seen
}

type seen struct {
	method, path string
	body         []byte
}

// New returns a proxy in front of next.
func New(next http.Handler) *Proxy { return &Proxy{Next: next} }

// Inject makes the next times requests matching m meet fault f; times <= 0
// makes it happen to every one. Rules are tried in the order given.
func (p *Proxy) Inject(m Match, times int, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if times <= 0 {
		times = -1
	}
	p.rules = append(p.rules, &rule{match: m, fault: f, left: times})
}

// Clear removes every rule.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Count says how many requests matching m reached the proxy, faulted or not.
func (p *Proxy) Count(m Match) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		r := &http.Request{Method: s.method, URL: urlPath(s.path)}
		if m.matches(r, s.body) {
			n++
		}
	}
	return n
}

func (p *Proxy) take(r *http.Request, body []byte) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, seen{method: r.Method, path: r.URL.Path, body: body})
	for i, ru := range p.rules {
		if !ru.match.matches(r, body) {
			continue
		}
		if ru.left > 0 {
			ru.left--
			if ru.left == 0 {
				p.rules = append(p.rules[:i:i], p.rules[i+1:]...)
			}
		}
		return ru.fault, true
	}
	return Fault{}, false
}

// ServeHTTP passes the request on, or injects the first matching fault.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	f, ok := p.take(r, body)
	if !ok {
		p.Next.ServeHTTP(w, r)
		return
	}
	if f.After || f.Truncate || f.Trickle > 0 || f.Stall {
		rec := httptest.NewRecorder()
		p.Next.ServeHTTP(rec, r)
		if !f.Reset && f.Status == 0 {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			b := rec.Body.Bytes()
			switch {
			case f.Truncate:
				w.Write(b[:len(b)/2])
			case f.Stall:
				w.Write(b[:len(b)/2])
				flush(w)
				<-r.Context().Done()
			default:
				step := (len(b) + 31) / 32
				for len(b) > 0 {
					select {
					case <-time.After(f.Trickle):
					case <-r.Context().Done():
						return
					}
					n := min(step, len(b))
					w.Write(b[:n])
					flush(w)
					b = b[n:]
				}
			}
			return
		}
	}
	if f.Reset {
		reset(w)
		return
	}
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	msg := f.Body
	if msg == "" {
		msg = "fault injected for testing: " + strconv.Itoa(f.Status) + " " + http.StatusText(f.Status)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	io.WriteString(w, msg)
}

func flush(w http.ResponseWriter) {
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
}

// reset drops the connection with a TCP RST.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faults: a reset needs a connection to hijack: serve the proxy over loopback")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func urlPath(p string) *url.URL { return &url.URL{Path: p} }
