package tableau

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/internal/jose"
)

// ConnectedApp holds the settings of a Tableau connected app with Direct
// Trust: the server signs a short-lived JWT with the app's secret for each
// sign-in, naming the Tableau user it acts for.
type ConnectedApp struct {
	ClientID    string // the app's client ID: the JWT's iss
	SecretID    string // the secret's ID: the JWT header's kid
	SecretValue string // the secret's value: the HS256 key
	// Sub is the Tableau user name signed in as, or IdentitySub: each caller
	// signs in as the user their authenticated identifier names.
	Sub string
}

// IdentitySub as TABLEAU_JWT_SUB signs each caller in as the Tableau user
// their identifier names.
const IdentitySub = "{identity}"

// Direct Trust JWT rules (Tableau connected apps): exp at most 10 minutes
// after issue; the server's clock may run a little ahead of ours, so iat and
// nbf are set a few seconds back.
const (
	jwtLifetime   = 5 * time.Minute
	jwtBackdating = 5 * time.Second
	// maxUserSessions bounds the per-user sessions kept with {identity}; the
	// least recently used is forgotten first (Tableau ends it when it idles).
	maxUserSessions = 1024
	// sessionSkew renews a session this long before Tableau says it ends.
	sessionSkew = time.Minute
)

func (a *ConnectedApp) set() bool {
	return a != nil && (a.ClientID != "" || a.SecretID != "" || a.SecretValue != "" || a.Sub != "")
}

func (a *ConnectedApp) check() error {
	var miss []string
	for _, f := range []struct{ name, v string }{
		{"TABLEAU_CONNECTED_APP_CLIENT_ID", a.ClientID}, {"TABLEAU_CONNECTED_APP_SECRET_ID", a.SecretID},
		{"TABLEAU_CONNECTED_APP_SECRET_VALUE", a.SecretValue}, {"TABLEAU_JWT_SUB", a.Sub},
	} {
		if f.v == "" {
			miss = append(miss, f.name)
		}
	}
	if len(miss) > 0 {
		return fmt.Errorf("connected-app sign-in needs %s (from the connected app's page in Tableau: client ID, secret ID and secret value; TABLEAU_JWT_SUB is the Tableau user name, or {identity} for each HTTP caller)", strings.Join(miss, ", "))
	}
	if len(a.SecretValue) < 32 {
		return fmt.Errorf("TABLEAU_CONNECTED_APP_SECRET_VALUE is %d characters; a connected app's secret value is at least 32 (copy the whole value from the connected app's Secrets tab)", len(a.SecretValue))
	}
	if strings.Contains(a.Sub, "{") && a.Sub != IdentitySub {
		return fmt.Errorf("TABLEAU_JWT_SUB %q: the only placeholder is %s (each HTTP caller signs in as the Tableau user their identifier names)", a.Sub, IdentitySub)
	}
	return nil
}

// directTrustClaims is the payload of a Direct Trust JWT.
type directTrustClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"` // the literal "tableau"
	Expiry    int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	ID        string   `json:"jti"`
	Scopes    []string `json:"scp"` // a list, never a space-separated string
}

// token builds and signs one Direct Trust JWT for user with scopes.
func (a *ConnectedApp) token(user string, scopes []string, now time.Time) (string, error) {
	payload, err := json.Marshal(directTrustClaims{
		Issuer:    a.ClientID,
		Subject:   user,
		Audience:  "tableau",
		Expiry:    now.Add(jwtLifetime).Unix(),
		IssuedAt:  now.Add(-jwtBackdating).Unix(),
		NotBefore: now.Add(-jwtBackdating).Unix(),
		ID:        newJTI(),
		Scopes:    scopes,
	})
	if err != nil {
		return "", fmt.Errorf("signing the connected-app JWT: %w", err)
	}
	tok, err := jose.Sign(jose.HS256, []byte(a.SecretValue), map[string]any{"typ": "JWT", "kid": a.SecretID, "iss": a.ClientID}, payload)
	if err != nil {
		return "", fmt.Errorf("signing the connected-app JWT: %w", err)
	}
	return tok, nil
}

// newJTI is a random UUID (version 4): unique per token.
func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// userSessions keeps one Tableau session per user signed in with the
// connected app, at most maxUserSessions of them.
type userSessions struct {
	fetch func(user string) func(ctx context.Context) (Session, time.Time, error)

	mu       sync.Mutex
	byUser   map[string]*list.Element
	lru      list.List // of *userSession, most recent first
	fetched  int       // sign-ins of forgotten sessions
	renewed  int
	evicted  int
	capacity int
}

type userSession struct {
	user string
	r    *auth.Renewer[Session]
}

func (u *userSessions) get(user string) *auth.Renewer[Session] {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byUser == nil {
		u.byUser = map[string]*list.Element{}
	}
	if el, ok := u.byUser[user]; ok {
		u.lru.MoveToFront(el)
		return el.Value.(*userSession).r
	}
	capacity := u.capacity
	if capacity <= 0 {
		capacity = maxUserSessions
	}
	for u.lru.Len() >= capacity {
		old := u.lru.Back()
		us := old.Value.(*userSession)
		u.fetched += us.r.Fetches()
		u.renewed += us.r.Renewals()
		u.evicted++
		delete(u.byUser, us.user)
		u.lru.Remove(old)
	}
	r := &auth.Renewer[Session]{Fetch: u.fetch(user), Skew: sessionSkew}
	u.byUser[user] = u.lru.PushFront(&userSession{user: user, r: r})
	return r
}

func (u *userSessions) counts() (fetches, renewals int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fetches, renewals = u.fetched, u.renewed
	for el := u.lru.Front(); el != nil; el = el.Next() {
		r := el.Value.(*userSession).r
		fetches += r.Fetches()
		renewals += r.Renewals()
	}
	return
}

func (u *userSessions) all() []*auth.Renewer[Session] {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []*auth.Renewer[Session]
	for el := u.lru.Front(); el != nil; el = el.Next() {
		out = append(out, el.Value.(*userSession).r)
	}
	return out
}

// ErrNoCaller: the connected app signs in as each caller, and this call has none.
var ErrNoCaller = errors.New("TABLEAU_JWT_SUB is {identity}, so each call signs in to Tableau as its caller, but this call has no authenticated caller: serve over HTTP with authentication (--auth-file, --jwt-*, --trusted-header), or set SCALEKIT_IDENTIFIER to the Tableau user name for stdio and `call`")

// userOf names the Tableau user a call signs in as.
func (c *Client) userOf(ctx context.Context) (string, error) {
	if c.cfg.ConnectedApp.Sub != IdentitySub {
		return c.cfg.ConnectedApp.Sub, nil
	}
	id, ok := auth.IdentityFrom(ctx)
	if !ok {
		return "", ErrNoCaller
	}
	return id, nil
}

// sessionFor returns the session cache a call uses: the one PAT session, or
// the session of the connected-app user the call acts for.
func (c *Client) sessionFor(ctx context.Context) (*auth.Renewer[Session], error) {
	if !c.directTrust() {
		return &c.session, nil
	}
	user, err := c.userOf(ctx)
	if err != nil {
		return nil, err
	}
	return c.users.get(user), nil
}

func (c *Client) directTrust() bool { return c.cfg.ConnectedApp.set() }

// parseClock reads Tableau's estimatedTimeToExpiration ("hours:minutes:seconds").
func parseClock(s string) (time.Duration, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return 0, false
	}
	var total int64
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second, total > 0
}

// connectedAppCodes explain the connected-app error codes Tableau puts in a
// failed sign-in's detail, with what to check.
var connectedAppCodes = []struct{ name, hint string }{
	{"SYSTEM_USER_NOT_FOUND", "the JWT's sub is not a user of the site: TABLEAU_JWT_SUB (or the caller's identifier with {identity}) must be the Tableau user name exactly, case included (on Tableau Cloud, the user's email)"},
	{"LOGIN_FAILED", "Tableau refused the JWT's claims: check that this host's clock is right (UTC) and that the user is licensed on the site"},
	{"INVALID_JWT", "the JWT's signature or claims were not accepted: check TABLEAU_CONNECTED_APP_SECRET_VALUE (the secret's value, not its ID) and this host's clock"},
	{"BAD_JWT", "the JWT is malformed: check TABLEAU_CONNECTED_APP_CLIENT_ID and TABLEAU_CONNECTED_APP_SECRET_ID"},
	{"COULD_NOT_FETCH_JWT_KEYS", "the secret ID is not known: check TABLEAU_CONNECTED_APP_SECRET_ID and that the connected app is enabled"},
	{"COULD_NOT_RETRIEVE_IDP_METADATA", "the client ID is not known: check TABLEAU_CONNECTED_APP_CLIENT_ID and that the connected app is enabled for this site"},
	{"MISSING_REQUIRED_JWT_CLAIM", "the JWT lacks a claim Tableau needs"},
	{"FEATURE_DISABLED", "connected apps (or the feature asked for) are disabled on this site"},
}

// ConnectedAppSignInError says the connected app could not sign a user in,
// with the settings to check.
type ConnectedAppSignInError struct {
	Site, ClientID, User string
	Err                  error
}

func (e *ConnectedAppSignInError) Error() string {
	site := e.Site
	if site == "" {
		site = "(Default site)"
	}
	hint := "check TABLEAU_CONNECTED_APP_CLIENT_ID, TABLEAU_CONNECTED_APP_SECRET_ID, TABLEAU_CONNECTED_APP_SECRET_VALUE, TABLEAU_JWT_SUB and TABLEAU_SITE, and that the connected app is enabled and allowed on this site"
	msg := e.Err.Error()
	for _, c := range connectedAppCodes {
		if strings.Contains(msg, c.name) {
			hint = c.hint
			break
		}
	}
	return fmt.Sprintf("signing in to Tableau with the connected app %q as user %q on site %q failed: %v; %s", e.ClientID, e.User, site, e.Err, hint)
}

func (e *ConnectedAppSignInError) Unwrap() error { return e.Err }

// normalScopes sorts and de-duplicates scopes.
func normalScopes(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
