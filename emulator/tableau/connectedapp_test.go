package tableauemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// handJWT builds a JWT by hand (base64url JSON, HMAC-SHA256), independent of
// any JWT library, so that the emulator is checked against the format itself.
func handJWT(t *testing.T, header, claims map[string]any, secret string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(header) + "." + enc(claims)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var jtiSeq int

// directTrust returns the header and claims of a JWT as Tableau's connected
// app documentation describes it, for user with scopes, expiring in 5 min.
func directTrust(app ConnectedApp, user string, scopes ...string) (map[string]any, map[string]any) {
	jtiSeq++
	now := time.Now()
	return map[string]any{"alg": "HS256", "typ": "JWT", "kid": app.SecretID, "iss": app.ClientID},
		map[string]any{"iss": app.ClientID, "sub": user, "aud": "tableau", "exp": now.Add(5 * time.Minute).Unix(),
			"iat": now.Add(-5 * time.Second).Unix(), "jti": fmt.Sprintf("jti-%d-%d", now.UnixNano(), jtiSeq), "scp": scopes}
}

func jwtBody(tok, site string) map[string]any {
	return map[string]any{"credentials": map[string]any{"jwt": tok, "site": map[string]any{"contentUrl": site}}}
}

func TestConnectedAppSignInAndScopes(t *testing.T) {
	e, srv := startEmu(t, Config{})
	app := e.DefaultConnectedApp()
	if app.ClientID == "" || app.SecretID == "" || len(app.SecretValue) < 32 || app.SiteContentURL != "demo" {
		t.Fatalf("DefaultConnectedApp %+v", app)
	}
	c := newClient(t, srv)
	h, cl := directTrust(app, "admin@example.com", "tableau:content:read")
	a := c.do("POST", "auth/signin", jwtBody(handJWT(t, h, cl, app.SecretValue), "demo"))
	wantStatus(t, a, 200)
	admin, _ := e.UserIDByName("demo", "admin@example.com")
	if a.str("credentials", "user", "id") != admin || a.str("credentials", "token") == "" || a.str("credentials", "site", "contentUrl") != "demo" {
		t.Fatalf("credentials: %s", a.raw)
	}
	c.token, c.siteID = a.str("credentials", "token"), a.str("credentials", "site", "id")

	// tableau:content:read reads content, and nothing else.
	wantStatus(t, c.do("GET", c.site("workbooks"), nil), 200)
	wantStatus(t, c.do("GET", c.site("projects"), nil), 200)
	wantError(t, c.do("GET", c.site("users"), nil), 403, "403157")
	wb := c.do("GET", c.site("workbooks"), nil).str("workbooks", "workbook", 0, "id")
	wantError(t, c.do("DELETE", c.site("workbooks/"+wb), nil), 403, "403157")
	wantError(t, c.do("GET", c.site("workbooks/"+wb+"/content"), nil), 403, "403157")

	// A second session for the same user, with a wildcard: both stay live.
	h, cl = directTrust(app, "admin@example.com", "tableau:users:*", "tableau:content:read")
	b := c.do("POST", "auth/signin", jwtBody(handJWT(t, h, cl, app.SecretValue), "demo"))
	wantStatus(t, b, 200)
	second := *c
	second.token = b.str("credentials", "token")
	wantStatus(t, second.do("GET", second.site("users"), nil), 200)
	wantStatus(t, c.do("GET", c.site("workbooks"), nil), 200)
	// A PAT sign-in does not end JWT sessions either.
	newClient(t, srv).signIn(e.DefaultPAT())
	wantStatus(t, c.do("GET", c.site("workbooks"), nil), 200)

	if st := e.Stats(); st.JWTSignIns != 2 || st.SignInsByUser["admin@example.com"] != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConnectedAppRefusals checks each rule of a Direct Trust JWT with
// Tableau's sign-in error (401 / 401001) and the connected-app code.
func TestConnectedAppRefusals(t *testing.T) {
	e, srv := startEmu(t, Config{})
	app := e.DefaultConnectedApp()
	c := newClient(t, srv)
	type edit func(h, cl map[string]any) string
	cases := []struct {
		name, code string
		edit       edit
	}{
		{"unknown user", "SYSTEM_USER_NOT_FOUND", func(h, cl map[string]any) string { cl["sub"] = "nobody@example.com"; return "" }},
		{"user name in another case", "SYSTEM_USER_NOT_FOUND", func(h, cl map[string]any) string { cl["sub"] = "Admin@Example.com"; return "" }},
		{"exp more than 10 minutes ahead", "LOGIN_FAILED", func(h, cl map[string]any) string {
			cl["exp"] = time.Now().Add(11 * time.Minute).Unix()
			return ""
		}},
		{"expired", "INVALID_JWT", func(h, cl map[string]any) string { cl["exp"] = time.Now().Add(-time.Minute).Unix(); return "" }},
		{"wrong audience", "INVALID_JWT", func(h, cl map[string]any) string { cl["aud"] = "tableau-server"; return "" }},
		{"wrong secret", "INVALID_JWT", func(h, cl map[string]any) string { return strings.Repeat("x", 40) }},
		{"unknown kid", "COULD_NOT_FETCH_JWT_KEYS", func(h, cl map[string]any) string { h["kid"] = "no-such-secret"; return "" }},
		{"no kid", "BAD_JWT", func(h, cl map[string]any) string { delete(h, "kid"); return "" }},
		{"wrong iss", "COULD_NOT_RETRIEVE_IDP_METADATA", func(h, cl map[string]any) string {
			delete(h, "iss")
			cl["iss"] = "other-client"
			return ""
		}},
		{"no jti", "MISSING_REQUIRED_JWT_CLAIM", func(h, cl map[string]any) string { delete(cl, "jti"); return "" }},
		{"scp as a string", "BAD_JWT", func(h, cl map[string]any) string { cl["scp"] = "tableau:content:read"; return "" }},
		{"HS512", "INVALID_JWT", func(h, cl map[string]any) string { h["alg"] = "HS512"; return "" }},
	}
	for _, tc := range cases {
		h, cl := directTrust(app, "admin@example.com", "tableau:content:read")
		secret := app.SecretValue
		if s := tc.edit(h, cl); s != "" {
			secret = s
		}
		a := c.do("POST", "auth/signin", jwtBody(handJWT(t, h, cl, secret), "demo"))
		wantError(t, a, 401, "401001")
		if d := a.str("error", "detail"); !strings.Contains(d, tc.code) {
			t.Errorf("%s: detail %q lacks %s", tc.name, d, tc.code)
		}
	}
	// A jti is good for one sign-in only.
	h, cl := directTrust(app, "admin@example.com", "tableau:content:read")
	tok := handJWT(t, h, cl, app.SecretValue)
	wantStatus(t, c.do("POST", "auth/signin", jwtBody(tok, "demo")), 200)
	wantError(t, c.do("POST", "auth/signin", jwtBody(tok, "demo")), 401, "401001")
	// The app belongs to the demo site only.
	h, cl = directTrust(app, "admin@example.com", "tableau:content:read")
	wantError(t, c.do("POST", "auth/signin", jwtBody(handJWT(t, h, cl, app.SecretValue), "")), 401, "401001")
	if st := e.Stats(); st.JWTSignIns != 1 {
		t.Fatalf("%d JWT sign-ins, want 1", st.JWTSignIns)
	}
}

// TestRouteScopesFollowTheReference checks the scope of routes against the
// connected-app scope reference: content GETs share tableau:content:read,
// exports need tableau:views:download, downloads their own scope.
func TestRouteScopesFollowTheReference(t *testing.T) {
	want := map[string]string{
		"GET sites/{site}/workbooks":                           "tableau:content:read",
		"GET sites/{site}/workbooks/{id}":                      "tableau:content:read",
		"GET sites/{site}/views":                               "tableau:content:read",
		"GET sites/{site}/datasources/{id}":                    "tableau:content:read",
		"GET sites/{site}/projects":                            "tableau:content:read",
		"GET sites":                                            "tableau:content:read",
		"GET sites/{site}/views/{id}/image":                    "tableau:views:download",
		"GET sites/{site}/views/{id}/pdf":                      "tableau:views:download",
		"GET sites/{site}/views/{id}/data":                     "tableau:views:download",
		"GET sites/{site}/views/{id}/crosstab/excel":           "tableau:views:download",
		"GET sites/{site}/workbooks/{id}/content":              "tableau:workbooks:download",
		"GET sites/{site}/users":                               "tableau:users:read",
		"GET sites/{site}/groups":                              "tableau:groups:read",
		"GET sites/{site}/jobs":                                "tableau:jobs:read",
		"GET sites/{site}/tasks/extractRefreshes":              "tableau:tasks:read",
		"PUT sites/{site}/datasources/{id}":                    "tableau:datasources:update",
		"DELETE sites/{site}/tasks/extractRefreshes/{id}":      "tableau:tasks:delete",
		"POST sites/{site}/tasks/extractRefreshes/{id}/runNow": "tableau:tasks:run",
	}
	for _, rt := range routes.Get() {
		if w, ok := want[rt.method+" "+rt.pattern]; ok {
			if rt.scope != w {
				t.Errorf("%s %s needs %q, want %q", rt.method, rt.pattern, rt.scope, w)
			}
			delete(want, rt.method+" "+rt.pattern)
		}
		if !rt.public && rt.scope == "" && rt.pattern != "auth/signout" && rt.pattern != "sessions/current" {
			t.Errorf("%s %s has no scope", rt.method, rt.pattern)
		}
	}
	for k := range want {
		t.Errorf("no route %s", k)
	}
}
