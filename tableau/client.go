// Package tableau is a client of the Tableau REST API and VizQL Data Service
// that signs in once with a Personal Access Token, or once per user with a
// connected app (Direct Trust), and keeps that session for every call: one
// upstream round trip per tool call in steady state.
package tableau

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/backend/upstream"
)

// Config holds the direct Tableau settings.
type Config struct {
	ServerURL  string // https://tableau.example.com or https://10ax.online.tableau.com
	Site       string // site content URL; empty for the Default site
	PATName    string
	PATSecret  string
	APIVersion string // empty: read from serverinfo once
	// HTTPClient defaults to a client with sensible timeouts.
	HTTPClient *http.Client
	Logger     *zap.Logger
	// BackendName is what Name reports ("tableau" unless wrapped, e.g. "demo").
	BackendName string
	// ConnectedApp, when set, signs in with connected-app JWTs instead of
	// the PAT (which must then be empty).
	ConnectedApp ConnectedApp
	// Scopes are the JWT scopes each connected-app sign-in asks for: those
	// of the tools served (ToolScopes). Empty: those of every tool.
	Scopes []string
	// Retry says how calls are repeated after transient failures and how
	// long each may take (zero values: the defaults of upstream.Policy).
	Retry upstream.Policy
}

// Session is what a PAT sign-in yields.
type Session struct {
	Token  string
	SiteID string
	UserID string
}

// Client talks to one Tableau site. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	cfg     Config
	http    *http.Client
	log     *zap.Logger
	session auth.Renewer[Session] // PAT
	users   userSessions          // connected app: one session per user
	policy  upstream.Policy

	verMu   sync.Mutex
	version string

	// verified is set once the configured credentials have signed in;
	// credErr holds the last refusal of them (nil after a success).
	credMu   sync.Mutex
	verified bool
	credErr  error
	credAt   time.Time
}

// New checks the configuration; it makes no request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.ServerURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("TABLEAU_SERVER_URL %q is not an http(s) URL such as https://tableau.example.com", cfg.ServerURL)
	}
	if u.Fragment != "" || u.RawQuery != "" {
		hint := ""
		if _, site, ok := strings.Cut(u.Fragment, "/site/"); ok {
			site, _, _ = strings.Cut(site, "/")
			hint = fmt.Sprintf("; the site %q goes in TABLEAU_SITE", site)
		}
		return nil, fmt.Errorf("TABLEAU_SERVER_URL %q is a page address: give the server only, such as %s://%s%s", cfg.ServerURL, u.Scheme, u.Host, hint)
	}
	if cfg.ConnectedApp.set() {
		if cfg.PATName != "" || cfg.PATSecret != "" {
			return nil, fmt.Errorf("both a Personal Access Token (TABLEAU_PAT_NAME) and a connected app (TABLEAU_CONNECTED_APP_CLIENT_ID) are set; keep one way to sign in")
		}
		if err := cfg.ConnectedApp.check(); err != nil {
			return nil, err
		}
		if len(cfg.Scopes) == 0 {
			all := make([]string, 0, len(toolScopes.Get()))
			for t := range toolScopes.Get() {
				all = append(all, t)
			}
			cfg.Scopes, _ = ToolScopes(all)
		}
		cfg.Scopes = normalScopes(cfg.Scopes)
	} else if cfg.PATName == "" || cfg.PATSecret == "" {
		return nil, fmt.Errorf("a Personal Access Token needs both TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET")
	}
	if cfg.APIVersion != "" && !validVersion(cfg.APIVersion) {
		return nil, fmt.Errorf("TABLEAU_API_VERSION %q is not a REST API version such as 3.28", cfg.APIVersion)
	}
	c := &Client{base: u, cfg: cfg, http: cfg.HTTPClient, log: cfg.Logger, version: cfg.APIVersion}
	if c.http == nil {
		c.http = upstream.DefaultHTTPClient()
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if cfg.Retry.Log == nil {
		cfg.Retry.Log = c.log
	}
	c.policy = cfg.Retry.WithDefaults()
	c.session.Fetch = c.signIn
	c.users.fetch = func(user string) func(context.Context) (Session, time.Time, error) {
		return func(ctx context.Context) (Session, time.Time, error) { return c.signInAs(ctx, user) }
	}
	return c, nil
}

func validVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	if !ok || major == "" || minor == "" {
		return false
	}
	for _, r := range major + minor {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Name reports the backend name.
func (c *Client) Name() string {
	if c.cfg.BackendName != "" {
		return c.cfg.BackendName
	}
	return "tableau"
}

// Version returns the REST API version in use, asking serverinfo the first time.
func (c *Client) Version(ctx context.Context) (string, error) {
	c.verMu.Lock()
	defer c.verMu.Unlock()
	if c.version != "" {
		return c.version, nil
	}
	// serverinfo exists since 2.4 and answers under any version at or above
	// it; an old version in the path works on old and new servers alike. A
	// server that refuses it (404) is asked again under 3.0.
	var err error
	for _, probe := range []string{"2.4", "3.0"} {
		var v string
		var status int
		v, status, err = c.serverInfo(ctx, probe)
		if err == nil {
			c.version = v
			c.log.Info("tableau REST API version", zap.String("version", v))
			return v, nil
		}
		if status != http.StatusNotFound {
			break
		}
	}
	return "", err
}

func (c *Client) serverInfo(ctx context.Context, probe string) (string, int, error) {
	rest, _, status, err := c.askServerInfo(ctx, probe)
	return rest, status, err
}

// ServerInfo asks Tableau's serverinfo, whatever version is configured, and
// returns the REST API and product versions. A failure to connect keeps its
// cause (errors.As finds *net.OpError, x509 and TLS errors); an answer that
// is not serverinfo is a *NotTableauError.
func (c *Client) ServerInfo(ctx context.Context) (rest, product string, err error) {
	for _, probe := range []string{"2.4", "3.0"} {
		var status int
		rest, product, status, err = c.askServerInfo(ctx, probe)
		if err == nil || status != http.StatusNotFound {
			break
		}
	}
	return rest, product, err
}

// NotTableauError says something answered at the server URL, but not with
// Tableau's serverinfo: a web page, a proxy, another service.
type NotTableauError struct {
	URL         string // the serverinfo URL asked
	Status      int
	ContentType string
	Detail      string // Tableau's error, or an excerpt of the body
}

func (e *NotTableauError) Error() string {
	what := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.ContentType != "" {
		what += " (" + e.ContentType + ")"
	}
	msg := fmt.Sprintf("GET %s answered %s, not Tableau's serverinfo", e.URL, what)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg + ". Is TABLEAU_SERVER_URL the address of Tableau Server or of your Tableau Cloud pod, such as https://prod-useast-a.online.tableau.com?"
}

func (c *Client) askServerInfo(ctx context.Context, probe string) (rest, product string, status int, err error) {
	where := c.base.Redacted() + "/api/" + probe + "/serverinfo"
	resp, out, err := c.policy.Do(ctx, true, func(ctx context.Context) (*http.Response, error) {
		return c.send(ctx, http.MethodGet, "/api/"+probe+"/serverinfo", nil, nil, "")
	})
	if err != nil {
		return "", "", 0, out.Annotate(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	notTableau := &NotTableauError{URL: where, Status: resp.StatusCode, ContentType: strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0])}
	if resp.StatusCode/100 != 2 {
		apiErr := upstream.ParseError(resp.StatusCode, body)
		notTableau.Detail = apiErr.Detail
		if apiErr.Code != "" {
			notTableau.Detail = apiErr.Error()
		}
		return "", "", resp.StatusCode, notTableau
	}
	var info struct {
		ServerInfo struct {
			RestAPIVersion upstream.FlexString `json:"restApiVersion"`
			ProductVersion struct {
				Value string `json:"value"`
			} `json:"productVersion"`
		} `json:"serverInfo"`
	}
	if err := json.Unmarshal(body, &info); err != nil || !validVersion(string(info.ServerInfo.RestAPIVersion)) {
		notTableau.Detail = "no REST API version in the answer"
		return "", "", resp.StatusCode, notTableau
	}
	return string(info.ServerInfo.RestAPIVersion), info.ServerInfo.ProductVersion.Value, resp.StatusCode, nil
}

func (c *Client) signIn(ctx context.Context) (Session, time.Time, error) {
	sess, _, err := c.postSignIn(ctx, map[string]any{
		"personalAccessTokenName":   c.cfg.PATName,
		"personalAccessTokenSecret": c.cfg.PATSecret,
	}, func(apiErr error) error { return &SignInError{Site: c.cfg.Site, PATName: c.cfg.PATName, Err: apiErr} })
	c.noteSignIn(err)
	if err != nil {
		return Session{}, time.Time{}, err
	}
	c.log.Info("signed in to tableau", zap.String("site", c.cfg.Site), zap.String("site_id", sess.SiteID), zap.String("pat_name", c.cfg.PATName))
	return sess, time.Time{}, nil
}

// signInAs signs user in with a fresh connected-app JWT carrying the
// configured scopes. The session is kept until Tableau says it ends.
func (c *Client) signInAs(ctx context.Context, user string) (Session, time.Time, error) {
	app := c.cfg.ConnectedApp
	tok, err := app.token(user, c.cfg.Scopes, time.Now())
	if err != nil {
		return Session{}, time.Time{}, err
	}
	sess, left, err := c.postSignIn(ctx, map[string]any{"jwt": tok}, func(apiErr error) error {
		return &ConnectedAppSignInError{Site: c.cfg.Site, ClientID: app.ClientID, User: user, Err: apiErr}
	})
	if app.Sub != IdentitySub {
		c.noteSignIn(err)
	}
	if err != nil {
		return Session{}, time.Time{}, err
	}
	var expires time.Time
	if left > 0 {
		expires = time.Now().Add(left)
	}
	c.log.Info("signed in to tableau with the connected app", zap.String("site", c.cfg.Site), zap.String("site_id", sess.SiteID),
		zap.String("user", user), zap.Strings("scopes", c.cfg.Scopes))
	return sess, expires, nil
}

// postSignIn sends credentials (plus the site) to auth/signin and reads the
// session and, when given, its estimated time to expiration.
func (c *Client) postSignIn(ctx context.Context, creds map[string]any, wrap func(error) error) (Session, time.Duration, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return Session{}, 0, err
	}
	creds["site"] = map[string]any{"contentUrl": c.cfg.Site}
	// A PAT sign-in may be sent again: it only makes a session. A
	// connected-app JWT is meant for one use, so it is not.
	_, jwt := creds["jwt"]
	resp, tries, err := c.policy.Do(ctx, !jwt, func(ctx context.Context) (*http.Response, error) {
		return c.send(ctx, http.MethodPost, "/api/"+v+"/auth/signin", nil, map[string]any{"credentials": creds}, "")
	})
	if err != nil {
		return Session{}, 0, tries.Annotate(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		apiErr := tries.Annotate(upstream.ParseError(resp.StatusCode, raw))
		c.log.Warn("tableau sign-in failed", zap.Int("status", resp.StatusCode), zap.String("code", codeOf(apiErr)))
		return Session{}, 0, wrap(apiErr)
	}
	var out struct {
		Credentials struct {
			Token string `json:"token"`
			Site  struct {
				ID string `json:"id"`
			} `json:"site"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			Left string `json:"estimatedTimeToExpiration"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Credentials.Token == "" || out.Credentials.Site.ID == "" {
		return Session{}, 0, fmt.Errorf("tableau sign-in answered %d without a token and site id (is %s a Tableau server?)", resp.StatusCode, c.base.Redacted())
	}
	left, _ := parseClock(out.Credentials.Left)
	return Session{Token: out.Credentials.Token, SiteID: out.Credentials.Site.ID, UserID: out.Credentials.User.ID}, left, nil
}

// noteSignIn records whether the configured credentials were accepted. Only
// a refusal of the credentials counts; an unreachable server does not.
func (c *Client) noteSignIn(err error) {
	c.credMu.Lock()
	defer c.credMu.Unlock()
	var pat *SignInError
	var app *ConnectedAppSignInError
	switch {
	case err == nil:
		c.verified, c.credErr = true, nil
	case errors.As(err, &pat), errors.As(err, &app):
		c.credErr, c.credAt = err, time.Now()
	}
}

// Ready reports whether Tableau answers and the credentials are good (for
// /readyz). It signs in only until the credentials have been accepted once;
// after that each probe is one unauthenticated serverinfo request, so probes
// never start sessions (and replicas sharing a PAT never sign each other out
// through them). With TABLEAU_JWT_SUB={identity} there is no user to sign in
// as: the server being reachable is what is checked.
func (c *Client) Ready(ctx context.Context) error {
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	if _, _, err := c.serverInfo(ctx, v); err != nil {
		return err
	}
	c.credMu.Lock()
	verified, credErr, credAt := c.verified, c.credErr, c.credAt
	c.credMu.Unlock()
	if credErr != nil && time.Since(credAt) < readyRetry {
		return credErr
	}
	if credErr != nil {
		verified = false // refused a while ago: try once more
	}
	if verified || (c.directTrust() && c.cfg.ConnectedApp.Sub == IdentitySub) {
		return nil
	}
	_, err = c.SiteID(ctx)
	return err
}

// readyRetry is how long a refusal of the credentials is reported by Ready
// before a probe tries them again.
const readyRetry = 30 * time.Second

// SignInError says the PAT could not sign in, with the settings to check.
type SignInError struct {
	Site, PATName string
	Err           error
}

func (e *SignInError) Error() string {
	site := e.Site
	if site == "" {
		site = "(Default site)"
	}
	return fmt.Sprintf("signing in to Tableau with the Personal Access Token %q on site %q failed: %s. Check TABLEAU_PAT_NAME, TABLEAU_PAT_SECRET and TABLEAU_SITE (the site's content URL); a PAT that was revoked or has expired must be created again in Tableau under My Account Settings", e.PATName, site, strings.TrimRight(e.Err.Error(), ". "))
}

func (e *SignInError) Unwrap() error { return e.Err }

func codeOf(err error) string {
	if a, ok := err.(*backend.APIError); ok {
		return a.Code
	}
	return ""
}

// Accept headers: JSON for API answers; downloads take any type, while an
// error still comes back as JSON.
const (
	acceptJSON = "application/json"
	acceptAny  = "application/json, */*;q=0.8"
)

// send performs one HTTP request; token may be empty (sign-in).
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body any, token string) (*http.Response, error) {
	return c.sendAccept(ctx, method, path, query, body, nil, token, acceptJSON)
}

func (c *Client) sendAccept(ctx context.Context, method, path string, query url.Values, body any, stream *backend.Stream, token, accept string) (*http.Response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		u.RawPath = c.base.EscapedPath() + path
	}
	u.RawQuery = query.Encode()
	var rd io.Reader
	ctype := ""
	switch {
	case stream != nil:
		src, err := stream.Open()
		if err != nil {
			return nil, err
		}
		rd, ctype = src, stream.ContentType
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		if c, ok := rd.(io.Closer); ok {
			c.Close()
		}
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("X-Tableau-Auth", token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Tableau at %s: %w", c.base.Redacted(), redactURLError(err))
	}
	return resp, nil
}

// redactURLError keeps the cause of a transport error without its URL query.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// do runs req with the session, signing in again and replaying once on 401
// (Tableau refused the session, so nothing was done), and repeating it after
// transient failures as the policy allows when the request is repeatable.
// The response is returned open when its status is 2xx.
func (c *Client) do(ctx context.Context, req backend.Request, accept string) (*http.Response, error) {
	sessions, err := c.sessionFor(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := sessions.Get(ctx)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		v, err := c.Version(ctx)
		if err != nil {
			return nil, err
		}
		resp, out, err := c.policy.Do(ctx, req.Repeatable(), func(ctx context.Context) (*http.Response, error) {
			return c.sendAccept(ctx, req.Method, req.URLPath(v, sess.SiteID), req.Query, req.Body, req.Stream, sess.Token, accept)
		})
		if err != nil {
			return nil, out.Annotate(err)
		}
		if resp.StatusCode/100 == 2 {
			return resp, nil
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		apiErr := upstream.ParseError(resp.StatusCode, raw)
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			c.log.Info("tableau session rejected; signing in again", zap.String("code", apiErr.Code))
			if sess, err = sessions.Renew(ctx, sess); err != nil {
				return nil, err
			}
			continue
		}
		return nil, out.Annotate(apiErr)
	}
}

// Invoke runs a tool's REST call and returns the JSON answer. An empty
// answer (204) becomes {}.
func (c *Client) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	if call.Request.Scope == backend.APIScope && call.Request.Path == "/auth/signout" {
		if err := c.SignOut(ctx); err != nil {
			return nil, err
		}
		return json.RawMessage(`{"signedOut":true}`), nil
	}
	ctx, cancel := c.policy.Bound(ctx, "Tableau")
	defer cancel()
	resp, err := c.do(ctx, call.Request, acceptJSON)
	if err != nil {
		return nil, upstream.Timed(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := backend.ReadBody(resp)
	if err != nil {
		return nil, fmt.Errorf("reading Tableau's answer: %w", upstream.Timed(ctx, err))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if !backend.JSONShaped(raw) {
		return nil, fmt.Errorf("Tableau answered %d with a body that is not JSON (%s); is TABLEAU_SERVER_URL the Tableau server itself and not a login page or proxy?", resp.StatusCode, upstream.Snippet(raw))
	}
	return raw, nil
}

// Open runs a request whose answer is streamed to the caller; it accepts
// any content type (images, PDFs, files). It is bounded by idle time, not
// total time, so that a large download may take as long as it keeps coming.
func (c *Client) Open(ctx context.Context, req backend.Request) (*http.Response, error) {
	ctx, watch := c.policy.Download(ctx, "Tableau")
	resp, err := c.do(ctx, req, acceptAny)
	if err != nil {
		watch.Stop()
		return nil, upstream.Timed(ctx, err)
	}
	resp.Body = watch.Body(resp.Body)
	return upstream.CheckDownload(resp)
}

// SiteID returns the LUID of the signed-in site, signing in if needed.
func (c *Client) SiteID(ctx context.Context) (string, error) {
	sessions, err := c.sessionFor(ctx)
	if err != nil {
		return "", err
	}
	s, err := sessions.Get(ctx)
	return s.SiteID, err
}

// SignOut ends the session of the call's user, if one is live. The next call
// signs in again.
func (c *Client) SignOut(ctx context.Context) error {
	sessions, err := c.sessionFor(ctx)
	if err != nil {
		return err
	}
	return c.signOut(ctx, sessions)
}

func (c *Client) signOut(ctx context.Context, sessions *auth.Renewer[Session]) error {
	sess, had := sessions.Clear()
	if !had {
		return nil
	}
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	resp, err := c.send(ctx, http.MethodPost, "/api/"+v+"/auth/signout", nil, nil, sess.Token)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusUnauthorized {
		return upstream.ParseError(resp.StatusCode, nil)
	}
	c.log.Info("signed out of tableau")
	return nil
}

// Close signs out every session (on shutdown).
func (c *Client) Close(ctx context.Context) error {
	if !c.directTrust() {
		return c.signOut(ctx, &c.session)
	}
	var errs []error
	for _, r := range c.users.all() {
		errs = append(errs, c.signOut(ctx, r))
	}
	return errors.Join(errs...)
}

// SignIns counts sign-ins made by this client.
func (c *Client) SignIns() int {
	if c.directTrust() {
		n, _ := c.users.counts()
		return n
	}
	return c.session.Fetches()
}

// Renewals counts sign-ins made because Tableau rejected the session.
func (c *Client) Renewals() int {
	if c.directTrust() {
		_, n := c.users.counts()
		return n
	}
	return c.session.Renewals()
}

// DirectTrust reports whether the client signs in with a connected app, and
// the scopes each of its JWTs carries.
func (c *Client) DirectTrust() (bool, []string) { return c.directTrust(), c.cfg.Scopes }
