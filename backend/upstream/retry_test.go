package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// script answers each request with the next of its steps; the last one
// repeats.
func script(t *testing.T, steps ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":"%d000","summary":"s","detail":"d"}}`, code)
	}
}

// reset closes the connection abruptly (RST), with no answer.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

func getter(url string) Send {
	return func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		return http.DefaultClient.Do(req)
	}
}

type retryLog struct{ waits []time.Duration }

func fast(l *retryLog) Policy {
	return Policy{Backoff: time.Millisecond, OnRetry: func(_ int, wait time.Duration, _ string) { l.waits = append(l.waits, wait) }}
}

func TestReadsSurviveOneTransientFault(t *testing.T) {
	for name, fault := range map[string]func(http.ResponseWriter){
		"500": status(500), "502": status(502), "503": status(503), "504": status(504), "429": status(429), "reset": reset,
	} {
		srv, n := script(t, fault, status(200))
		var l retryLog
		resp, out, err := fast(&l).Do(context.Background(), true, getter(srv.URL))
		if err != nil || resp.StatusCode != 200 || out.Attempts != 2 || n.Load() != 2 {
			t.Errorf("%s then 200: %v %v %+v, %d requests", name, resp, err, out, n.Load())
			continue
		}
		resp.Body.Close()
	}
}

func TestPersistentFaultStopsAfterThreeAttempts(t *testing.T) {
	srv, n := script(t, status(500))
	var l retryLog
	resp, out, err := fast(&l).Do(context.Background(), true, getter(srv.URL))
	if err != nil || resp.StatusCode != 500 || out.Attempts != 3 || n.Load() != 3 || len(l.waits) != 2 {
		t.Fatalf("%v %v %+v, %d requests, waits %v", resp, err, out, n.Load(), l.waits)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "500000") {
		t.Errorf("the last answer's body is lost: %q", body)
	}
	e := out.Annotate(ParseError(500, body))
	if !strings.Contains(e.Error(), "Tableau answered 500 (code 500000)") || !strings.Contains(e.Error(), "tried 3 times") {
		t.Errorf("error text %q", e)
	}
	// Jittered exponential backoff: the second wait is drawn around twice the first.
	if l.waits[0] < 500*time.Microsecond || l.waits[0] > 1500*time.Microsecond || l.waits[1] < time.Millisecond || l.waits[1] > 3*time.Millisecond {
		t.Errorf("waits %v, want about 1ms then 2ms", l.waits)
	}

	srv, n = script(t, reset)
	_, out, err = fast(&l).Do(context.Background(), true, getter(srv.URL))
	if err == nil || out.Attempts != 3 || n.Load() != 3 || !strings.Contains(out.Annotate(err).Error(), "tried 3 times") {
		t.Fatalf("persistent reset: %v %+v", err, out)
	}
}

func TestRetryAfterIsHonouredUpToTheLimit(t *testing.T) {
	srv, _ := script(t, status(429, "Retry-After", "1"), status(200))
	var l retryLog
	p := fast(&l)
	resp, out, err := p.Do(context.Background(), true, getter(srv.URL))
	if err != nil || resp.StatusCode != 200 || out.Attempts != 2 || len(l.waits) != 1 || l.waits[0] != time.Second {
		t.Fatalf("Retry-After 1: %v %+v waits %v", err, out, l.waits)
	}
	// More than the policy honours: not retried, and said so.
	srv, n := script(t, status(503, "Retry-After", "30"), status(200))
	resp, out, err = p.Do(context.Background(), true, getter(srv.URL))
	if err != nil || resp.StatusCode != 503 || n.Load() != 1 || out.RetryAfter != 30*time.Second {
		t.Fatalf("Retry-After 30: %v %+v, %d requests", err, out, n.Load())
	}
	e := out.Annotate(&backend.APIError{Status: 503})
	if !strings.Contains(e.Error(), "asked to wait 30s") {
		t.Errorf("error text %q", e)
	}
	if d, ok := RetryAfter(http.Header{"Retry-After": {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, time.Now()); !ok || d < 80*time.Second || d > 91*time.Second {
		t.Errorf("HTTP-date Retry-After read as %v %v", d, ok)
	}
}

func TestWritesAreSentOnceOnceTheyMayHaveArrived(t *testing.T) {
	for name, fault := range map[string]func(http.ResponseWriter){"500": status(500), "504": status(504), "429": status(429), "reset": reset} {
		srv, n := script(t, fault, status(200))
		var l retryLog
		resp, out, err := fast(&l).Do(context.Background(), false, getter(srv.URL))
		if n.Load() != 1 || out.Attempts != 1 {
			t.Errorf("write answered %s was sent %d times", name, n.Load())
		}
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 429 {
				if out.Unrepeated {
					t.Errorf("a write refused with 429 is said to have maybe taken effect")
				}
				continue
			}
			if !out.Unrepeated || !strings.Contains(out.Annotate(&backend.APIError{Status: resp.StatusCode}).Error(), "not sent again") {
				t.Errorf("%s: outcome %+v does not say the write was not repeated", name, out)
			}
		}
	}
}

func TestARefusedConnectionIsRetriedEvenForWrites(t *testing.T) {
	srv, n := script(t, status(200))
	tries := 0
	send := func(ctx context.Context) (*http.Response, error) {
		tries++
		if tries == 1 {
			// As the transport reports a refused dial.
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		return getter(srv.URL)(ctx)
	}
	var l retryLog
	resp, out, err := fast(&l).Do(context.Background(), false, send)
	if err != nil || resp.StatusCode != 200 || out.Attempts != 2 || n.Load() != 1 {
		t.Fatalf("%v %+v, %d requests", err, out, n.Load())
	}
	resp.Body.Close()

	// A real refusal: a port nothing listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, out, err = fast(&l).Do(context.Background(), false, getter("http://"+addr+"/"))
	if !errors.Is(err, syscall.ECONNREFUSED) || out.Attempts != 3 {
		t.Fatalf("refused: %v %+v", err, out)
	}
}

func TestNoWaitOutlastsTheDeadline(t *testing.T) {
	srv, n := script(t, status(503))
	var l retryLog
	p := fast(&l)
	p.Backoff = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, out, err := p.Do(ctx, true, getter(srv.URL))
	if err != nil || resp.StatusCode != 503 || n.Load() != 1 || out.Attempts != 1 {
		t.Fatalf("%v %+v, %d requests", err, out, n.Load())
	}
	resp.Body.Close()
}

func TestADownloadIsBoundedByIdleTimeNotTotalTime(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.Write([]byte("first bytes"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	p := Policy{Timeout: 50 * time.Millisecond}
	ctx, watch := p.Download(context.Background(), "Tableau")
	resp, _, err := p.Do(ctx, true, getter(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = watch.Body(resp.Body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	var te *TimeoutError
	if string(b) != "first bytes" || !errors.As(err, &te) || !te.Idle || !strings.Contains(err.Error(), "sent nothing for 50ms") {
		t.Fatalf("read %q, %v", b, err)
	}
}

func TestTimedNamesTheUpstreamTimeout(t *testing.T) {
	p := Policy{Timeout: time.Millisecond}
	ctx, cancel := p.Bound(context.Background(), "Scalekit")
	defer cancel()
	<-ctx.Done()
	err := Timed(ctx, context.DeadlineExceeded)
	if !strings.Contains(err.Error(), "Scalekit did not answer within 1ms") || !strings.Contains(err.Error(), "TABLEAU_MCP_UPSTREAM_TIMEOUT") {
		t.Fatalf("%v", err)
	}
}

func TestNoWaitOutlastsTheRetryBudget(t *testing.T) {
	// Every wait ends within the budget of the first attempt, so a fault
	// that persists ends the call within 15 s (the budget plus one last
	// quick answer); a Retry-After of 10 s is waited once, not twice.
	if DefaultBudget >= 15*time.Second || DefaultMaxRetryAfter*2 <= DefaultBudget {
		t.Fatalf("defaults %v and %v no longer keep a persistent fault under 15 s", DefaultBudget, DefaultMaxRetryAfter)
	}
	srv, n := script(t, status(429, "Retry-After", "1"))
	var l retryLog
	p := fast(&l)
	p.Budget = 50 * time.Millisecond
	resp, out, err := p.Do(context.Background(), true, getter(srv.URL))
	if err != nil || resp.StatusCode != 429 || n.Load() != 1 || out.Attempts != 1 || len(l.waits) != 0 {
		t.Fatalf("a wait past the budget was started: %v %+v, %d requests, waits %v", err, out, n.Load(), l.waits)
	}
	resp.Body.Close()
}
