package tableau

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

const (
	appClientID = "0a1b2c3d-client"
	appSecretID = "9f8e7d6c-secret"
	appSecret   = "c2VjcmV0LXZhbHVlLW9mLXRoZS1jb25uZWN0ZWQtYXBw" // 44 characters, like Tableau's
)

// jwtFactServer is a Tableau written from the connected-app reference facts
// alone: it checks each JWT's signature with HMAC-SHA256 by hand, keeps
// every session (several per user may be live) and records the claims.
type jwtFactServer struct {
	mu       sync.Mutex
	bodies   []map[string]any
	headers  []map[string]any
	claims   []map[string]any
	sessions map[string]string // token -> user
	signIns  map[string]int
	calls    map[string]int // user -> calls
	probes   int
}

func newJWTFactServer() *jwtFactServer {
	return &jwtFactServer{sessions: map[string]string{}, signIns: map[string]int{}, calls: map[string]int{}}
}

func decodePart(s string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func (f *jwtFactServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, detail string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "summary": "Signin Error", "detail": detail}})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/serverinfo"):
		f.probes++
		io.WriteString(w, `{"serverInfo":{"productVersion":{"value":"2025.3.0","build":"x"},"restApiVersion":"3.27"}}`)
	case r.URL.Path == "/api/3.27/auth/signin":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.bodies = append(f.bodies, body)
		creds, _ := body["credentials"].(map[string]any)
		tok, _ := creds["jwt"].(string)
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			fail(401, "401001", "error 10083 BAD_JWT")
			return
		}
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		if !hmac.Equal(sig, mac.Sum(nil)) {
			fail(401, "401001", "error 10084 INVALID_JWT")
			return
		}
		h, err1 := decodePart(parts[0])
		cl, err2 := decodePart(parts[1])
		if err1 != nil || err2 != nil {
			fail(401, "401001", "error 10083 BAD_JWT")
			return
		}
		f.headers, f.claims = append(f.headers, h), append(f.claims, cl)
		user, _ := cl["sub"].(string)
		if user == "nobody" {
			fail(401, "401001", "Failed to sign in: error 5 SYSTEM_USER_NOT_FOUND")
			return
		}
		f.signIns[user]++
		token := fmt.Sprintf("tok-%s-%d", user, f.signIns[user])
		f.sessions[token] = user
		fmt.Fprintf(w, `{"credentials":{"site":{"id":%q,"contentUrl":"mysite"},"user":{"id":"u-%s"},"token":%q,"estimatedTimeToExpiration":"239:59:59"}}`, siteLUID, user, token)
	default:
		user, ok := f.sessions[r.Header.Get("X-Tableau-Auth")]
		if !ok {
			fail(401, "401002", "Invalid authentication credentials were provided.")
			return
		}
		if r.URL.Path == "/api/3.27/auth/signout" {
			delete(f.sessions, r.Header.Get("X-Tableau-Auth"))
			w.WriteHeader(204)
			return
		}
		f.calls[user]++
		fmt.Fprintf(w, `{"user":%q}`, user)
	}
}

func (f *jwtFactServer) expireAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions = map[string]string{}
}

func directClient(t *testing.T, f http.Handler, sub string, scopes ...string) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{ServerURL: srv.URL, Site: "mysite", Scopes: scopes,
		ConnectedApp: ConnectedApp{ClientID: appClientID, SecretID: appSecretID, SecretValue: appSecret, Sub: sub}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestConnectedAppJWTFollowsTheReference checks the sign-in request and the
// JWT against the Direct Trust facts: HS256 with kid = secret ID, iss =
// client ID, sub, aud "tableau", exp at most 10 minutes ahead, a unique jti
// and scp as a list.
func TestConnectedAppJWTFollowsTheReference(t *testing.T) {
	f := newJWTFactServer()
	c := directClient(t, f, "jane@example.com", "tableau:views:download", "tableau:content:read")
	ctx := context.Background()
	before := time.Now()
	if _, err := c.Invoke(ctx, backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(ctx, backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks"}}); err != nil {
		t.Fatal(err)
	}
	if len(f.claims) != 2 {
		t.Fatalf("%d sign-ins, want 2", len(f.claims))
	}
	creds := f.bodies[0]["credentials"].(map[string]any)
	if site := creds["site"].(map[string]any)["contentUrl"]; site != "mysite" || len(creds) != 2 {
		t.Errorf("sign-in credentials %v: want exactly jwt and site.contentUrl", creds)
	}
	h, cl := f.headers[0], f.claims[0]
	if h["alg"] != "HS256" || h["kid"] != appSecretID || h["typ"] != "JWT" {
		t.Errorf("header %v", h)
	}
	if cl["iss"] != appClientID || cl["sub"] != "jane@example.com" || cl["aud"] != "tableau" {
		t.Errorf("claims %v", cl)
	}
	exp := time.Unix(int64(cl["exp"].(float64)), 0)
	if !exp.After(before) || exp.Sub(before) > 10*time.Minute {
		t.Errorf("exp %v is not within 10 minutes of %v", exp, before)
	}
	if iat, ok := cl["iat"].(float64); ok && time.Unix(int64(iat), 0).After(time.Now()) {
		t.Errorf("iat %v is in the future", iat)
	}
	scp, ok := cl["scp"].([]any)
	if !ok || len(scp) != 2 || scp[0] != "tableau:content:read" || scp[1] != "tableau:views:download" {
		t.Errorf("scp %#v: want the list of configured scopes", cl["scp"])
	}
	j1, _ := cl["jti"].(string)
	j2, _ := f.claims[1]["jti"].(string)
	if !uuidV4.MatchString(j1) || j1 == j2 {
		t.Errorf("jti %q then %q: want a fresh UUID per token", j1, j2)
	}
}

// TestConnectedAppSessionPerCaller: with {identity}, each caller signs in as
// their own user once, however many calls run at once, and every call goes
// out with its own user's session.
func TestConnectedAppSessionPerCaller(t *testing.T) {
	f := newJWTFactServer()
	c := directClient(t, f, IdentitySub)
	users := []string{"ana@example.com", "ben@example.com", "cy@example.com"}
	var wg sync.WaitGroup
	errs := make(chan error, 90)
	for i := 0; i < 90; i++ {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			raw, err := c.Invoke(auth.WithIdentity(context.Background(), u), backend.Call{Request: backend.Request{Method: "GET", Path: "/projects"}})
			if err == nil && !strings.Contains(string(raw), u) {
				err = fmt.Errorf("call for %s answered as %s", u, raw)
			}
			if err != nil {
				errs <- err
			}
		}(users[i%3])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, u := range users {
		if f.signIns[u] != 1 || f.calls[u] != 30 {
			t.Errorf("%s: %d sign-ins and %d calls, want 1 and 30", u, f.signIns[u], f.calls[u])
		}
	}
	if c.SignIns() != 3 {
		t.Errorf("SignIns() = %d, want 3", c.SignIns())
	}
	// Tableau ends the sessions: each user signs in again once.
	f.expireAll()
	for _, u := range users {
		if _, err := c.Invoke(auth.WithIdentity(context.Background(), u), backend.Call{Request: backend.Request{Method: "GET", Path: "/projects"}}); err != nil {
			t.Fatal(err)
		}
	}
	if c.SignIns() != 6 || c.Renewals() != 3 {
		t.Errorf("after expiry: %d sign-ins, %d renewals; want 6 and 3", c.SignIns(), c.Renewals())
	}
	// No caller, no user to sign in as.
	_, err := c.Invoke(context.Background(), backend.Call{Request: backend.Request{Method: "GET", Path: "/projects"}})
	if !errors.Is(err, ErrNoCaller) {
		t.Errorf("call without a caller: %v", err)
	}
	// An unknown user gets Tableau's reason and what to check.
	_, err = c.Invoke(auth.WithIdentity(context.Background(), "nobody"), backend.Call{Request: backend.Request{Method: "GET", Path: "/projects"}})
	if err == nil || !strings.Contains(err.Error(), "SYSTEM_USER_NOT_FOUND") || !strings.Contains(err.Error(), "TABLEAU_JWT_SUB") || strings.Contains(err.Error(), appSecret) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestReadinessSignsInOnlyOnce: probes check that Tableau answers; they sign
// in only until the credentials have been accepted once.
func TestReadinessSignsInOnlyOnce(t *testing.T) {
	f := newJWTFactServer()
	c := directClient(t, f, "jane@example.com")
	for i := 0; i < 5; i++ {
		if err := c.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	f.expireAll() // e.g. another replica's PAT sign-in: probes must not sign in again
	for i := 0; i < 5; i++ {
		if err := c.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if f.signIns["jane@example.com"] != 1 || f.probes < 10 {
		t.Errorf("%d sign-ins and %d serverinfo probes over 10 probes; want 1 and at least 10", f.signIns["jane@example.com"], f.probes)
	}
	perCaller := directClient(t, newJWTFactServer(), IdentitySub)
	if err := perCaller.Ready(context.Background()); err != nil || perCaller.SignIns() != 0 {
		t.Errorf("{identity}: ready %v after %d sign-ins; want ready without signing in", err, perCaller.SignIns())
	}

	// A PAT shared by two clients (replicas): probes on both never sign in
	// after the first, so they do not end each other's session.
	pf := &factServer{}
	a, b := newTestClient(t, pf, ""), newTestClient(t, pf, "")
	for i := 0; i < 4; i++ {
		if err := a.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := b.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := pf.signIns.Load(); n != 2 {
		t.Errorf("two replicas probed 4 times each made %d sign-ins, want 2", n)
	}
}

// TestToolScopesCoverTheCatalogue: every tool has its scopes, and those the
// reference names are the ones used.
func TestToolScopesCoverTheCatalogue(t *testing.T) {
	var names []string
	for _, tool := range tools.All() {
		names = append(names, tool.Name)
		if _, ok := toolScopes.Get()[tool.Name]; !ok {
			t.Errorf("%s has no connected-app scopes", tool.Name)
		}
	}
	if len(toolScopes.Get()) != len(names) {
		t.Errorf("%d tools have scopes, the catalogue has %d", len(toolScopes.Get()), len(names))
	}
	facts := map[string][]string{
		"tableau_workbooks_list":    {"tableau:content:read"},
		"tableau_view_get":          {"tableau:content:read"},
		"tableau_view_image_get":    {"tableau:views:download"},
		"tableau_view_data_get":     {"tableau:views:download"},
		"tableau_workbook_download": {"tableau:workbooks:download"},
		"tableau_query_view":        {"tableau:content:read", "tableau:viz_data_service:read"},
		"tableau_users_list":        {"tableau:users:read"},
		"tableau_groups_list":       {"tableau:groups:read"},
		"tableau_jobs_list":         {"tableau:jobs:read"},
	}
	for tool, want := range facts {
		got, err := ToolScopes([]string{tool})
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: scopes %v (%v), want %v", tool, got, err, want)
		}
	}
	if _, err := ToolScopes([]string{"tableau_no_such_tool"}); err == nil {
		t.Error("an unknown tool got scopes")
	}
}

func TestConnectedAppConfigErrors(t *testing.T) {
	app := ConnectedApp{ClientID: appClientID, SecretID: appSecretID, SecretValue: appSecret, Sub: "jane"}
	for name, tc := range map[string]struct {
		cfg  Config
		want string
	}{
		"short secret":  {Config{ConnectedApp: ConnectedApp{ClientID: "c", SecretID: "s", SecretValue: "short", Sub: "u"}}, "TABLEAU_CONNECTED_APP_SECRET_VALUE"},
		"missing sub":   {Config{ConnectedApp: ConnectedApp{ClientID: "c", SecretID: "s", SecretValue: appSecret}}, "TABLEAU_JWT_SUB"},
		"PAT and app":   {Config{PATName: "p", PATSecret: "s", ConnectedApp: app}, "keep one way"},
		"other pattern": {Config{ConnectedApp: ConnectedApp{ClientID: "c", SecretID: "s", SecretValue: appSecret, Sub: "{email}"}}, "{identity}"},
	} {
		tc.cfg.ServerURL = "https://tableau.example.com"
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), appSecret) {
			t.Errorf("%s: %v, want a message naming %s", name, err, tc.want)
		}
	}
}
