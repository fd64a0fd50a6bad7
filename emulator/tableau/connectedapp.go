package tableauemu

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/internal/jose"
)

// ConnectedApp is a connected app with Direct Trust on one site: a JWT
// signed (HS256) with SecretValue, naming SecretID as kid and ClientID as
// iss, signs a site user in with the scopes it lists.
type ConnectedApp struct {
	ClientID, SecretID, SecretValue, SiteContentURL string
}

// maxJWTAhead is how far in the future a JWT's exp may be.
const maxJWTAhead = 10 * time.Minute

// Connected-app error codes Tableau puts in a failed sign-in's detail.
const (
	caUserNotFound  = "5 SYSTEM_USER_NOT_FOUND"
	caLoginFailed   = "16 LOGIN_FAILED"
	caNoIssuer      = "10081 COULD_NOT_RETRIEVE_IDP_METADATA"
	caBadJWT        = "10083 BAD_JWT"
	caInvalidJWT    = "10084 INVALID_JWT"
	caUnknownKey    = "10085 COULD_NOT_FETCH_JWT_KEYS"
	caMissingClaims = "10094 MISSING_REQUIRED_JWT_CLAIM"
)

func caError(code, format string, a ...any) *apiErr {
	return signInError(fmt.Sprintf("Failed to sign in with the connected app: error %s: %s", code, fmt.Sprintf(format, a...)))
}

// seedConnectedApp registers the demo site's connected app.
func seedConnectedApp(e *Emulator) {
	sum := sha256.Sum256([]byte("tableau-mcp-emulator/connected-app/secret"))
	app := ConnectedApp{ClientID: luid("connected-app/demo"), SecretID: luid("connected-app/demo/secret"),
		SecretValue: hex.EncodeToString(sum[:]), SiteContentURL: "demo"}
	e.apps[app.SecretID] = app
}

// DefaultConnectedApp is the connected app of the "demo" site.
func (e *Emulator) DefaultConnectedApp() ConnectedApp {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.apps[luid("connected-app/demo/secret")]
}

// AddConnectedApp registers another connected app; the site must exist.
func (e *Emulator) AddConnectedApp(a ConnectedApp) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.ClientID == "" || a.SecretID == "" || len(a.SecretValue) < 32 {
		return errors.New("tableauemu: a connected app needs a client ID, a secret ID and a secret value of 32 or more bytes")
	}
	s := e.siteByURL(a.SiteContentURL)
	if s == nil {
		return fmt.Errorf("tableauemu: no site with contentUrl %q", a.SiteContentURL)
	}
	a.SiteContentURL = s.contentURL
	e.apps[a.SecretID] = a
	return nil
}

// jwtSignIn checks a Direct Trust JWT as Tableau does and starts a session
// holding its scopes. Several JWT sessions of one user may be live at once.
func jwtSignIn(c *call, raw string, siteURL string) {
	e := c.e
	tok, err := jose.Parse(raw, jose.HS256)
	if err != nil {
		c.fail(caError(caInvalidJWT, "the token is not an HS256-signed JWT (%v).", err))
		return
	}
	h := tok.Header
	if h.KeyID == "" {
		c.fail(caError(caBadJWT, "the JWT header has no kid (the connected app's secret ID)."))
		return
	}
	app, ok := e.apps[h.KeyID]
	if !ok {
		c.fail(caError(caUnknownKey, "no connected app has the secret ID '%s', or it is disabled.", h.KeyID))
		return
	}
	payload, err := tok.Verify([]byte(app.SecretValue))
	if err != nil {
		c.fail(caError(caInvalidJWT, "the JWT signature does not verify with the secret '%s'.", h.KeyID))
		return
	}
	std, extra, err := jose.DecodeClaims(payload)
	if err != nil {
		c.fail(caError(caBadJWT, "the JWT payload is not a claims set (%v).", err))
		return
	}
	iss := std.Issuer
	if hi, ok := h.String("iss"); ok {
		if iss != "" && hi != iss {
			c.fail(caError(caBadJWT, "the iss of the header and of the payload differ."))
			return
		}
		iss = hi
	}
	if iss != app.ClientID {
		c.fail(caError(caNoIssuer, "the iss '%s' is not the client ID of the connected app that owns the secret.", iss))
		return
	}
	if !slices.Contains([]string(std.Audience), "tableau") {
		c.fail(caError(caInvalidJWT, "the aud must be \"tableau\"."))
		return
	}
	for claim, missing := range map[string]bool{"sub": std.Subject == "", "exp": std.Expiry == nil, "jti": std.ID == "", "scp": extra["scp"] == nil} {
		if missing {
			c.fail(caError(caMissingClaims, "the JWT has no '%s' claim.", claim))
			return
		}
	}
	now := c.now
	exp := std.Expiry.Time()
	switch {
	case !exp.After(now):
		c.fail(caError(caInvalidJWT, "the JWT expired at %s.", exp.UTC().Format(time.RFC3339)))
		return
	case exp.Sub(now) > maxJWTAhead:
		c.fail(caError(caLoginFailed, "the JWT's exp is more than 10 minutes ahead."))
		return
	case std.NotBefore != nil && std.NotBefore.Time().After(now):
		c.fail(caError(caInvalidJWT, "the JWT is not valid before %s.", std.NotBefore.Time().UTC().Format(time.RFC3339)))
		return
	}
	scopes, ok := stringList(extra["scp"])
	if !ok || len(scopes) == 0 {
		c.fail(caError(caBadJWT, "scp must be a non-empty list of scope strings."))
		return
	}
	if _, used := e.jtis[std.ID]; used {
		c.fail(caError(caInvalidJWT, "the jti '%s' has been used already; every JWT needs a new one.", std.ID))
		return
	}
	if !strings.EqualFold(app.SiteContentURL, siteURL) {
		c.fail(caError(caUnknownKey, "the connected app of secret '%s' is not enabled on site '%s'.", h.KeyID, siteURL))
		return
	}
	s := e.siteByURL(siteURL)
	var u *user
	for _, x := range s.users {
		if x.name == std.Subject { // case sensitive, as Tableau
			u = x
		}
	}
	if u == nil {
		c.fail(caError(caUserNotFound, "'%s' is not a user of site '%s' (user names are case sensitive).", std.Subject, s.contentURL))
		return
	}
	if u.siteRole == "Unlicensed" {
		c.fail(caError(caLoginFailed, "user '%s' is unlicensed.", u.name))
		return
	}
	e.rememberJTI(std.ID, exp, now)
	token := newToken() + "|" + s.id
	e.sessions[token] = &session{token: token, siteID: s.id, userID: u.id, created: now, lastUse: now, scopes: scopes}
	e.stats.JWTSignIns++
	e.signedIn(c, s, u, token, now)
}

// rememberJTI keeps a used jti until its token expires, dropping expired
// ones as the set grows.
func (e *Emulator) rememberJTI(id string, exp, now time.Time) {
	if len(e.jtis) >= e.jtiPrune {
		for k, t := range e.jtis {
			if !t.After(now) {
				delete(e.jtis, k)
			}
		}
		e.jtiPrune = max(1024, 2*len(e.jtis))
	}
	e.jtis[id] = exp
}

func stringList(v any) ([]string, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil, false
	}
	return out, true
}

// routeScope is the JWT access scope a REST route needs: tableau:content:read
// for GETs of content, a download scope for files and exports, and
// tableau:<resource>:<action> for admin reads and every change. "" needs none.
func routeScope(method, pattern string) string {
	if pattern == "auth/signout" || pattern == "sessions/current" {
		return ""
	}
	if pattern == "sites" || pattern == "sites/{site}" || pattern == "search" {
		// Content search: tableau-mcp sends tableau:content:read for it.
		return "tableau:content:read"
	}
	segs := strings.Split(strings.TrimPrefix(pattern, "sites/{site}/"), "/")
	res, last := segs[0], segs[len(segs)-1]
	action := map[string]string{"GET": "read", "POST": "create", "PUT": "update", "DELETE": "delete"}[method]
	if slices.Contains(segs, "permissions") {
		return "tableau:permissions:" + action
	}
	switch res {
	case "views", "customviews":
		if len(segs) > 2 {
			return "tableau:views:download"
		}
		return "tableau:content:read"
	case "workbooks", "datasources":
		switch {
		case last == "content":
			return "tableau:" + res + ":download"
		case last == "refresh":
			return "tableau:" + res + ":update"
		case method == "GET":
			return "tableau:content:read"
		}
	case "projects":
		if method == "GET" {
			return "tableau:content:read"
		}
	case "groups":
		if len(segs) > 2 && segs[2] == "users" && method != "GET" {
			return "tableau:groups:update"
		}
	case "flows":
		switch {
		case len(segs) > 1 && segs[1] == "runs":
			return "tableau:flow_runs:read"
		case last == "run":
			return "tableau:flows:run"
		}
	case "tasks":
		if len(segs) > 1 && segs[1] == "runFlow" {
			return "tableau:flow_tasks:read"
		}
		if last == "runNow" {
			return "tableau:tasks:run"
		}
	}
	return "tableau:" + res + ":" + action
}

// scopeVDS is what the VizQL Data Service needs of a JWT session.
const scopeVDS = "tableau:viz_data_service:read"

// allows reports whether a session may call what needs scope: PAT sessions
// may call anything, JWT sessions what their scopes (or a wildcard
// tableau:<resource>:*) grant.
func (s *session) allows(scope string) bool {
	if s.scopes == nil || scope == "" {
		return true
	}
	for _, have := range s.scopes {
		if have == scope {
			return true
		}
		if prefix, ok := strings.CutSuffix(have, ":*"); ok && strings.HasPrefix(scope, prefix+":") {
			return true
		}
	}
	return false
}

func scopeDenied(scope string) *apiErr {
	return newErr(http.StatusForbidden, "403157", fmt.Sprintf("This session was signed in with a connected-app JWT whose scopes do not include '%s'; add it to the JWT's scp.", scope))
}
