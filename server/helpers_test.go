package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

const (
	aliceToken = "alice-token-0123456789abcdef"
	bobToken   = "bob-token-fedcba9876543210"
	gwSecret   = "gateway-secret-0123456789abcdef"
)

// spy is a backend that records the identity each call acts for and can
// hold chosen tools until released.
type spy struct {
	backend.Backend
	mu      sync.Mutex
	ids     []string
	gates   map[string]chan struct{}
	entered chan string
	closed  bool
}

func newSpy(t *testing.T) *spy {
	t.Helper()
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &spy{Backend: b, gates: map[string]chan struct{}{}, entered: make(chan string, 16)}
}

// hold makes calls of tool wait until the returned func is called.
func (s *spy) hold(tool string) (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.gates[tool] = ch
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (s *spy) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	id, _ := auth.IdentityFrom(ctx)
	s.mu.Lock()
	s.ids = append(s.ids, id)
	gate := s.gates[call.Tool]
	s.mu.Unlock()
	if gate != nil {
		s.entered <- call.Tool
		<-gate
	}
	return s.Backend.Invoke(ctx, call)
}

func (s *spy) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func (s *spy) identities() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ids...)
}

func tokenAuth(t testing.TB) *auth.Bearer {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(p, []byte("alice "+aliceToken+"\nbob "+auth.HashToken(bobToken)+"\n"), 0o600)
	f, err := auth.LoadTokenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Bearer{Tokens: f}
}

// served is a server listening on loopback.
type served struct {
	URL  string
	stop func() error
}

// serve runs ServeListener on 127.0.0.1 until the test ends or stop is called.
func serve(t testing.TB, opts server.Options, ho server.HTTPOptions) *served {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "test"
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if ho.Transport == "" {
		ho.Transport = "http"
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.ServeListener(ctx, s, ln, ho) }()
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(30 * time.Second):
				t.Error("the server did not stop")
			}
		})
		return result
	}
	t.Cleanup(func() { stop() })
	return &served{URL: "http://" + ln.Addr().String(), stop: stop}
}

// connect opens an MCP session over the server's transport with headers.
func (s *served) connect(t testing.TB, kind string, headers map[string]string, opts ...client.ClientOption) (*Session, error) {
	t.Helper()
	var c *client.Client
	switch kind {
	case "sse":
		tr, err := transport.NewSSE(s.URL+"/sse", transport.WithHeaders(headers))
		if err != nil {
			return nil, err
		}
		c = client.NewClient(tr, opts...)
	default:
		tr, err := transport.NewStreamableHTTP(s.URL+"/mcp", transport.WithHTTPHeaders(headers))
		if err != nil {
			return nil, err
		}
		c = client.NewClient(tr, opts...)
	}
	return startSession(t, c)
}

// startSession is mcptest.Start returning the error instead of failing.
func startSession(t testing.TB, c *client.Client) (sess *Session, err error) {
	t.Helper()
	// The SSE transport keeps its stream on the context Start is given.
	if err := c.Start(context.Background()); err != nil {
		c.Close()
		return nil, err
	}
	ft := &fatalCatcher{TB: t}
	func() {
		defer func() {
			if r := recover(); r != nil && r != errFatal {
				panic(r)
			}
		}()
		sess = Start(ft, c)
	}()
	if ft.msg != "" {
		c.Close()
		return nil, errString(ft.msg)
	}
	sess.T = t
	return sess, nil
}

type errString string

func (e errString) Error() string { return string(e) }

var errFatal = new(int)

// fatalCatcher turns Fatalf into a recoverable panic so a test can check
// that a session could not start.
type fatalCatcher struct {
	testing.TB
	msg string
}

func (f *fatalCatcher) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(errFatal)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func get(t *testing.T, url string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// SignIns passes on the wrapped backend's count, when it keeps one.
func (s *spy) SignIns() int {
	if c, ok := s.Backend.(interface{ SignIns() int }); ok {
		return c.SignIns()
	}
	return 0
}

func mustObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, s)
	}
	return m
}
