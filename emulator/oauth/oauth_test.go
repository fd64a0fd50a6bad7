package oauthemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// RFC 7636 Appendix B: the S256 challenge of its example verifier.
func TestPKCEMatchesTheRFCExample(t *testing.T) {
	if !pkceMatches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") {
		t.Error("the RFC 7636 example does not match")
	}
	if pkceMatches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") {
		t.Error("another verifier matches")
	}
}

func TestAuthorizationCodeFlowRefusesWhatTheRFCsForbid(t *testing.T) {
	s, err := Listen(Config{Subject: "usr_1", Prefix: "/resources/res_1"}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Metadata at the RFC 8414 path-inserted location, naming itself.
	resp, err := http.Get(strings.Replace(s.URL(), "/resources", "/.well-known/oauth-authorization-server/resources", 1))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md["issuer"] != s.URL() || md["registration_endpoint"] != s.URL()+"/register" {
		t.Fatalf("metadata %v", md)
	}
	resp, _ = http.Post(s.URL()+"/register", "application/json", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`))
	var reg map[string]any
	json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	if resp.StatusCode != 201 || reg["client_id"] == nil || reg["client_secret"] != nil {
		t.Fatalf("registration %d %v", resp.StatusCode, reg)
	}
	id := reg["client_id"].(string)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(q url.Values) *url.URL {
		resp, err := noFollow.Get(s.URL() + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(resp.Header.Get("Location"))
		return u
	}
	base := url.Values{"response_type": {"code"}, "client_id": {id}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "state": {"st"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}, "resource": {"http://127.0.0.1:1/mcp"}}
	plain := url.Values{}
	for k, v := range base {
		plain[k] = v
	}
	plain.Set("code_challenge_method", "plain")
	if u := authorize(plain); u.Query().Get("error") != "invalid_request" {
		t.Errorf("plain PKCE: %v", u)
	}
	u := authorize(base)
	code := u.Query().Get("code")
	if code == "" || u.Query().Get("state") != "st" {
		t.Fatalf("redirect %v", u)
	}
	token := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(s.URL()+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {id}, "redirect_uri": {"http://127.0.0.1:9/cb"},
		"code_verifier": {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}}
	st, tok := token(form)
	if st != 200 || tok["access_token"] == nil || tok["refresh_token"] == nil || tok["scope"] != "tableau:read" {
		t.Fatalf("token %d %v", st, tok)
	}
	if st, out := token(form); st != 400 || out["error"] != "invalid_grant" {
		t.Errorf("a code used twice: %d %v", st, out)
	}
	rt := tok["refresh_token"].(string)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {id}}
	if st, out := token(refresh); st != 200 || out["refresh_token"] == rt {
		t.Errorf("refresh: %d %v", st, out)
	}
	if st, out := token(refresh); st != 400 || out["error"] != "invalid_grant" {
		t.Errorf("a rotated refresh token used again: %d %v", st, out)
	}
}
