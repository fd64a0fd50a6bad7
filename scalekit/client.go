// Package scalekit is a backend that runs Tableau tools through Scalekit's
// Agent Auth API: Scalekit holds each user's Tableau credentials, and every
// call names the user by its connected-account identifier, taken from the
// request context (auth.IdentityFrom), never from tool arguments.
//
// Tools that Scalekit's Tableau connector has go to POST /api/v1/execute_tool;
// the others, and binary downloads, go over Scalekit's proxy as raw Tableau
// REST calls, with the site LUID learned once per identifier from
// tableau_session_get.
package scalekit

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

// Config holds the Scalekit settings.
type Config struct {
	EnvironmentURL string // SCALEKIT_ENVIRONMENT_URL
	ClientID       string
	ClientSecret   string
	Connection     string // SCALEKIT_CONNECTION_NAME, default "tableau"
	// APIVersion is the Tableau REST version used in proxy paths (default 3.28).
	APIVersion string
	HTTPClient *http.Client
	Logger     *zap.Logger
	// Retry says how calls are repeated after transient failures and how
	// long each may take (zero values: the defaults of upstream.Policy).
	// A write sent to execute_tool or the proxy is never repeated once it
	// may have reached Tableau.
	Retry upstream.Policy
}

// Client is the Scalekit backend. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string
	http   *http.Client
	log    *zap.Logger
	token  auth.Renewer[string]
	policy upstream.Policy

	mu      sync.Mutex
	sites   map[string]*auth.Renewer[string] // identifier -> site LUID
	lacking map[string]bool                  // tools the connector answered it does not know
}

func (c *Client) lacks(tool string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lacking[tool]
}

// New checks the configuration; it makes no request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.EnvironmentURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("SCALEKIT_ENVIRONMENT_URL %q is not an http(s) URL such as https://myorg.scalekit.dev", cfg.EnvironmentURL)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("Scalekit needs both SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET")
	}
	if cfg.Connection == "" {
		cfg.Connection = "tableau"
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = "3.28"
	}
	c := &Client{cfg: cfg, base: u.String(), http: cfg.HTTPClient, log: cfg.Logger, sites: map[string]*auth.Renewer[string]{}, lacking: map[string]bool{}}
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
	c.token.Fetch = c.fetchToken
	return c, nil
}

// Name reports the backend name.
func (c *Client) Name() string { return "scalekit" }

// Connection is the configured connection name.
func (c *Client) Connection() string { return c.cfg.Connection }

// TokenFetches counts access tokens obtained so far.
func (c *Client) TokenFetches() int { return c.token.Fetches() }

func (c *Client) fetchToken(ctx context.Context) (string, time.Time, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	// A client-credentials grant may be asked for again: it only issues a token.
	resp, tries, err := c.policy.Do(ctx, true, func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oauth/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return c.http.Do(req)
	})
	if err != nil {
		return "", time.Time{}, tries.Annotate(c.unreachable(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		se := parseError(resp.StatusCode, body)
		c.log.Warn("scalekit token request failed", zap.Int("status", resp.StatusCode))
		return "", time.Time{}, backend.Userf("Scalekit did not issue an access token (%s%s): check SCALEKIT_CLIENT_ID, SCALEKIT_CLIENT_SECRET and SCALEKIT_ENVIRONMENT_URL (Scalekit dashboard → Developers → API Credentials).", se, tried(tries))
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("Scalekit's token answer had no access_token")
	}
	var secs float64
	if json.Unmarshal(tok.ExpiresIn, &secs) != nil {
		var s string
		json.Unmarshal(tok.ExpiresIn, &s)
		fmt.Sscan(s, &secs)
	}
	var exp time.Time
	if secs > 0 {
		// Renew shortly before expiry: five minutes early, or a tenth of the
		// lifetime early for tokens that live less than fifty minutes.
		life := time.Duration(secs * float64(time.Second))
		exp = time.Now().Add(life - min(5*time.Minute, life/10))
	}
	c.log.Info("obtained scalekit access token", zap.Float64("expires_in_s", secs))
	return tok.AccessToken, exp, nil
}

// unreachable says a request found no answer from Scalekit.
func (c *Client) unreachable(err error) error {
	var te *upstream.TimeoutError
	if errors.As(err, &te) {
		return err
	}
	return fmt.Errorf("cannot reach Scalekit at %s: %w", c.base, unwrapURL(err))
}

// tried renders "; tried N times" for a call sent more than once.
func tried(o upstream.Outcome) string {
	if o.Attempts <= 1 {
		return ""
	}
	return "; " + o.Tries()
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// do sends an authenticated request built by mk, renewing the access token
// once on 401 UNAUTHENTICATED (Scalekit refused it, so nothing was done) and
// repeating it after transient failures as the policy allows when
// repeatable. The response is returned open, whatever its status.
func (c *Client) do(ctx context.Context, repeatable bool, mk func(ctx context.Context, token string) (*http.Request, error)) (*http.Response, upstream.Outcome, error) {
	tok, err := c.token.Get(ctx)
	if err != nil {
		return nil, upstream.Outcome{}, err
	}
	for renewed := false; ; renewed = true {
		resp, tries, err := c.policy.Do(ctx, repeatable, func(ctx context.Context) (*http.Response, error) {
			req, err := mk(ctx, tok)
			if err != nil {
				return nil, err
			}
			return c.http.Do(req)
		})
		if err != nil {
			return nil, tries, tries.Annotate(c.unreachable(upstream.Timed(ctx, err)))
		}
		if resp.StatusCode != http.StatusUnauthorized || renewed {
			return resp, tries, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if se := parseError(resp.StatusCode, body); se.ErrorCode == "TOOL_ERROR" {
			// The user's Tableau credentials, not our token: give it back.
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return resp, tries, nil
		}
		c.log.Info("scalekit access token rejected; renewing")
		if tok, err = c.token.Renew(ctx, tok); err != nil {
			return nil, tries, err
		}
	}
}

func identity(ctx context.Context) (string, error) {
	id, ok := auth.IdentityFrom(ctx)
	if !ok {
		return "", backend.Userf("No Scalekit identifier for this request: set SCALEKIT_IDENTIFIER (the connected account's identifier) for a stdio server, or authenticate the HTTP caller so that its identity is known.")
	}
	return id, nil
}

// Invoke runs a tool for the identifier in ctx.
func (c *Client) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.policy.Bound(ctx, "Scalekit")
	defer cancel()
	if call.Forward && !c.lacks(call.Tool) {
		raw, err := c.ExecuteTool(ctx, id, call.Tool, call.Params, call.Repeatable())
		var unknown *unknownToolError
		if !errors.As(err, &unknown) || call.Request.Method == "" {
			return raw, err
		}
		// The connector's catalogue lacks this tool (it differs between
		// Scalekit versions): run the tool's own REST call over the proxy,
		// now and from now on.
		c.log.Info("scalekit connector lacks the tool; using the proxy", zap.String("tool", call.Tool))
		c.mu.Lock()
		c.lacking[call.Tool] = true
		c.mu.Unlock()
	}
	resp, err := c.proxy(ctx, id, call.Request, "application/json")
	if err != nil {
		return nil, upstream.Timed(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := backend.ReadBody(resp)
	if err != nil {
		return nil, fmt.Errorf("reading the Scalekit proxy's answer: %w", upstream.Timed(ctx, err))
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if !backend.JSONShaped(raw) {
		return nil, fmt.Errorf("the Scalekit proxy answered %d with a body that is not JSON", resp.StatusCode)
	}
	return raw, nil
}

// ExecuteTool sends one tool call to POST /api/v1/execute_tool and returns
// its data object. repeatable says whether the tool may be run again after
// a transient failure (it reads, or is idempotent); otherwise it is sent
// again only when Scalekit refused the connection.
func (c *Client) ExecuteTool(ctx context.Context, identifier, tool string, params map[string]any, repeatable bool) (json.RawMessage, error) {
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"tool_name": tool, "identifier": identifier, "connector": c.cfg.Connection, "params": params})
	if err != nil {
		return nil, err
	}
	resp, tries, err := c.do(ctx, repeatable, c.jsonRequest(http.MethodPost, "/api/v1/execute_tool", body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading Scalekit's execute_tool answer: %w", upstream.Timed(ctx, err))
	}
	if resp.StatusCode/100 != 2 {
		se := parseError(resp.StatusCode, raw)
		c.log.Info("scalekit execute_tool failed", zap.String("tool", tool), zap.Int("status", resp.StatusCode), zap.String("error_code", se.ErrorCode), zap.Int("attempts", tries.Attempts))
		return nil, c.translate(se, identifier, tool, tries)
	}
	var out struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("Scalekit's execute_tool answer is not JSON: %v", err)
	}
	if len(out.Data) == 0 || string(out.Data) == "null" {
		return json.RawMessage(`{}`), nil
	}
	return out.Data, nil
}

// SiteID returns the site LUID of the identifier's connected account, asking
// tableau_session_get once per identifier.
func (c *Client) SiteID(ctx context.Context, identifier string) (string, error) {
	c.mu.Lock()
	r, ok := c.sites[identifier]
	if !ok {
		r = &auth.Renewer[string]{Fetch: func(ctx context.Context) (string, time.Time, error) {
			raw, err := c.ExecuteTool(ctx, identifier, "tableau_session_get", nil, true)
			if err != nil {
				return "", time.Time{}, err
			}
			var s struct {
				Session struct {
					Site struct {
						ID string `json:"id"`
					} `json:"site"`
				} `json:"session"`
			}
			if json.Unmarshal(raw, &s) != nil || !backend.IsLUID(s.Session.Site.ID) {
				return "", time.Time{}, fmt.Errorf("tableau_session_get through Scalekit gave no site id for %q", identifier)
			}
			return s.Session.Site.ID, time.Time{}, nil
		}}
		c.sites[identifier] = r
	}
	c.mu.Unlock()
	// The fetch runs detached from ctx, so it cannot see the identity there;
	// it names the identifier itself.
	return r.Get(ctx)
}

// Open runs a raw Tableau request over the proxy and streams the answer. It
// accepts any content type (images, PDFs, files); errors still come as JSON.
func (c *Client) Open(ctx context.Context, req backend.Request) (*http.Response, error) {
	id, err := identity(ctx)
	if err != nil {
		return nil, err
	}
	ctx, watch := c.policy.Download(ctx, "Scalekit")
	resp, err := c.proxy(ctx, id, req, "application/json, */*;q=0.8")
	if err != nil {
		watch.Stop()
		return nil, upstream.Timed(ctx, err)
	}
	resp.Body = watch.Body(resp.Body)
	return upstream.CheckDownload(resp)
}

func (c *Client) proxy(ctx context.Context, identifier string, r backend.Request, accept string) (*http.Response, error) {
	site := ""
	if r.Scope == backend.SiteScope {
		var err error
		if site, err = c.SiteID(ctx, identifier); err != nil {
			return nil, err
		}
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, err
		}
	}
	target := c.base + "/proxy" + r.URLPath(c.cfg.APIVersion, site)
	if q := r.Query.Encode(); q != "" {
		target += "?" + q
	}
	resp, tries, err := c.do(ctx, r.Repeatable(), func(ctx context.Context, token string) (*http.Request, error) {
		var rd io.Reader
		ctype := ""
		switch {
		case r.Stream != nil:
			src, err := r.Stream.Open()
			if err != nil {
				return nil, err
			}
			rd, ctype = src, r.Stream.ContentType
		case body != nil:
			rd, ctype = bytes.NewReader(body), "application/json"
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, target, rd)
		if err != nil {
			if c, ok := rd.(io.Closer); ok {
				c.Close()
			}
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header["connection_name"] = []string{c.cfg.Connection}
		req.Header["identifier"] = []string{identifier}
		req.Header.Set("Accept", accept)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		return nil, c.proxyError(resp.StatusCode, raw, identifier, tries)
	}
	return resp, nil
}

// AccountStatus returns the status of the identifier's connected account
// (ACTIVE, EXPIRED, ...), for diagnostics.
func (c *Client) AccountStatus(ctx context.Context, identifier string) (string, error) {
	q := url.Values{"connector": {c.cfg.Connection}, "identifier": {identifier}}
	resp, tries, err := c.do(ctx, true, func(ctx context.Context, token string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/connected_accounts/auth?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		se := parseError(resp.StatusCode, raw)
		if resp.StatusCode == http.StatusNotFound && !strings.Contains(strings.ToLower(se.Message), "account") {
			se.Message = "connected account not found: " + se.Message
		}
		return "", c.translate(se, identifier, "connected_accounts/auth", tries)
	}
	var out struct {
		ConnectedAccount struct {
			Status string `json:"status"`
		} `json:"connected_account"`
	}
	json.Unmarshal(raw, &out)
	return out.ConnectedAccount.Status, nil
}

// Token returns a valid access token (for diagnostics).
func (c *Client) Token(ctx context.Context) error {
	_, err := c.token.Get(ctx)
	return err
}

// Ready reports whether Scalekit issues this server an access token (for
// /readyz). Connected accounts are per caller and are not checked here.
func (c *Client) Ready(ctx context.Context) error { return c.Token(ctx) }

// jsonRequest builds a request to Scalekit's own API with a JSON body and
// the access token, made anew for each attempt.
func (c *Client) jsonRequest(method, path string, body []byte) func(ctx context.Context, token string) (*http.Request, error) {
	return func(ctx context.Context, token string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return req, nil
	}
}
