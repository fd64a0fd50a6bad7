package scalekitemu

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults used when Config leaves a field empty.
const (
	DefaultTokenTTL   = 86399 * time.Second
	DefaultAPIVersion = "3.28"
	// maxRequestBody caps what the emulator accepts in one request body.
	maxRequestBody = 64 << 20
)

// Config sets up an Emulator.
type Config struct {
	// ClientID and ClientSecret are the only client credentials accepted by
	// POST /oauth/token.
	ClientID, ClientSecret string
	// TokenTTL is the lifetime (expires_in) of issued access tokens.
	TokenTTL time.Duration
	// TableauURL is the base URL of the Tableau server, e.g. http://127.0.0.1:PORT.
	// An account whose Domain starts with "http" uses its Domain instead.
	TableauURL string
	// APIVersion is the Tableau REST version used in Tableau paths.
	APIVersion string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// HTTPClient makes the calls to Tableau; a client without timeout when nil
	// (downloads through the proxy may be long).
	HTTPClient *http.Client
}

// Recorded is one request as the emulator received it, with the status it
// answered.
type Recorded struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int
}

type failure struct {
	pathContains string
	err          *apiError
}

// Emulator is the fake Scalekit environment. It is an http.Handler; serve
// it with httptest.NewServer. All methods are safe for concurrent use.
type Emulator struct {
	cfg    Config
	client *http.Client

	mu            sync.Mutex
	tokens        map[string]time.Time // access token -> expiry
	tokenRequests int
	requests      []Recorded
	failures      []failure
	accounts      []*account // in creation order
}

// New makes an Emulator with no connected accounts.
func New(cfg Config) *Emulator {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.TableauURL = strings.TrimRight(cfg.TableauURL, "/")
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	return &Emulator{cfg: cfg, client: client, tokens: map[string]time.Time{}}
}

// ExpireTokens makes every access token issued so far stale: calls with one
// answer 401 until the client fetches a new token.
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for t := range e.tokens {
		e.tokens[t] = time.Time{}
	}
}

// FailNext makes the next request whose path contains pathContains answer
// a Scalekit error with this HTTP status, details error_code and message
// (e.g. 429 RATE_LIMITED, 503 UNAVAILABLE). Calls queue up; each is used once.
func (e *Emulator) FailNext(pathContains string, status int, errorCode, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures = append(e.failures, failure{pathContains: pathContains, err: newError(status, errorCode, message)})
}

// Requests returns a copy of every request received so far, in order.
func (e *Emulator) Requests() []Recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Recorded, len(e.requests))
	for i, r := range e.requests {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (e *Emulator) ResetRequests() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = nil
}

// TokenRequests counts the requests received on POST /oauth/token,
// successful or not.
func (e *Emulator) TokenRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokenRequests
}

// recorder captures the status and records the request at the moment the
// status is written, so a client that has seen the answer's headers also
// finds the request in Requests().
type recorder struct {
	http.ResponseWriter
	onStatus func(int)
	wrote    bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.wrote = true
		r.onStatus(status)
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ServeHTTP answers one Scalekit API call.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Recorded{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     bytes.Clone(body),
	}
	rw := &recorder{ResponseWriter: w, onStatus: func(status int) {
		rec.Status = status
		e.mu.Lock()
		e.requests = append(e.requests, rec)
		e.mu.Unlock()
	}}
	defer func() {
		if !rw.wrote { // a handler that wrote nothing answered 200
			rw.WriteHeader(http.StatusOK)
		}
	}()
	if readErr != nil {
		writeError(rw, newError(http.StatusRequestEntityTooLarge, ErrCodeInvalidArgument, "request body too large or unreadable"))
		return
	}
	if r.URL.Path == "/oauth/token" {
		e.mu.Lock()
		e.tokenRequests++
		e.mu.Unlock()
	}
	if f := e.takeFailure(r.URL.Path); f != nil {
		writeError(rw, f)
		return
	}
	e.route(rw, r)
}

func (e *Emulator) takeFailure(path string) *apiError {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.failures {
		if strings.Contains(path, f.pathContains) {
			e.failures = append(e.failures[:i], e.failures[i+1:]...)
			return f.err
		}
	}
	return nil
}

func (e *Emulator) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == "/oauth/token" {
		e.handleToken(w, r)
		return
	}
	if err := e.checkBearer(r); err != nil {
		writeError(w, err)
		return
	}
	switch {
	case p == "/proxy" || strings.HasPrefix(p, "/proxy/"):
		e.handleProxy(w, r)
	case p == "/api/v1/execute_tool":
		if !allowMethod(w, r, http.MethodPost) {
			return
		}
		e.handleExecute(w, r)
	case p == "/api/v1/connected_accounts/auth":
		if !allowMethod(w, r, http.MethodGet) {
			return
		}
		e.handleAccountGet(w, r)
	case p == "/api/v1/connected_accounts":
		switch r.Method {
		case http.MethodGet:
			e.handleAccountList(w, r)
		case http.MethodPost:
			e.handleAccountUpsert(w, r, false)
		case http.MethodPut:
			e.handleAccountUpsert(w, r, true)
		default:
			allowMethod(w, r, http.MethodGet, http.MethodPost, http.MethodPut)
		}
	case p == "/api/v1/tools/scoped":
		if !allowMethod(w, r, http.MethodGet) {
			return
		}
		e.handleScopedTools(w, r)
	default:
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound, "Not Found"))
	}
}

func allowMethod(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, newError(http.StatusMethodNotAllowed, ErrCodeInvalidArgument, "Method Not Allowed"))
	return false
}

// --- access tokens ---

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{"invalid_request", "use POST"})
		return
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/x-www-form-urlencoded") {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the body must be application/x-www-form-urlencoded"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the form could not be parsed"})
		return
	}
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "grant_type is required"})
		return
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "only client_credentials is supported"})
		return
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok && id == "" && secret == "" {
		id, secret = bid, bsecret
	}
	if id == "" || subtle.ConstantTimeCompare([]byte(id), []byte(e.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(e.cfg.ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "client authentication failed"})
		return
	}
	tok := e.IssueToken()
	writeJSON(w, http.StatusOK, tokenAnswer{
		AccessToken: tok,
		TokenType:   "Bearer",
		ExpiresIn:   int64(e.cfg.TokenTTL / time.Second),
		Scope:       "openid",
	})
}

// IssueToken returns a fresh valid access token without an HTTP round trip
// (it is not counted by TokenRequests), for tests that do not exercise the
// token grant.
func (e *Emulator) IssueToken() string {
	tok := randomToken()
	e.mu.Lock()
	e.tokens[tok] = e.cfg.Now().Add(e.cfg.TokenTTL)
	e.mu.Unlock()
	return tok
}

func (e *Emulator) checkBearer(r *http.Request) *apiError {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	tok := ""
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	}
	if tok == "" {
		return newError(http.StatusUnauthorized, ErrCodeUnauthenticated, "Token empty")
	}
	e.mu.Lock()
	exp, ok := e.tokens[tok]
	e.mu.Unlock()
	if !ok {
		return newError(http.StatusUnauthorized, ErrCodeUnauthenticated, "token invalid")
	}
	if !e.cfg.Now().Before(exp) {
		return newError(http.StatusUnauthorized, ErrCodeUnauthenticated, "token expired")
	}
	return nil
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
