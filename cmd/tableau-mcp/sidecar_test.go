package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/auth"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls cond a bounded number of times.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func session(t *testing.T, url string, headers map[string]string) (*Session, error) {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		return nil, err
	}
	c := client.NewClient(tr)
	if err := c.Start(t.Context()); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(t.Context(), req); err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return &Session{T: t, C: c, Called: map[string]bool{}}, nil
}

// TestSidecarEndToEnd runs the command as an operator would: HTTP with an
// auth file, a JWT key and a gateway header, against Tableau (the emulator
// on loopback). It reloads the auth file on SIGHUP, stops on SIGTERM after
// the call in flight finishes and signs out, and its debug log holds none of
// the secrets it was given or saw.
func TestSidecarEndToEnd(t *testing.T) {
	emu := tableauemu.New(tableauemu.Config{})
	var holding atomic.Bool
	entered, gate := make(chan struct{}, 1), make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holding.Load() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/projects") {
			holding.Store(false)
			entered <- struct{}{}
			<-gate
		}
		emu.ServeHTTP(w, r)
	}))
	defer upstream.Close()
	pat := emu.DefaultPAT()

	dir := t.TempDir()
	const (
		aliceToken = "alice-token-0123456789abcdef"
		daveToken  = "dave-token-fedcba9876543210"
		gwSecret   = "gateway-secret-0123456789abcdef"
	)
	authFile := filepath.Join(dir, "tokens")
	os.WriteFile(authFile, []byte("alice "+aliceToken+"\n"), 0o600)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keyFile := filepath.Join(dir, "jwt.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, nil)
	jwtToken, err := jwt.Signed(signer).Claims(map[string]any{
		"iss": "https://idp.example", "aud": "tableau-mcp", "sub": "bob@example.com", "exp": time.Now().Add(time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}

	setEnv(t, map[string]string{"TABLEAU_SERVER_URL": upstream.URL, "TABLEAU_SITE": pat.SiteContentURL, "TABLEAU_PAT_NAME": pat.Name, "TABLEAU_PAT_SECRET": pat.Secret})
	t.Setenv("TABLEAU_MCP_TRUSTED_HEADER_SECRET", gwSecret)
	addr := freeAddr(t)
	var stderr syncBuffer
	exited := make(chan error, 1)
	go func() {
		exited <- run([]string{"--transport", "http", "--listen", addr, "--log-level", "debug",
			"--auth-file", authFile, "--jwt-public-key", keyFile, "--jwt-issuer", "https://idp.example", "--jwt-audience", "tableau-mcp",
			"--trusted-header", "X-User", "--shutdown-grace", "1m"}, strings.NewReader(""), io.Discard, &stderr)
	}()
	waitFor(t, "the server to listen", func() bool { return strings.Contains(stderr.String(), "serving MCP over HTTP") })
	url := "http://" + addr + "/mcp"

	// Unauthenticated and badly authenticated callers are refused.
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tableau_projects_list"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	for _, h := range []map[string]string{{"Authorization": "Bearer " + daveToken}, {"X-User": "carol", "X-Gateway-Secret": "wrong-secret-0123456789"}} {
		if _, err := session(t, url, h); err == nil {
			t.Errorf("%v: a session started", h)
		}
	}
	alice, err := session(t, url, map[string]string{"Authorization": "Bearer " + aliceToken})
	if err != nil {
		t.Fatal(err)
	}
	alice.OK("tableau_projects_list", nil)
	bob, err := session(t, url, map[string]string{"Authorization": "Bearer " + jwtToken})
	if err != nil {
		t.Fatal(err)
	}
	bob.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
	carol, err := session(t, url, map[string]string{"X-User": "carol", "X-Gateway-Secret": gwSecret})
	if err != nil {
		t.Fatal(err)
	}
	carol.OK("tableau_datasources_list", nil)
	// Administration is opt-in: not served by default.
	if res, err := alice.C.CallTool(t.Context(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "tableau_users_list"}}); err == nil && !res.IsError {
		t.Error("an administration tool is served by default")
	}

	// SIGHUP: dave is added, alice stays, nothing is dropped.
	os.WriteFile(authFile, []byte("alice "+aliceToken+"\ndave "+auth.HashToken(daveToken)+"\n"), 0o600)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "the auth file to be reloaded", func() bool { return strings.Contains(stderr.String(), "auth file reloaded") })
	dave, err := session(t, url, map[string]string{"Authorization": "Bearer " + daveToken})
	if err != nil {
		t.Fatalf("the added token after SIGHUP: %v", err)
	}
	dave.OK("tableau_projects_list", nil)
	alice.OK("tableau_projects_list", nil)

	// The access log names each caller.
	for _, who := range []string{`"identity":"alice"`, `"identity":"bob@example.com"`, `"identity":"carol"`, `"identity":"dave"`} {
		if !strings.Contains(stderr.String(), who) {
			t.Errorf("no access log line with %s", who)
		}
	}

	// SIGTERM with a call in flight: it finishes, the session is signed out, exit 0.
	holding.Store(true)
	result := make(chan *mcp.CallToolResult, 1)
	go func() { result <- alice.Call("tableau_projects_list", nil) }()
	<-entered
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	waitFor(t, "the shutdown to begin", func() bool { return strings.Contains(stderr.String(), "shutting down") })
	close(gate)
	if res := <-result; res.IsError || len(List(mustJSON(t, Text(res)), "projects", "project")) == 0 {
		t.Errorf("the call in flight: %s", Text(res))
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit with %v, want nil (exit status 0)", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the server did not exit")
	}
	signedOut := false
	for _, r := range emu.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/auth/signout") {
			signedOut = true
		}
	}
	if !signedOut {
		t.Error("no sign-out on shutdown")
	}

	// The debug log holds no secret.
	logs := stderr.String()
	secrets := map[string]string{"alice's token": aliceToken, "dave's token": daveToken, "the JWT": jwtToken, "the JWT signature": jwtToken[strings.LastIndex(jwtToken, ".")+1:],
		"the gateway secret": gwSecret, "the PAT secret": pat.Secret}
	for _, r := range emu.Requests() {
		if tok := r.Header.Get("X-Tableau-Auth"); tok != "" {
			secrets["a Tableau session token"] = tok
		}
	}
	for what, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("%s appears in the debug log", what)
		}
	}
	if !regexp.MustCompile(`"level":"debug"|"level":"info"`).MatchString(logs) {
		t.Error("the log capture is empty")
	}
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := jsonUnmarshal(s, &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func TestNoAuthOnlyOnLoopback(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	err := run([]string{"--transport", "http", "--listen", "0.0.0.0:0", "--no-auth"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--no-auth on all interfaces: %v", err)
	}
	err = run([]string{"--transport", "sse", "--listen", "127.0.0.1:0"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--auth-file") {
		t.Errorf("HTTP without authentication: %v", err)
	}
	err = run([]string{"--transport", "http", "--listen", "127.0.0.1:0", "--no-auth", "--trusted-header", "X-User", "--trusted-header-secret", "0123456789abcdef0123"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "contradicts") {
		t.Errorf("--no-auth with authentication settings: %v", err)
	}
	for _, args := range [][]string{
		{"--scope-projects", "Sales"},
		{"--max-calls-per-minute", "-1"},
		{"--shutdown-grace", "soon"},
		{"--read-only=maybe"},
		{"--tools", "tableau_nope"},
	} {
		if err := run(append([]string{"tools"}, args...), nil, &out, &errb); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestCallFollowsTheSafetySwitches(t *testing.T) {
	_, settings := startEmulator(t)
	setEnv(t, settings)
	var out, errb bytes.Buffer
	if err := run([]string{"--toolsets", "workbooks", "call", "tableau_users_list"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "--toolsets all") {
		t.Errorf("call of an opt-in tool: %v", err)
	}
	if err := run([]string{"--toolsets", "users", "call", "tableau_users_list"}, nil, &out, &errb); err != nil {
		t.Errorf("call with its toolset: %v", err)
	}
	if err := run([]string{"--read-only", "call", "tableau_project_create", `{"name":"x"}`}, nil, &out, &errb); err == nil {
		t.Error("a write tool ran under --read-only")
	}
	out.Reset()
	err := run([]string{"call", "tableau_project_delete", `{"project_id":"00000000-0000-4000-8000-00000000beef"}`}, nil, &out, &errb)
	if err == nil || !strings.Contains(out.String(), "--allow-destructive") {
		t.Errorf("a destructive call without --allow-destructive: %v %s", err, out.String())
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
