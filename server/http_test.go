package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/auth"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

const callBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{}}}`
const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

func post(t *testing.T, url, body string, headers map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	b := newSpy(t)
	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Transport: tr, Auth: tokenAuth(t)})
			endpoint := s.URL + "/mcp"
			if tr == "sse" {
				endpoint = s.URL + "/sse"
				resp := get(t, endpoint, nil)
				resp.Body.Close()
				if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("GET /sse without credentials: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
				}
				endpoint = s.URL + "/message?sessionId=x"
			}
			for name, h := range map[string]map[string]string{
				"none":      nil,
				"bad token": bearer("not-a-known-token-at-all"),
				"basic":     {"Authorization": "Basic YWxpY2U6cHc="},
			} {
				for _, body := range []string{initBody, callBody} {
					resp := post(t, endpoint, body, h)
					if resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
					}
					if wa := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, `Bearer realm="tableau-mcp"`) || (name != "none") != strings.Contains(wa, "invalid_token") {
						t.Errorf("%s: WWW-Authenticate %q", name, wa)
					}
				}
			}
			if _, err := s.connect(t, tr, bearer("not-a-known-token-at-all")); err == nil {
				t.Error("an MCP client with a bad token started a session")
			}
			if ids := b.identities(); len(ids) != 0 {
				t.Errorf("tools ran for unauthenticated requests: %v", ids)
			}
		})
	}
}

func TestNoAuthenticationIsRefusedUnlessLoopbackNoAuth(t *testing.T) {
	s, _ := server.New(server.Options{Backend: newSpy(t)})
	err := server.ServeHTTP(t.Context(), s, server.HTTPOptions{Listen: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "--auth-file") {
		t.Errorf("serving without authentication: %v", err)
	}
	err = server.ServeHTTP(t.Context(), s, server.HTTPOptions{Listen: "0.0.0.0:0", NoAuth: true})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("--no-auth on all interfaces: %v", err)
	}
	// On loopback --no-auth serves, and tools act for nobody.
	b := newSpy(t)
	srv := serve(t, server.Options{Backend: b}, server.HTTPOptions{NoAuth: true})
	sess, err := srv.connect(t, "http", nil)
	if err != nil {
		t.Fatal(err)
	}
	sess.OK("tableau_workbooks_list", nil)
	if ids := b.identities(); len(ids) != 1 || ids[0] != "" {
		t.Errorf("identities %q", ids)
	}
	// With a configured identity (SCALEKIT_IDENTIFIER), tools act for it.
	b = newSpy(t)
	srv = serve(t, server.Options{Backend: b}, server.HTTPOptions{NoAuth: true, NoAuthIdentity: "user_123"})
	if sess, err = srv.connect(t, "http", nil); err != nil {
		t.Fatal(err)
	}
	sess.OK("tableau_workbooks_list", nil)
	if ids := b.identities(); len(ids) != 1 || ids[0] != "user_123" {
		t.Errorf("identities %q, want user_123", ids)
	}
}

func TestTokenMapsToItsIdentifier(t *testing.T) {
	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			b := newSpy(t)
			s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Transport: tr, Auth: tokenAuth(t)})
			for tok, want := range map[string]string{aliceToken: "alice", bobToken: "bob"} {
				sess, err := s.connect(t, tr, bearer(tok))
				if err != nil {
					t.Fatal(err)
				}
				before := len(b.identities())
				sess.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
				ids := b.identities()[before:]
				if len(ids) != 1 || ids[0] != want {
					t.Errorf("token of %s: calls acted for %q", want, ids)
				}
			}
		})
	}
}

func TestIdentityCannotBeChosenThroughArgumentsOrHeaders(t *testing.T) {
	b := newSpy(t)
	th, err := auth.NewTrustedHeader("X-User", gwSecret)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Auth: auth.Chain(th, tokenAuth(t))})

	// Arguments: no tool has a parameter for it, and the call acts for the token's owner.
	alice, err := s.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"identifier", "identity", "user", "scalekit_identifier"} {
		alice.Fail("tableau_workbooks_list", map[string]any{p: "bob"}, "has no parameter "+`"`+p+`"`)
	}
	alice.OK("tableau_workbooks_list", map[string]any{"page_size": 1})

	// The identity header without the shared secret is refused, with or without a valid token.
	for name, h := range map[string]map[string]string{
		"header alone":         {"X-User": "bob"},
		"header and token":     {"X-User": "bob", "Authorization": "Bearer " + aliceToken},
		"header, wrong secret": {"X-User": "bob", auth.GatewaySecretHeader: gwSecret + "x"},
	} {
		if resp := post(t, s.URL+"/mcp", initBody, h); resp.StatusCode != 401 {
			t.Errorf("%s: status %d, want 401", name, resp.StatusCode)
		}
		if _, err := s.connect(t, "http", h); err == nil {
			t.Errorf("%s: a session started", name)
		}
	}
	// With the secret, the gateway's header names the caller.
	gw, err := s.connect(t, "http", map[string]string{"X-User": "carol", auth.GatewaySecretHeader: gwSecret})
	if err != nil {
		t.Fatal(err)
	}
	gw.OK("tableau_workbooks_list", map[string]any{"page_size": 1})

	if ids := b.identities(); !slices.Equal(ids, []string{"alice", "carol"}) {
		t.Errorf("calls acted for %q, want alice then carol", ids)
	}

	// Without a trusted header configured, such a header is no credential at all.
	b2 := newSpy(t)
	s2 := serve(t, server.Options{Backend: b2}, server.HTTPOptions{Auth: tokenAuth(t)})
	sess, err := s2.connect(t, "http", map[string]string{"X-User": "bob", "X-Forwarded-User": "bob", "Authorization": "Bearer " + aliceToken})
	if err != nil {
		t.Fatal(err)
	}
	sess.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
	if ids := b2.identities(); !slices.Equal(ids, []string{"alice"}) {
		t.Errorf("identity headers changed the caller: %q", ids)
	}
}

// openSSE opens the SSE stream and returns the message endpoint it announces.
func openSSE(t *testing.T, base string, headers map[string]string) (endpoint string, body io.Closer) {
	t.Helper()
	resp := get(t, base+"/sse", headers)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /sse: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			return base + strings.TrimSpace(data), resp.Body
		}
	}
	t.Fatal("no endpoint event")
	return "", nil
}

func TestSSESessionCannotBeUsedWithOtherCredentials(t *testing.T) {
	b := newSpy(t)
	s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Transport: "sse", Auth: tokenAuth(t)})
	endpoint, stream := openSSE(t, s.URL, bearer(aliceToken))
	defer stream.Close()
	if !strings.Contains(endpoint, "sessionId=") {
		t.Fatalf("endpoint %q", endpoint)
	}
	if resp := post(t, endpoint, initBody, bearer(bobToken)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob posting to alice's session: %d, want 403", resp.StatusCode)
	}
	if resp := post(t, endpoint, callBody, bearer(bobToken)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob calling a tool in alice's session: %d, want 403", resp.StatusCode)
	}
	if resp := post(t, endpoint, initBody, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no credentials on alice's session: %d, want 401", resp.StatusCode)
	}
	if resp := post(t, endpoint, initBody, bearer(aliceToken)); resp.StatusCode != http.StatusAccepted {
		t.Errorf("alice on her own session: %d, want 202", resp.StatusCode)
	}
	if ids := b.identities(); len(ids) != 0 {
		t.Errorf("tools ran: %v", ids)
	}
}

func TestStreamableSessionCannotBeUsedWithOtherCredentials(t *testing.T) {
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t)})
	tr, err := transport.NewStreamableHTTP(s.URL+"/mcp", transport.WithHTTPHeaders(bearer(aliceToken)))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := startSession(t, client.NewClient(tr, client.WithLegacyProtocolOnly()))
	if err != nil {
		t.Fatal(err)
	}
	sid := tr.GetSessionId()
	if sid == "" {
		t.Fatal("no session ID in the legacy protocol")
	}
	sess.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
	h := bearer(bobToken)
	h["Mcp-Session-Id"] = sid
	h["Mcp-Protocol-Version"] = "2025-06-18"
	if resp := post(t, s.URL+"/mcp", callBody, h); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob using alice's session: %d, want 403", resp.StatusCode)
	}
	h = bearer(aliceToken)
	h["Mcp-Session-Id"] = "mcp-session-00000000-0000-4000-8000-000000000000"
	h["Mcp-Protocol-Version"] = "2025-06-18"
	if resp := post(t, s.URL+"/mcp", callBody, h); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up session: %d, want 404", resp.StatusCode)
	}
}

// TestStreamGetWithoutSessionAnswersAtOnce: a GET /mcp for the event
// stream without a session gets 400 and its reason, not a stream that never
// carries anything. (The client's timeout only keeps a regression from
// hanging the suite.)
func TestStreamGetWithoutSessionAnswersAtOnce(t *testing.T) {
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t)})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/mcp", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Mcp-Session-Id") {
		t.Errorf("GET /mcp without a session: %d %q, want 400 naming Mcp-Session-Id", resp.StatusCode, body)
	}
}

func TestOriginAndHostAreChecked(t *testing.T) {
	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Transport: tr, Auth: tokenAuth(t)})
			path := "/mcp"
			if tr == "sse" {
				path = "/sse"
			}
			h := bearer(aliceToken)
			h["Origin"] = "http://evil.example"
			if resp := get(t, s.URL+path, h); resp.StatusCode != http.StatusForbidden {
				t.Errorf("foreign Origin: %d, want 403", resp.StatusCode)
			}
			// DNS rebinding: a loopback listener reached under another name.
			h = bearer(aliceToken)
			h["Host"] = "evil.example"
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
			req.Host = "evil.example"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("foreign Host on loopback: %d, want 403", resp.StatusCode)
			}
			// CORS is off by default: no Access-Control header, even on SSE.
			if tr == "sse" {
				resp := get(t, s.URL+path, bearer(aliceToken))
				resp.Body.Close()
				if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
					t.Errorf("Access-Control-Allow-Origin %q without configured origins", v)
				}
			} else {
				resp := postResp(t, s.URL+path, initBody, bearer(aliceToken))
				if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" || resp.StatusCode != 200 {
					t.Errorf("status %d, Access-Control-Allow-Origin %q without configured origins", resp.StatusCode, v)
				}
			}
		})
	}
	// Configured origins and hosts.
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t), AllowedOrigins: []string{"https://app.example"}, AllowedHosts: []string{"mcp.internal", "127.0.0.1"}})
	h := bearer(aliceToken)
	h["Origin"] = "https://app.example"
	resp := postResp(t, s.URL+"/mcp", initBody, h)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("allowed origin: %d, %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/mcp", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.StatusCode != 204 || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.StatusCode, pre.Header)
	}
	h["Origin"] = "https://app.example.evil"
	if resp := post(t, s.URL+"/mcp", initBody, h); resp.StatusCode != 403 {
		t.Errorf("look-alike origin: %d", resp.StatusCode)
	}
	for host, want := range map[string]int{"mcp.internal": 200, "mcp.internal:443": 200, "other.internal": 403} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func postResp(t *testing.T, url, body string, headers map[string]string) *http.Response {
	t.Helper()
	return post(t, url, body, headers)
}

func TestRequestBodiesAreBounded(t *testing.T) {
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t), MaxBodyBytes: 1 << 10})
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"tableau_workbook_search","arguments":{"name":"` + strings.Repeat("x", 2000) + `"}}}`
	if resp := post(t, s.URL+"/mcp", big, bearer(aliceToken)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 KB body with a 1 KB limit: %d, want 413", resp.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t), Ready: func(ctx context.Context) error { return errors.New("backend down") }})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/metrics": 404, "/nope": 404} {
		resp := get(t, s.URL+path, nil)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	_ = mcp.LATEST_PROTOCOL_VERSION
	_ = Text
}

// A gateway header the caller could have added beside the gateway's own, or
// one holding control characters, is refused with 401; so is a doubled
// Authorization header.
func TestDoubledOrControlGatewayHeadersAreRefused(t *testing.T) {
	b := newSpy(t)
	th, err := auth.NewTrustedHeader("X-User", gwSecret)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, server.Options{Backend: b}, server.HTTPOptions{Auth: auth.Chain(th, tokenAuth(t))})
	send := func(lines [][2]string) int {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/mcp", strings.NewReader(initBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for _, l := range lines {
			req.Header[l[0]] = append(req.Header[l[0]], l[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, lines := range map[string][][2]string{
		"identity twice":             {{"X-User", "mallory"}, {"X-User", "alice"}, {auth.GatewaySecretHeader, gwSecret}},
		"identity twice, other case": {{"X-User", "mallory"}, {"x-user", "alice"}, {auth.GatewaySecretHeader, gwSecret}},
		"secret twice":               {{"X-User", "alice"}, {auth.GatewaySecretHeader, gwSecret}, {auth.GatewaySecretHeader, gwSecret}},
		"tab in identity":            {{"X-User", "ali\tce"}, {auth.GatewaySecretHeader, gwSecret}},
		"C1 control in identity":     {{"X-User", "ali\u0085ce"}, {auth.GatewaySecretHeader, gwSecret}},
		"authorization twice":        {{"Authorization", "Bearer " + bobToken}, {"Authorization", "Bearer " + aliceToken}},
	} {
		if code := send(lines); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, code)
		}
	}
	if code := send([][2]string{{"X-User", "alice"}, {auth.GatewaySecretHeader, gwSecret}}); code != http.StatusOK {
		t.Errorf("one identity header with the secret: status %d, want 200", code)
	}
	if ids := b.identities(); len(ids) != 0 {
		t.Errorf("tools ran for %q", ids)
	}
}

// On a loopback listener the local user's own pages may call (any port,
// http or https); other origins still need --allowed-origins.
func TestLoopbackOriginsOnALoopbackListener(t *testing.T) {
	s := serve(t, server.Options{Backend: newSpy(t)}, server.HTTPOptions{Auth: tokenAuth(t), AllowedOrigins: []string{"https://app.example"}})
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for origin, want := range map[string]int{
		"http://localhost:" + port: 200, "http://localhost": 200, "https://localhost:8443": 200,
		"http://127.0.0.1:" + port: 200, "https://127.0.0.1": 200, "http://[::1]:3000": 200, "https://[::1]": 200,
		"https://app.example": 200,
		"http://evil.example": 403, "http://localhost.evil.example": 403, "http://localhost@evil.example": 403,
		"null": 403, "file://localhost": 403, "ws://localhost": 403, "http://10.0.0.1": 403,
	} {
		h := bearer(aliceToken)
		h["Origin"] = origin
		resp := postResp(t, s.URL+"/mcp", initBody, h)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Origin %s: %d, want %d", origin, resp.StatusCode, want)
		}
		if want == 200 && resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q", origin, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}
