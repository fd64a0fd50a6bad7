package tableauemu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config sets up an Emulator. Zero values take the defaults noted.
type Config struct {
	// APIVersion is the newest REST version served (default "3.28").
	// serverinfo reports it; paths under /api/{v}/ with v from 2.0 up to it
	// are accepted, a higher one answers 404 / 404003.
	APIVersion string
	// ProductVersion is what serverinfo reports (default "2026.1.0").
	ProductVersion string
	// SessionIdleTimeout ends a token unused this long (default 240m).
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a token this long after sign-in (0: never).
	SessionLifetime time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// VizQL, when set, serves /api/v1/vizql-data-service/... once the
	// X-Tableau-Auth token has been checked; the handler finds the session
	// with SessionFromContext. When nil those paths answer 404.
	VizQL http.Handler
	// ExtractBytes is the size of the placeholder extract packed into .twbx
	// and .tdsx downloads of content that has extracts (default 64 KiB).
	// Downloads stream it, so a test can ask for hundreds of megabytes.
	ExtractBytes int64
	// NoPulse answers the Pulse paths (/api/-/pulse/...) with a bare 404,
	// as Tableau Server does; by default the site has Pulse, as on Cloud.
	NoPulse bool
}

// PAT is a personal access token that signs in to one site as one user.
type PAT struct {
	Name, Secret, SiteContentURL string
	UserID                       string // LUID of the site user the token signs in as
}

// Stats counts what the emulator has served.
type Stats struct {
	SignIns, SignOuts, Requests int
	// JWTSignIns counts the connected-app sign-ins among SignIns, and
	// SignInsByUser those per user name.
	JWTSignIns    int
	SignInsByUser map[string]int
	// ByRoute counts requests per "METHOD /api/{v}/pattern" of the routes
	// that matched, e.g. "GET /api/{v}/sites/{site}/workbooks".
	ByRoute map[string]int
}

// Recorded is one request as the emulator received it.
type Recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte // cut at 16 KiB
	Status                 int
}

// ViewChart is the chart hidden behind a view: what an export of the view
// would show.
type ViewChart struct {
	WorkbookName, ViewName, Datasource, Dimension, Measure string
}

const (
	maxBody         = 4 << 20
	maxRecordedBody = 16 << 10
	maxRecorded     = 1000
	vizqlPrefix     = "/api/v1/vizql-data-service/"
)

type session struct {
	token, patKey    string
	siteID, userID   string
	created, lastUse time.Time
	// scopes of a connected-app session; nil for a PAT session (no limit).
	scopes []string
}

type fault struct {
	method, contains string
	status           int
	code             string
}

// Emulator is an in-memory Tableau Server site collection behind the REST
// API. It is safe for concurrent use.
type Emulator struct {
	mu       sync.Mutex
	cfg      Config
	maxMajor int
	maxMinor int

	sites      []*site
	schedules  []*schedule
	pats       map[string]PAT          // site contentUrl + "\x00" + name
	sessions   map[string]*session     // token -> session
	patSession map[string]string       // PAT key -> live token
	apps       map[string]ConnectedApp // secret ID -> connected app
	jtis       map[string]time.Time    // used JWT IDs -> their exp
	jtiPrune   int
	seq        int

	faults   []fault
	stats    Stats
	recorded []*Recorded
	uploads  map[string]*fileUpload
	// uploadOrder lists upload session ids oldest first.
	uploadOrder []string
}

// New builds an emulator holding the sample sites "demo" and Default.
func New(cfg Config) *Emulator {
	if cfg.APIVersion == "" {
		cfg.APIVersion = "3.28"
	}
	if cfg.ProductVersion == "" {
		cfg.ProductVersion = "2026.1.0"
	}
	if cfg.SessionIdleTimeout <= 0 {
		cfg.SessionIdleTimeout = 240 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ExtractBytes <= 0 {
		cfg.ExtractBytes = 64 << 10
	}
	e := &Emulator{
		cfg:        cfg,
		pats:       map[string]PAT{},
		sessions:   map[string]*session{},
		patSession: map[string]string{},
		apps:       map[string]ConnectedApp{},
		jtis:       map[string]time.Time{},
		jtiPrune:   1024,
		stats:      Stats{ByRoute: map[string]int{}, SignInsByUser: map[string]int{}},
	}
	var ok bool
	if e.maxMajor, e.maxMinor, ok = parseVersion(cfg.APIVersion); !ok {
		e.maxMajor, e.maxMinor = 3, 28
		e.cfg.APIVersion = "3.28"
	}
	seed(e)
	return e
}

func parseVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return 0, 0, false
	}
	return ma, mi, true
}

func (e *Emulator) now() time.Time { return e.cfg.Now() }

func patKey(siteURL, name string) string { return strings.ToLower(siteURL) + "\x00" + name }

func (e *Emulator) siteByURL(contentURL string) *site {
	for _, s := range e.sites {
		if strings.EqualFold(s.contentURL, contentURL) {
			return s
		}
	}
	return nil
}

func (e *Emulator) siteByID(id string) *site {
	for _, s := range e.sites {
		if s.id == id {
			return s
		}
	}
	return nil
}

// newID gives created objects a stable, unique LUID.
func (e *Emulator) newID(kind string) string {
	e.seq++
	return luid(fmt.Sprintf("created/%s/%d", kind, e.seq))
}

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Sprintf("token%d", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:16]) + "|" + hex.EncodeToString(b[16:])
}

// ---- exported accessors ----

// DefaultPAT is the token that signs in to the "demo" site as its site
// administrator admin@example.com.
func (e *Emulator) DefaultPAT() PAT {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pats[patKey(DemoSite, DemoPATName)]
}

// The demo site's content URL and the personal access token every emulator
// starts with (DefaultPAT), known before one is built.
const (
	DemoSite      = "demo"
	DemoPATName   = "demo-pat"
	DemoPATSecret = "demo-secret"
)

// AddPAT registers another token; the site and user must exist.
func (e *Emulator) AddPAT(p PAT) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.Name == "" || p.Secret == "" {
		return errors.New("tableauemu: a PAT needs a name and a secret")
	}
	s := e.siteByURL(p.SiteContentURL)
	if s == nil {
		return fmt.Errorf("tableauemu: no site with contentUrl %q", p.SiteContentURL)
	}
	if s.user(p.UserID) == nil {
		return fmt.Errorf("tableauemu: no user %q on site %q", p.UserID, p.SiteContentURL)
	}
	p.SiteContentURL = s.contentURL
	e.pats[patKey(s.contentURL, p.Name)] = p
	return nil
}

// UserIDByName finds a user of a site (by contentUrl; "" is Default).
func (e *Emulator) UserIDByName(siteURL, name string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.siteByURL(siteURL); s != nil {
		if u := s.userByName(name); u != nil {
			return u.id, true
		}
	}
	return "", false
}

// DatasourceIDByName finds a published data source of a site by name.
func (e *Emulator) DatasourceIDByName(siteURL, name string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.siteByURL(siteURL); s != nil {
		for _, d := range s.datasources {
			if d.name == name {
				return d.id, true
			}
		}
	}
	return "", false
}

// DatasourceName names a published data source by LUID, on any site.
func (e *Emulator) DatasourceName(id string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.sites {
		if d := s.datasource(id); d != nil {
			return d.name, true
		}
	}
	return "", false
}

// DatasourceNameOnSite is DatasourceName limited to the site of the session
// the emulator checked for this request (SessionFromContext), as a VizQL Data
// Service handler mounted with Config.VizQL sees it: a data source of another
// site is unknown, as on Tableau.
func (e *Emulator) DatasourceNameOnSite(ctx context.Context, id string) (string, bool) {
	sess, ok := SessionFromContext(ctx)
	if !ok {
		return e.DatasourceName(id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.siteByID(sess.SiteID); s != nil {
		if d := s.datasource(id); d != nil {
			return d.name, true
		}
	}
	return "", false
}

// ViewChart tells what the view with this LUID charts.
func (e *Emulator) ViewChart(viewID string) (ViewChart, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.sites {
		if v := s.view(viewID); v != nil {
			return ViewChart{
				WorkbookName: s.workbookName(v.workbookID),
				ViewName:     v.name,
				Datasource:   v.chartDatasource,
				Dimension:    v.chartDimension,
				Measure:      v.chartMeasure,
			}, true
		}
	}
	return ViewChart{}, false
}

// SetExtractBytes changes the size of the placeholder extract in packaged
// downloads (see Config.ExtractBytes); n <= 0 restores the default.
func (e *Emulator) SetExtractBytes(n int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n <= 0 {
		n = 64 << 10
	}
	e.cfg.ExtractBytes = n
}

// ExpireSessions ends every live session: their tokens answer 401 / 401002.
func (e *Emulator) ExpireSessions() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sessions = map[string]*session{}
	e.patSession = map[string]string{}
}

// Stats answers a copy of the counters.
func (e *Emulator) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.ByRoute = make(map[string]int, len(e.stats.ByRoute))
	for k, v := range e.stats.ByRoute {
		s.ByRoute[k] = v
	}
	s.SignInsByUser = make(map[string]int, len(e.stats.SignInsByUser))
	for k, v := range e.stats.SignInsByUser {
		s.SignInsByUser[k] = v
	}
	return s
}

// Requests answers copies of the recorded requests, oldest first. At least
// the newest 1000 are kept; bodies are cut at 16 KiB.
func (e *Emulator) Requests() []Recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Recorded, len(e.recorded))
	for i, r := range e.recorded {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = append([]byte(nil), r.Body...)
	}
	return out
}

// FailNext makes the next request whose method equals method ("" for any)
// and whose path contains pathContains answer status with error code code,
// before any other check. Several calls queue several faults.
func (e *Emulator) FailNext(method, pathContains string, status int, code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, fault{method: strings.ToUpper(method), contains: pathContains, status: status, code: code})
}

// CheckToken tells whether a token is live (and marks it used).
func (e *Emulator) CheckToken(token string) (siteID, userID string, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.liveSession(token)
	if s == nil {
		return "", "", false
	}
	return s.siteID, s.userID, true
}

type ctxKey struct{}

// SessionInfo identifies the caller of a request passed to Config.VizQL.
type SessionInfo struct{ SiteID, UserID string }

// SessionFromContext gives the VizQL handler the session that was checked.
func SessionFromContext(ctx context.Context) (SessionInfo, bool) {
	s, ok := ctx.Value(ctxKey{}).(SessionInfo)
	return s, ok
}

// liveSession finds a session and keeps it alive, dropping it when it has
// idled or lived too long. Callers hold e.mu.
func (e *Emulator) liveSession(token string) *session {
	s := e.sessions[token]
	if s == nil {
		return nil
	}
	now := e.now()
	if now.Sub(s.lastUse) >= e.cfg.SessionIdleTimeout ||
		(e.cfg.SessionLifetime > 0 && now.Sub(s.created) >= e.cfg.SessionLifetime) {
		e.endSession(s)
		return nil
	}
	s.lastUse = now
	return s
}

func (e *Emulator) endSession(s *session) {
	delete(e.sessions, s.token)
	if e.patSession[s.patKey] == s.token {
		delete(e.patSession, s.patKey)
	}
}

// ---- HTTP ----

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP answers one REST (or VizQL) request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	tooBig := false
	if r.Body != nil {
		// A multipart body (a publish or an upload chunk) is read by its
		// handler as it arrives, its file part written to disk.
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err == nil {
				body = b
			}
			tooBig = len(b) > maxBody
		}
	}
	if strings.HasPrefix(r.URL.Path, vizqlPrefix) {
		e.serveVizQL(w, r, body)
		return
	}
	rep := e.handle(r, body, tooBig)
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if rep.stream != nil && r.Method != http.MethodHead {
		rep.stream(w)
		return
	}
	if len(rep.body) > 0 && w.Header().Get("Content-Length") == "" {
		// A whole answer in hand is sent with its length, as servers do.
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 && r.Method != http.MethodHead {
		_, _ = w.Write(rep.body)
	}
}

func (e *Emulator) record(r *http.Request, body []byte) *Recorded {
	b := body
	if len(b) > maxRecordedBody {
		b = b[:maxRecordedBody]
	}
	rec := &Recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: append([]byte(nil), b...)}
	e.recorded = append(e.recorded, rec)
	if len(e.recorded) >= 2*maxRecorded { // trim in bulk so recording stays cheap
		e.recorded = append([]*Recorded(nil), e.recorded[len(e.recorded)-maxRecorded:]...)
	}
	e.stats.Requests++
	return rec
}

// takeFault consumes the first queued fault matching the request.
func (e *Emulator) takeFault(r *http.Request) *fault {
	for i, f := range e.faults {
		if (f.method == "" || f.method == r.Method) && strings.Contains(r.URL.Path, f.contains) {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			return &f
		}
	}
	return nil
}

func (e *Emulator) handle(r *http.Request, body []byte, tooBig bool) (rep reply) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rec := e.record(r, body)
	asJSON := wantsJSON(r)
	c := &call{e: e, r: r, json: asJSON, body: body, q: r.URL.Query(), now: e.now()}
	defer func() {
		if p := recover(); p != nil {
			c.fail(newErr(http.StatusInternalServerError, "500000", fmt.Sprintf("internal emulator error: %v", p)))
		}
		rep = c.rep
		if rep.status == 0 {
			rep.status = http.StatusOK
		}
		rec.Status = rep.status
	}()
	if f := e.takeFault(r); f != nil {
		c.fail(newErr(f.status, f.code, "Injected fault for testing."))
		return
	}
	if tooBig {
		c.fail(newErr(http.StatusRequestEntityTooLarge, "413000", "The request body is too large."))
		return
	}
	e.dispatch(c)
	return
}

func (e *Emulator) serveVizQL(w http.ResponseWriter, r *http.Request, body []byte) {
	sw := &statusWriter{ResponseWriter: w}
	e.mu.Lock()
	rec := e.record(r, body)
	var info SessionInfo
	var denyMsg string
	f := e.takeFault(r)
	switch {
	case f != nil:
	case e.cfg.VizQL == nil:
	case r.Header.Get("X-Tableau-Auth") == "":
		denyMsg = "Missing authentication token in header X-Tableau-Auth."
	default:
		if s := e.liveSession(r.Header.Get("X-Tableau-Auth")); s != nil && !s.allows(scopeVDS) {
			f = &fault{status: http.StatusForbidden, code: "403157"}
			denyMsg = "This session was signed in with a connected-app JWT whose scopes do not include '" + scopeVDS + "'."
		} else if s != nil {
			info = SessionInfo{SiteID: s.siteID, UserID: s.userID}
			e.stats.ByRoute[r.Method+" /api/v1/vizql-data-service/*"]++
		} else {
			denyMsg = "Invalid or expired authentication token."
		}
	}
	handler := e.cfg.VizQL
	now := e.now()
	e.mu.Unlock()

	vdsError := func(status int, code, msg string) {
		sw.Header().Set("Content-Type", "application/json")
		sw.WriteHeader(status)
		_, _ = fmt.Fprintf(sw, `{"errorCode":%q,"message":%q,"datetime":%q}`, code, msg, now.UTC().Format(time.RFC3339Nano))
	}
	switch {
	case f != nil && denyMsg != "":
		vdsError(f.status, f.code, denyMsg)
	case f != nil:
		vdsError(f.status, f.code, "Injected fault for testing.")
	case handler == nil:
		vdsError(http.StatusNotFound, "404003", "The VizQL Data Service is not enabled on this server.")
	case denyMsg != "":
		vdsError(http.StatusUnauthorized, "401002", denyMsg)
	default:
		r2 := r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		r2.Body = io.NopCloser(strings.NewReader(string(body)))
		r2.ContentLength = int64(len(body))
		func() {
			defer func() {
				if p := recover(); p != nil {
					if sw.status == 0 {
						vdsError(http.StatusInternalServerError, "500000", "internal emulator error")
					}
				}
			}()
			handler.ServeHTTP(sw, r2)
		}()
	}
	e.mu.Lock()
	rec.Status = sw.status
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	e.mu.Unlock()
}

// call carries one request through its handler.
type call struct {
	e      *Emulator
	r      *http.Request
	json   bool
	body   []byte
	q      url.Values
	now    time.Time
	params []string // path wildcards in order
	sess   *session
	site   *site
	user   *user
	rep    reply
}

func (c *call) param(i int) string {
	if i < len(c.params) {
		return c.params[i]
	}
	return ""
}

func (c *call) ok(status int, body obj) {
	ct, b := encodeBody(c.json, body)
	c.rep = reply{status: status, header: http.Header{"Content-Type": {ct}}, body: b}
}

func (c *call) empty(status int) {
	c.rep = reply{status: status, header: http.Header{}}
}

func (c *call) fail(err *apiErr) {
	ct, b := encodeError(c.json, err)
	c.rep = reply{status: err.status, header: http.Header{"Content-Type": {ct}}, body: b}
}

// baseURL is where the caller reached the emulator, for webpageUrl.
func (c *call) baseURL() string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	host := c.r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

func (c *call) usage() bool { return strings.EqualFold(c.q.Get("includeUsageStatistics"), "true") }
