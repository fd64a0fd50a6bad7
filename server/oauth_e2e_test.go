package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/demo"
	oauthemu "github.com/tableau-mcp/tableau-mcp/emulator/oauth"
	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// oauthServer is this server as a protected resource of an emulated
// authorization server, both on loopback.
type oauthServer struct {
	as  *oauthemu.Server
	mcp string // the MCP endpoint's URL
	spy *spy
}

func serveOAuth(t *testing.T, cfg oauthemu.Config, requireScopes bool) *oauthServer {
	t.Helper()
	as, err := oauthemu.Listen(cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { as.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mcpURL := "http://" + ln.Addr().String() + "/mcp"
	// Only the authorization server is configured: the JWKS is found in
	// its metadata, the issuer is its URL, the audience this server's.
	v, err := auth.NewJWT(auth.JWTConfig{AuthorizationServer: as.URL(), Issuer: as.URL(), Audience: mcpURL, RequireScopes: requireScopes})
	if err != nil {
		t.Fatal(err)
	}
	sp := newSpy(t)
	s, err := server.New(server.Options{Version: "test", Backend: sp, AllowDestructive: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.ServeListener(ctx, s, ln, server.HTTPOptions{Transport: "http", Auth: &auth.Bearer{JWT: v},
			Resource: &server.ProtectedResource{URL: mcpURL, AuthorizationServers: []string{as.URL()}, Name: "Tableau MCP"}})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return &oauthServer{as: as, mcp: mcpURL, spy: sp}
}

// signIn is what an MCP client does knowing only the server's URL: its
// first request gets 401, it discovers the authorization server, registers,
// has the user sign in (the emulator consents at once, so following the
// authorization URL lands on the redirect with the code) and exchanges the
// code. It returns the initialised session.
func signIn(t *testing.T, mcpURL string, scopes ...string) *Session {
	t.Helper()
	cfg := client.OAuthConfig{RedirectURI: "http://127.0.0.1:1/callback", Scopes: scopes, TokenStore: client.NewMemoryTokenStore(), PKCEEnabled: true}
	c, err := client.NewOAuthStreamableHttpClient(mcpURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "oauth-test", Version: "1"}
	_, err = c.Initialize(ctx, req)
	if !client.IsOAuthAuthorizationRequiredError(err) {
		t.Fatalf("the first request should need authorization, got %v", err)
	}
	// mcp-go sends nothing without a token; the 401 its first request
	// would get is fed to it as a client does on a 401.
	h := client.GetOAuthHandler(err)
	resp, err := http.Post(mcpURL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":0,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a request without a token answered %d", resp.StatusCode)
	}
	h.HandleUnauthorizedResponse(resp)
	if err := h.RegisterClient(ctx, "oauth-test"); err != nil {
		t.Fatalf("dynamic registration: %v", err)
	}
	verifier, _ := client.GenerateCodeVerifier()
	state, _ := client.GenerateState()
	authURL, err := h.GetAuthorizationURL(ctx, state, client.GenerateCodeChallenge(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(authURL); u.Query().Get("resource") != mcpURL {
		t.Errorf("the client asks for resource %q, want %q", u.Query().Get("resource"), mcpURL)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" {
		t.Fatalf("authorization answered %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if back.Query().Get("state") != state {
		t.Fatalf("state %q came back as %q", state, back.Query().Get("state"))
	}
	if err := h.ProcessAuthorizationResponse(ctx, back.Query().Get("code"), state, verifier); err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize after signing in: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &Session{T: t, C: c, Called: map[string]bool{}}
}

func toolNames(t *testing.T, s *Session) []string {
	t.Helper()
	res, err := s.C.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	return names
}

func TestOAuthClientKnowingOnlyTheURLSignsInAndCallsAsItsUser(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_carol"}, false)
	s := signIn(t, o.mcp, "tableau:read")
	s.OK("tableau_workbooks_list", nil)
	if ids := o.spy.identities(); len(ids) == 0 || ids[len(ids)-1] != "usr_carol" {
		t.Errorf("the call acted for %v, want the token's subject usr_carol", ids)
	}
	if o.as.Clients() != 1 || o.as.Issued() != 1 {
		t.Errorf("registered %d clients, issued %d tokens; want 1 and 1", o.as.Clients(), o.as.Issued())
	}
	// The JWKS was found through the authorization server's metadata.
	reqs := strings.Join(o.as.Requests(), "\n")
	for _, want := range []string{"GET /.well-known/oauth-authorization-server", "POST /register", "GET /authorize", "POST /token", "GET /jwks"} {
		if !strings.Contains(reqs, want) {
			t.Errorf("the authorization server never got %q; it got:\n%s", want, reqs)
		}
	}
}

func TestScopesChooseTheToolsListedAndCallable(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_dan"}, false)
	read := toolNames(t, signIn(t, o.mcp, "tableau:read"))
	all := toolNames(t, signIn(t, o.mcp, "tableau:read", "tableau:write", "tableau:delete"))
	if !slices.Contains(read, "tableau_workbooks_list") || slices.Contains(read, "tableau_project_create") || slices.Contains(read, "tableau_workbook_delete") {
		t.Errorf("a read-only token lists %v", read)
	}
	if !slices.Contains(all, "tableau_project_create") || !slices.Contains(all, "tableau_workbook_delete") || len(all) <= len(read) {
		t.Errorf("a token with every scope lists %d tools (read-only: %d)", len(all), len(read))
	}
	write := toolNames(t, signIn(t, o.mcp, "tableau:write"))
	if slices.Contains(write, "tableau_workbooks_list") || !slices.Contains(write, "tableau_project_create") {
		t.Errorf("a write-only token lists %v", write)
	}
}

func TestAWriteWithAReadOnlyTokenIsAStepUpChallenge(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_erin"}, false)
	tok, err := o.as.Token(map[string]any{"aud": o.mcp, "scope": "tableau:read"})
	if err != nil {
		t.Fatal(err)
	}
	resp := postResp(t, o.mcp, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tableau_project_create","arguments":{"name":"x"}}}`, bearer(tok))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="tableau:read tableau:write"`) ||
		!strings.Contains(ch, `resource_metadata="`+strings.Replace(o.mcp, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)+`"`) {
		t.Fatalf("got %d %q: %s", resp.StatusCode, ch, body)
	}
	// A read passes the same check.
	resp = postResp(t, o.mcp, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`, bearer(tok))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("initialize with the read token: %d", resp.StatusCode)
	}
}

func TestProtectedResourceMetadataAndChallenges(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_f"}, false)
	base := strings.TrimSuffix(o.mcp, "/mcp")
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp := get(t, base+path, nil)
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if resp.StatusCode != 200 || doc["resource"] != o.mcp || doc["resource_name"] != "Tableau MCP" ||
			!slices.Equal(toStrings(doc["authorization_servers"]), []string{o.as.URL()}) ||
			!slices.Equal(toStrings(doc["bearer_methods_supported"]), []string{"header"}) ||
			!slices.Equal(toStrings(doc["scopes_supported"]), []string{"tableau:read", "tableau:write", "tableau:delete"}) {
			t.Errorf("%s: %d %v", path, resp.StatusCode, doc)
		}
	}
	// Public: a web client of any origin reads it.
	if resp := get(t, base+"/.well-known/oauth-protected-resource/mcp", map[string]string{"Origin": "https://client.example"}); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("metadata from another origin: %d %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp := get(t, base+"/.well-known/oauth-protected-resource/other", nil); resp.StatusCode != 404 {
		t.Errorf("metadata of another path: %d", resp.StatusCode)
	}
	prm := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`

	// No token: where to sign in, no error (RFC 6750 §3.1).
	resp := postResp(t, o.mcp, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil)
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || ch != "Bearer "+prm {
		t.Errorf("no token: %d %q", resp.StatusCode, ch)
	}

	good := func(extra map[string]any) map[string]any {
		c := map[string]any{"aud": o.mcp, "scope": "tableau:read"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	foreign := func() string {
		sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: other}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "unknown-kid"))
		s, _ := jwt.Signed(sig).Claims(map[string]any{"iss": o.as.Issuer(), "aud": o.mcp, "sub": "mallory", "exp": time.Now().Add(time.Hour).Unix()}).Serialize()
		return s
	}()
	cases := map[string]string{
		"wrong audience": mint(t, o.as, good(map[string]any{"aud": "http://127.0.0.1:1/mcp"})),
		"expired":        mint(t, o.as, good(map[string]any{"exp": time.Now().Add(-time.Hour).Unix(), "iat": time.Now().Add(-2 * time.Hour).Unix(), "nbf": nil})),
		"unknown key id": foreign,
		"wrong issuer":   mint(t, o.as, good(map[string]any{"iss": "http://127.0.0.1:1"})),
	}
	for name, tok := range cases {
		resp := postResp(t, o.mcp, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, bearer(tok))
		resp.Body.Close()
		if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || ch != "Bearer "+prm+`, error="invalid_token"` {
			t.Errorf("%s: %d %q", name, resp.StatusCode, ch)
		}
	}
}

func TestRequireScopesTurnsAJWTWithoutScopesAway(t *testing.T) {
	for _, require := range []bool{false, true} {
		o := serveOAuth(t, oauthemu.Config{Subject: "usr_g"}, require)
		tok := mint(t, o.as, map[string]any{"aud": o.mcp, "scope": nil})
		c, err := client.NewStreamableHttpClient(o.mcp, transport.WithHTTPHeaders(bearer(tok)))
		if err != nil {
			t.Fatal(err)
		}
		s := Start(t, c)
		n := len(toolNames(t, s))
		if require && n != 0 || !require && n < 40 {
			t.Errorf("require-scopes %v: a JWT without a scope claim lists %d tools", require, n)
		}
	}
}

func mint(t *testing.T, as *oauthemu.Server, claims map[string]any) string {
	t.Helper()
	tok, err := as.Token(claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// With Scalekit MCP Auth, tokens are issued by the environment, signed with
// the keys at {env}/keys and name the resource ID (res_...) in aud; the
// token's sub is the identifier of the caller's connected account.
func TestScalekitMCPAuthTokenSubjectIsTheConnectedAccount(t *testing.T) {
	as, err := oauthemu.Listen(oauthemu.Config{Subject: "usr_sk_1", Prefix: "/resources/res_1", JWKSPath: "/keys"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { as.Close() })
	env := strings.TrimSuffix(as.URL(), "/resources/res_1")
	as.SetIssuer(env)

	b, sk, tab, err := demo.ViaScalekit(nil)
	if err != nil {
		t.Fatal(err)
	}
	pat := tab.DefaultPAT()
	sk.AddAccount(scalekitemu.Account{Identifier: "usr_sk_1", PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	v, err := auth.NewJWT(auth.JWTConfig{JWKSURL: env + "/keys", Issuer: env, Audience: "res_1"})
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Auth: &auth.Bearer{JWT: v}})
	tok := mint(t, as, map[string]any{"aud": []string{"res_1"}, "scope": nil})
	sess, err := s.connect(t, "http", bearer(tok))
	if err != nil {
		t.Fatal(err)
	}
	sess.OK("tableau_workbooks_list", nil)
	var seen []string
	for _, r := range sk.Requests() {
		if r.Path == "/api/v1/execute_tool" {
			var body struct{ Identifier string }
			json.Unmarshal(r.Body, &body)
			seen = append(seen, body.Identifier)
		}
	}
	if len(seen) == 0 || slices.ContainsFunc(seen, func(id string) bool { return id != "usr_sk_1" }) {
		t.Errorf("execute_tool identifiers %v, want only the token's subject usr_sk_1", seen)
	}
	// A subject without a connected account is told how to connect one.
	stranger := mint(t, as, map[string]any{"aud": []string{"res_1"}, "sub": "usr_new"})
	sess, err = s.connect(t, "http", bearer(stranger))
	if err != nil {
		t.Fatal(err)
	}
	sess.Fail("tableau_workbooks_list", nil, "no connected account", "usr_new", "tableau-mcp connect --identifier usr_new")
}

// Scopes hold on every surface, not only tools/list: a token without
// tableau:read sees no export templates and cannot read one.
func TestScopesHoldForResourcesToo(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_h"}, false)
	tok := mint(t, o.as, map[string]any{"aud": o.mcp, "scope": "tableau:write"})
	c, err := client.NewStreamableHttpClient(o.mcp, transport.WithHTTPHeaders(bearer(tok)))
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	tpl, err := s.C.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	if err != nil || len(tpl.ResourceTemplates) != 0 {
		t.Errorf("a write-only token lists templates: %v %v", tpl, err)
	}
	req := mcp.ReadResourceRequest{}
	req.Params.URI = "tableau://views/00000000-0000-4000-8000-000000000001/image"
	if _, err := s.C.ReadResource(context.Background(), req); err == nil || !strings.Contains(err.Error(), "tableau:read") {
		t.Errorf("a write-only token read an export: %v", err)
	}
}

// A tool the operator does not serve is no reason to ask the user for more.
func TestNoStepUpForAToolNotServed(t *testing.T) {
	as, err := oauthemu.Listen(oauthemu.Config{Subject: "usr_i"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { as.Close() })
	v, err := auth.NewJWT(auth.JWTConfig{AuthorizationServer: as.URL(), Issuer: as.URL(), Audience: "aud-i"})
	if err != nil {
		t.Fatal(err)
	}
	read, _ := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"all"}, ReadOnly: true})
	s := serve(t, server.Options{Backend: newSpy(t), Tools: read}, server.HTTPOptions{Auth: &auth.Bearer{JWT: v}})
	tok := mint(t, as, map[string]any{"aud": "aud-i", "scope": "tableau:read"})
	resp := postResp(t, s.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tableau_project_create","arguments":{"name":"x"}}}`, bearer(tok))
	resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden {
		t.Errorf("a step-up challenge for a tool the server does not serve: %q", resp.Header.Get("WWW-Authenticate"))
	}
}

// Sessions with different grants listing tools at the same time over
// streamable HTTP each see their own grant's list, whole, every time: the
// definitions the transport puts into one answer are never another's.
func TestConcurrentListsOfDifferentGrantsStayApart(t *testing.T) {
	o := serveOAuth(t, oauthemu.Config{Subject: "usr_erin"}, false)
	sessions := []*Session{
		signIn(t, o.mcp, "tableau:read"),
		signIn(t, o.mcp, "tableau:write"),
		signIn(t, o.mcp, "tableau:read", "tableau:write", "tableau:delete"),
	}
	want := make([]string, len(sessions))
	for i, s := range sessions {
		want[i] = strings.Join(toolNames(t, s), ",")
	}
	if want[0] == want[1] || want[1] == want[2] || want[0] == want[2] {
		t.Fatalf("the grants list the same tools: %q", want)
	}
	var wg sync.WaitGroup
	for i, s := range sessions {
		for range 8 {
			wg.Go(func() {
				res, err := s.C.ListTools(context.Background(), mcp.ListToolsRequest{})
				if err != nil {
					t.Error(err)
					return
				}
				var names []string
				for _, tl := range res.Tools {
					if len(tl.RawInputSchema) == 0 && tl.InputSchema.Type == "" {
						t.Errorf("%s listed without its input schema", tl.Name)
					}
					names = append(names, tl.Name)
				}
				if got := strings.Join(names, ","); got != want[i] {
					t.Errorf("grant %d listed %s, want %s", i, got, want[i])
				}
			})
		}
	}
	wg.Wait()
}
