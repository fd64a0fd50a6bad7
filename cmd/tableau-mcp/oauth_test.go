package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

func oauthConfig(t *testing.T, env map[string]string, flags ...string) *config {
	t.Helper()
	for _, k := range []string{"SCALEKIT_RESOURCE_ID", "TABLEAU_MCP_PUBLIC_URL", "TABLEAU_MCP_AUTHORIZATION_SERVER", "TABLEAU_MCP_REQUIRE_SCOPES",
		"TABLEAU_MCP_JWT_ISSUER", "TABLEAU_MCP_JWT_AUDIENCE", "TABLEAU_MCP_JWKS_URL", "TABLEAU_MCP_JWT_IDENTITY_CLAIM", "TABLEAU_MCP_JWT_PUBLIC_KEY"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	setEnv(t, env)
	fs := flagSet()
	var cfg config
	cfg.define(fs)
	if err := fs.Parse(flags); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(fs); err != nil {
		t.Fatal(err)
	}
	return &cfg
}

func TestScalekitMCPAuthPresetFillsWhatScalekitDocuments(t *testing.T) {
	cfg := oauthConfig(t, map[string]string{"SCALEKIT_ENVIRONMENT_URL": "https://acme.scalekit.com/", "SCALEKIT_RESOURCE_ID": "res_123",
		"TABLEAU_MCP_PUBLIC_URL": "https://MCP.example.com/"}, "--transport", "http")
	jc, err := cfg.jwtConfig()
	if err != nil {
		t.Fatal(err)
	}
	if jc.Issuer != "https://acme.scalekit.com" || jc.JWKSURL != "https://acme.scalekit.com/keys" || jc.Audience != "res_123" ||
		!slices.Equal(jc.Audiences, []string{"https://mcp.example.com/mcp"}) || jc.IdentityClaim != "sub" {
		t.Errorf("JWT config %+v", jc)
	}
	pr, err := cfg.protectedResource()
	if err != nil {
		t.Fatal(err)
	}
	if pr.URL != "https://mcp.example.com/mcp" || !slices.Equal(pr.AuthorizationServers, []string{"https://acme.scalekit.com/resources/res_123"}) {
		t.Errorf("resource %+v", pr)
	}
	// Explicit settings win over the preset.
	cfg = oauthConfig(t, map[string]string{"SCALEKIT_ENVIRONMENT_URL": "https://acme.scalekit.com", "SCALEKIT_RESOURCE_ID": "res_123",
		"TABLEAU_MCP_JWT_ISSUER": "https://acme.scalekit.com/resources/res_123", "TABLEAU_MCP_JWT_IDENTITY_CLAIM": "email"})
	if jc, _ = cfg.jwtConfig(); jc.Issuer != "https://acme.scalekit.com/resources/res_123" || jc.IdentityClaim != "email" || jc.Audience != "res_123" {
		t.Errorf("JWT config %+v", jc)
	}
}

func TestAnAuthorizationServerAloneNamesIssuerJWKSAndAudience(t *testing.T) {
	cfg := oauthConfig(t, map[string]string{"TABLEAU_MCP_AUTHORIZATION_SERVER": "https://auth.example.com/t1, https://other.example.com",
		"TABLEAU_MCP_PUBLIC_URL": "https://mcp.example.com/base"}, "--transport", "http")
	jc, err := cfg.jwtConfig()
	if err != nil {
		t.Fatal(err)
	}
	if jc.Issuer != "https://auth.example.com/t1" || jc.AuthorizationServer != "https://auth.example.com/t1" || jc.JWKSURL != "" || jc.Audience != "https://mcp.example.com/base/mcp" {
		t.Errorf("JWT config %+v", jc)
	}
	pr, _ := cfg.protectedResource()
	if len(pr.AuthorizationServers) != 2 {
		t.Errorf("resource %+v", pr)
	}
}

func TestOAuthSettingsMistakesAreExplained(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SCALEKIT_RESOURCE_ID": "res_1"}, "needs SCALEKIT_ENVIRONMENT_URL"},
		{map[string]string{"SCALEKIT_RESOURCE_ID": "app_1", "SCALEKIT_ENVIRONMENT_URL": "https://a.scalekit.com"}, "res_..."},
		{map[string]string{"TABLEAU_MCP_AUTHORIZATION_SERVER": "https://auth.example.com"}, "--public-url"},
		{map[string]string{"TABLEAU_MCP_AUTHORIZATION_SERVER": "ftp://auth.example.com", "TABLEAU_MCP_PUBLIC_URL": "https://m.example.com"}, "not an http(s) URL"},
		{map[string]string{"TABLEAU_MCP_PUBLIC_URL": "https://m.example.com/mcp?x=1", "TABLEAU_MCP_AUTHORIZATION_SERVER": "https://a.example.com"}, "--public-url"},
	}
	for _, c := range cases {
		cfg := oauthConfig(t, c.env)
		_, err := cfg.jwtConfig()
		if err == nil {
			_, err = cfg.protectedResource()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
	}
}

// TestDemoOAuthLetsAClientSignIn runs the binary with --demo-oauth and signs
// in with mcp-go's OAuth client, knowing only the URL it printed.
func TestDemoOAuthLetsAClientSignIn(t *testing.T) {
	addr := freeAddr(t)
	cmd := exec.Command(binary, "--demo-oauth", "--listen", addr)
	cmd.Env = cleanEnv()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "the server to listen", func() bool { return strings.Contains(stderr.String(), "serving MCP over HTTP") })
	m := regexp.MustCompile(`MCP server URL +(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil || m[1] != "http://"+addr+"/mcp" {
		t.Fatalf("no MCP server URL printed:\n%s", stderr.String())
	}
	mcpURL := m[1]

	c, err := client.NewOAuthStreamableHttpClient(mcpURL, client.OAuthConfig{RedirectURI: "http://127.0.0.1:1/cb", Scopes: []string{"tableau:read"},
		TokenStore: client.NewMemoryTokenStore(), PKCEEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	c.Start(ctx)
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "demo-oauth-test", Version: "1"}
	_, err = c.Initialize(ctx, req)
	h := client.GetOAuthHandler(err)
	if h == nil {
		t.Fatalf("initialize without a token: %v", err)
	}
	if err := h.RegisterClient(ctx, "demo-oauth-test"); err != nil {
		t.Fatal(err)
	}
	verifier, _ := client.GenerateCodeVerifier()
	state, _ := client.GenerateState()
	authURL, err := h.GetAuthorizationURL(ctx, state, client.GenerateCodeChallenge(verifier))
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, _ := url.Parse(resp.Header.Get("Location"))
	if err := h.ProcessAuthorizationResponse(ctx, back.Query().Get("code"), state, verifier); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "tableau_workbooks_list"}})
	if err != nil || res.IsError {
		t.Fatalf("%v %+v", err, res)
	}
	// The child's stderr arrives through a pipe: wait for the access log.
	waitFor(t, "the access log to name the token's user", func() bool { return strings.Contains(stderr.String(), `"identity":"demo-user"`) })
	// --demo-oauth signs anyone in: never on another interface.
	var out, errb bytes.Buffer
	if err := run([]string{"--demo-oauth", "--listen", "0.0.0.0:0"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--demo-oauth on 0.0.0.0: %v", err)
	}
}
