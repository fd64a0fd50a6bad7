// Package oauthemu is an OAuth 2.1 authorization server for tests and demos
// of tableau-mcp as a protected resource. It publishes its metadata
// (RFC 8414 and OpenID Connect discovery), registers clients dynamically
// (RFC 7591), runs the authorization code grant with PKCE S256 (consent is
// given at once for one configured user), issues RS256 JWT access tokens
// whose audience is the requested resource (RFC 8707), rotates refresh
// tokens, and publishes its signing key (JWKS). It is written from those
// RFCs, not from this project's resource server, so that tests of one check
// the other.
package oauthemu

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tableau-mcp/tableau-mcp/internal/jose"
)

// Config sets up a Server.
type Config struct {
	// Subject is the user who signs in (the sub of every token); Email, when
	// set, goes into the tokens too.
	Subject, Email string
	// Scopes are the scopes the server knows (scopes_supported); a request
	// for another one is refused with invalid_scope. Default: tableau:read,
	// tableau:write, tableau:delete.
	Scopes []string
	// DefaultScope is granted when a client asks for none (default: the
	// first of Scopes).
	DefaultScope string
	// Audience goes into tokens requested without a resource parameter.
	Audience string
	// Prefix is the path of the issuer on its host (e.g. /resources/res_1):
	// the endpoints live under it and the metadata at the well-known path
	// with it appended. Default: none.
	Prefix string
	// Issuer, when set, is the iss of the tokens instead of the server's
	// URL with Prefix (some providers sign with their environment's URL).
	Issuer string
	// JWKSPath is where the key set is published (default Prefix+"/jwks").
	JWKSPath string
	// TokenTTL is the lifetime of access tokens (default 1h).
	TokenTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the authorization server. It is an http.Handler; Listen serves
// it on a loopback port.
type Server struct {
	cfg Config
	key *rsa.PrivateKey
	kid string
	url string
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	clients  map[string]*client
	codes    map[string]*grant
	refresh  map[string]*grant
	issued   int
	requests []string
}

type client struct {
	id, secret   string
	redirectURIs []string
	authMethod   string
	name         string
}

// grant is what an authorization code or refresh token stands for.
type grant struct {
	clientID, redirectURI, challenge, resource string
	scopes                                     []string
	expires                                    time.Time
}

// New makes a Server; it has no URL until Listen or SetURL.
func New(cfg Config) (*Server, error) {
	if cfg.Subject == "" {
		return nil, errors.New("oauth emulator: Config.Subject (the user who signs in) is needed")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"tableau:read", "tableau:write", "tableau:delete"}
	}
	if cfg.DefaultScope == "" {
		cfg.DefaultScope = cfg.Scopes[0]
	}
	cfg.Prefix = strings.TrimRight(cfg.Prefix, "/")
	if cfg.JWKSPath == "" {
		cfg.JWKSPath = cfg.Prefix + "/jwks"
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, key: key, kid: "k-" + random(6),
		clients: map[string]*client{}, codes: map[string]*grant{}, refresh: map[string]*grant{}}, nil
}

// Listen serves the Server on addr (such as 127.0.0.1:0) until Close.
func Listen(cfg Config, addr string) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.SetURL("http://" + ln.Addr().String())
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops a Server started by Listen.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// SetURL tells the Server its base URL (scheme://host:port), when it is
// served some other way than Listen.
func (s *Server) SetURL(base string) { s.url = strings.TrimRight(base, "/") }

// SetIssuer sets the iss of the tokens (as Config.Issuer), for a server
// whose URL is known only once it listens.
func (s *Server) SetIssuer(iss string) { s.cfg.Issuer = iss }

// URL is the authorization server's identifier: its base URL with Prefix.
// MCP servers list it in authorization_servers.
func (s *Server) URL() string { return s.url + s.cfg.Prefix }

// JWKSURL is where the signing key is published.
func (s *Server) JWKSURL() string { return s.url + s.cfg.JWKSPath }

// Issuer is the iss of the tokens.
func (s *Server) Issuer() string {
	if s.cfg.Issuer != "" {
		return s.cfg.Issuer
	}
	return s.URL()
}

// Clients counts the clients registered so far.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Issued counts the access tokens issued by the token endpoint.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Requests lists "METHOD path" of every request received, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Token mints an access token directly, as the token endpoint would: for
// tests of the resource server's checks. Claims given override the usual
// ones (iss, sub, aud, exp, iat, scope, client_id, jti); a nil value
// removes one.
func (s *Server) Token(claims map[string]any) (string, error) {
	now := s.cfg.Now()
	c := map[string]any{
		"iss": s.Issuer(), "sub": s.cfg.Subject, "aud": s.cfg.Audience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(s.cfg.TokenTTL).Unix(),
		"scope": s.cfg.DefaultScope, "jti": "tkn_" + random(9),
	}
	if s.cfg.Email != "" {
		c["email"] = s.cfg.Email
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return s.sign(c)
}

func (s *Server) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	// RFC 9068: an access token's typ is at+jwt.
	return jose.Sign(jose.RS256, s.key, map[string]any{"typ": "at+jwt", "kid": s.kid}, payload)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if len(s.requests) < 10000 {
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	}
	s.mu.Unlock()
	// Browser-based clients (such as the MCP Inspector) call from their
	// own origin; nothing here rests on cookies.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	p, pre := r.URL.Path, s.cfg.Prefix
	switch {
	case p == "/.well-known/oauth-authorization-server"+pre, p == "/.well-known/openid-configuration"+pre,
		pre != "" && p == pre+"/.well-known/openid-configuration":
		s.metadata(w, r)
	case p == s.cfg.JWKSPath:
		s.jwks(w, r)
	case p == pre+"/register":
		s.register(w, r)
	case p == pre+"/authorize":
		s.authorize(w, r)
	case p == pre+"/token":
		s.token(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	base := s.URL()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"registration_endpoint":                 base + "/register",
		"jwks_uri":                              s.JWKSURL(),
		"scopes_supported":                      s.cfg.Scopes,
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_post", "client_secret_basic"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.KeySet{Keys: []jose.JWK{
		{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// register is dynamic client registration (RFC 7591 §3).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "register with POST")
		return
	}
	var m struct {
		RedirectURIs []string `json:"redirect_uris"`
		AuthMethod   string   `json:"token_endpoint_auth_method"`
		ClientName   string   `json:"client_name"`
		GrantTypes   []string `json:"grant_types"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&m); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "the body is not JSON client metadata")
		return
	}
	if len(m.RedirectURIs) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "redirect_uris is required")
		return
	}
	for _, u := range m.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || p.Fragment != "" || p.Host == "" || (p.Scheme != "https" && !(p.Scheme == "http" && isLoopbackHost(p.Hostname()))) {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "redirect URIs must be https, or http on a loopback host, without fragment: "+u)
			return
		}
	}
	switch m.AuthMethod {
	case "":
		m.AuthMethod = "client_secret_basic" // RFC 7591 §2 default
	case "none", "client_secret_post", "client_secret_basic":
	default:
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "unsupported token_endpoint_auth_method "+m.AuthMethod)
		return
	}
	c := &client{id: "client_" + random(9), redirectURIs: m.RedirectURIs, authMethod: m.AuthMethod, name: m.ClientName}
	if m.AuthMethod != "none" {
		c.secret = random(24)
	}
	s.mu.Lock()
	if len(s.clients) >= 1000 {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "too many registered clients")
		return
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	out := map[string]any{
		"client_id": c.id, "client_id_issued_at": s.cfg.Now().Unix(), "redirect_uris": c.redirectURIs,
		"token_endpoint_auth_method": c.authMethod, "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "client_name": c.name,
	}
	if c.secret != "" {
		out["client_secret"] = c.secret
		out["client_secret_expires_at"] = 0
	}
	writeJSON(w, http.StatusCreated, out)
}

// authorize runs the authorization endpoint (OAuth 2.1 §4.1.1): the
// configured user consents at once, so the answer is the redirect.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	c := s.clients[q.Get("client_id")]
	s.mu.Unlock()
	// Until the client and its redirect URI are known good, errors are
	// shown here, never sent to an unchecked redirect (OAuth 2.1 §4.1.2.1).
	if c == nil {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" && len(c.redirectURIs) == 1 {
		redirect = c.redirectURIs[0]
	}
	if !slices.Contains(c.redirectURIs, redirect) {
		http.Error(w, "redirect_uri is not one the client registered", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		u, _ := url.Parse(redirect)
		v := u.Query()
		for k, vs := range params {
			v[k] = vs
		}
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		v.Set("iss", s.URL()) // RFC 9207
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) { back(url.Values{"error": {code}, "error_description": {desc}}) }
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
		return
	}
	resource := q.Get("resource")
	if resource != "" {
		if u, err := url.Parse(resource); err != nil || !u.IsAbs() || u.Fragment != "" {
			fail("invalid_target", "resource must be an absolute URI without fragment")
			return
		}
	}
	scopes, ok := s.scopes(q.Get("scope"))
	if !ok {
		fail("invalid_scope", "unknown scope; supported: "+strings.Join(s.cfg.Scopes, " "))
		return
	}
	code := random(24)
	s.mu.Lock()
	s.sweepLocked()
	s.codes[code] = &grant{clientID: c.id, redirectURI: redirect, challenge: q.Get("code_challenge"),
		resource: resource, scopes: scopes, expires: s.cfg.Now().Add(time.Minute)}
	s.mu.Unlock()
	back(url.Values{"code": {code}})
}

func (s *Server) scopes(raw string) ([]string, bool) {
	req := strings.Fields(raw)
	if len(req) == 0 {
		return []string{s.cfg.DefaultScope}, true
	}
	for _, sc := range req {
		if !slices.Contains(s.cfg.Scopes, sc) {
			return nil, false
		}
	}
	slices.Sort(req)
	return slices.Compact(req), true
}

func (s *Server) sweepLocked() {
	now := s.cfg.Now()
	for k, g := range s.codes {
		if now.After(g.expires) {
			delete(s.codes, k)
		}
	}
}

// token runs the token endpoint (OAuth 2.1 §3.2).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	c, ok := s.clientAuth(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauth"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	f := r.PostForm
	var g *grant
	switch f.Get("grant_type") {
	case "authorization_code":
		s.mu.Lock()
		g = s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // a code is used once, even when refused
		s.mu.Unlock()
		switch {
		case g == nil || s.cfg.Now().After(g.expires) || g.clientID != c.id:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
			return
		case f.Get("redirect_uri") != "" && f.Get("redirect_uri") != g.redirectURI:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		case !pkceMatches(f.Get("code_verifier"), g.challenge):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
	case "refresh_token":
		s.mu.Lock()
		g = s.refresh[f.Get("refresh_token")]
		delete(s.refresh, f.Get("refresh_token")) // rotated (OAuth 2.1 §4.3.1)
		s.mu.Unlock()
		if g == nil || g.clientID != c.id {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or used refresh token")
			return
		}
		if sc := f.Get("scope"); sc != "" {
			narrowed, ok := s.scopes(sc)
			if !ok || !subset(narrowed, g.scopes) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", "a refresh may only narrow the scopes granted")
				return
			}
			g = &grant{clientID: g.clientID, resource: g.resource, scopes: narrowed}
		}
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "authorization_code and refresh_token are supported")
		return
	}
	resource := g.resource
	if rr := f.Get("resource"); rr != "" {
		if resource != "" && rr != resource {
			oauthError(w, http.StatusBadRequest, "invalid_target", "resource differs from the one authorized")
			return
		}
		resource = rr
	}
	aud := resource
	if aud == "" {
		aud = s.cfg.Audience
	}
	claims := map[string]any{"aud": aud, "scope": strings.Join(g.scopes, " "), "client_id": c.id}
	if aud == "" {
		claims["aud"] = nil
	}
	at, err := s.Token(claims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	rt := random(32)
	s.mu.Lock()
	s.refresh[rt] = &grant{clientID: c.id, resource: resource, scopes: g.scopes}
	s.issued++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": at, "token_type": "Bearer", "expires_in": int(s.cfg.TokenTTL.Seconds()),
		"refresh_token": rt, "scope": strings.Join(g.scopes, " "),
	})
}

// clientAuth authenticates the client as it registered to.
func (s *Server) clientAuth(r *http.Request) (*client, bool) {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.mu.Lock()
	c := s.clients[id]
	s.mu.Unlock()
	if c == nil {
		return nil, false
	}
	if c.secret == "" {
		return c, secret == ""
	}
	return c, secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) == 1
}

func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// String describes the server for a person.
func (s *Server) String() string {
	return fmt.Sprintf("authorization server %s (user %s)", s.URL(), s.cfg.Subject)
}
