package tableauemu

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServerInfoNeedsNoAuthAndReportsVersions(t *testing.T) {
	_, srv := startEmu(t, Config{APIVersion: "3.27", ProductVersion: "2025.3.0"})
	c := newClient(t, srv)
	for _, v := range []string{"2.0", "3.17", "3.27"} {
		a := c.do("GET", srv.URL+"/api/"+v+"/serverinfo", nil)
		wantStatus(t, a, 200)
		if a.str("serverInfo", "restApiVersion") != "3.27" || a.str("serverInfo", "productVersion", "value") != "2025.3.0" {
			t.Fatalf("serverinfo under %s: %s", v, a.raw)
		}
		if a.str("serverInfo", "productVersion", "build") == "" {
			t.Fatalf("productVersion.build missing: %s", a.raw)
		}
	}
	for _, v := range []string{"3.28", "4.0", "1.9", "abc", "3"} {
		wantError(t, c.do("GET", srv.URL+"/api/"+v+"/serverinfo", nil), 404, "404003")
	}
}

func TestSignInAnswerShape(t *testing.T) {
	e, srv := startEmu(t, Config{})
	c := newClient(t, srv)
	a := c.do("POST", "auth/signin", signInBody("demo-pat", "demo-secret", "demo"))
	wantStatus(t, a, 200)
	admin, ok := e.UserIDByName("demo", "admin@example.com")
	if !ok {
		t.Fatal("admin@example.com missing on demo")
	}
	if a.str("credentials", "site", "contentUrl") != "demo" || a.str("credentials", "site", "id") == "" ||
		a.str("credentials", "user", "id") != admin || a.str("credentials", "token") == "" ||
		a.str("credentials", "estimatedTimeToExpiration") == "" {
		t.Fatalf("credentials: %s", a.raw)
	}
	if p := e.DefaultPAT(); p.Name != "demo-pat" || p.Secret != "demo-secret" || p.SiteContentURL != "demo" || p.UserID != admin {
		t.Fatalf("DefaultPAT %+v", p)
	}
	if s := e.Stats(); s.SignIns != 1 {
		t.Fatalf("SignIns %d", s.SignIns)
	}
}

func TestSignInFailures(t *testing.T) {
	_, srv := startEmu(t, Config{})
	c := newClient(t, srv)
	wantError(t, c.do("POST", "auth/signin", signInBody("demo-pat", "wrong", "demo")), 401, "401001")
	wantError(t, c.do("POST", "auth/signin", signInBody("nope", "demo-secret", "demo")), 401, "401001")
	wantError(t, c.do("POST", "auth/signin", signInBody("demo-pat", "demo-secret", "no-such-site")), 401, "401001")
	// The PAT belongs to the demo site, not to Default ("").
	wantError(t, c.do("POST", "auth/signin", signInBody("demo-pat", "demo-secret", "")), 401, "401001")
	wantError(t, c.do("POST", "auth/signin", `{"credentials":`), 400, "400000")
	wantError(t, c.do("POST", "auth/signin", `{}`), 400, "400000")
	wantError(t, c.do("GET", "auth/signin", nil), 405, "405000")
}

func TestOneLiveSessionPerPAT(t *testing.T) {
	e, srv := startEmu(t, Config{})
	first, second := newClient(t, srv), newClient(t, srv)
	first.signIn(e.DefaultPAT())
	wantStatus(t, first.do("GET", "sessions/current", nil), 200)
	second.signIn(e.DefaultPAT())
	if first.token == second.token {
		t.Fatal("second sign-in reused the token")
	}
	wantError(t, first.do("GET", "sessions/current", nil), 401, "401002")
	wantStatus(t, second.do("GET", "sessions/current", nil), 200)

	// Another PAT of the same site keeps its own session.
	viewer, _ := e.UserIDByName("demo", "vic.viewer@example.com")
	if err := e.AddPAT(PAT{Name: "viewer-pat", Secret: "s3", SiteContentURL: "demo", UserID: viewer}); err != nil {
		t.Fatal(err)
	}
	third := newClient(t, srv)
	third.signIn(PAT{Name: "viewer-pat", Secret: "s3", SiteContentURL: "demo"})
	wantStatus(t, second.do("GET", "sessions/current", nil), 200)
	a := third.do("GET", "sessions/current", nil)
	wantStatus(t, a, 200)
	if a.str("session", "user", "name") != "vic.viewer@example.com" || a.str("session", "user", "siteRole") != "Viewer" {
		t.Fatalf("session of the viewer PAT: %s", a.raw)
	}
}

func TestAddPATRejectsUnknownSiteOrUser(t *testing.T) {
	e := New(Config{})
	admin, _ := e.UserIDByName("demo", "admin@example.com")
	if err := e.AddPAT(PAT{Name: "x", Secret: "y", SiteContentURL: "nowhere", UserID: admin}); err == nil {
		t.Fatal("unknown site accepted")
	}
	if err := e.AddPAT(PAT{Name: "x", Secret: "y", SiteContentURL: "demo", UserID: "nobody"}); err == nil {
		t.Fatal("unknown user accepted")
	}
	// The demo admin's LUID is not a user of the Default site.
	if err := e.AddPAT(PAT{Name: "x", Secret: "y", SiteContentURL: "", UserID: admin}); err == nil {
		t.Fatal("user of another site accepted")
	}
	defAdmin, ok := e.UserIDByName("", "admin@example.com")
	if !ok {
		t.Fatal("Default site has no admin@example.com")
	}
	if err := e.AddPAT(PAT{Name: "x", Secret: "y", SiteContentURL: "", UserID: defAdmin}); err != nil {
		t.Fatal(err)
	}
}

func TestIdleTimeoutAndLifetime(t *testing.T) {
	clk := newClock()
	e, c := signedIn(t, Config{Now: clk.Now})
	clk.Add(239 * time.Minute)
	wantStatus(t, c.do("GET", "sessions/current", nil), 200) // use resets the idle timer
	clk.Add(239 * time.Minute)
	wantStatus(t, c.do("GET", "sessions/current", nil), 200)
	clk.Add(240 * time.Minute)
	wantError(t, c.do("GET", "sessions/current", nil), 401, "401002")
	if _, _, ok := e.CheckToken(c.token); ok {
		t.Fatal("CheckToken accepts an idle-expired token")
	}
	// A fresh sign-in works again.
	c.signIn(e.DefaultPAT())
	wantStatus(t, c.do("GET", "sessions/current", nil), 200)

	clk2 := newClock()
	_, c2 := signedIn(t, Config{Now: clk2.Now, SessionLifetime: time.Hour})
	for i := 0; i < 3; i++ {
		clk2.Add(20 * time.Minute)
		if i < 2 {
			wantStatus(t, c2.do("GET", "sessions/current", nil), 200)
		}
	}
	wantError(t, c2.do("GET", "sessions/current", nil), 401, "401002")
}

func TestSignOutAndMissingToken(t *testing.T) {
	e, c := signedIn(t, Config{})
	token := c.token
	a := c.do("POST", "auth/signout", nil)
	wantStatus(t, a, 204)
	if len(a.raw) != 0 {
		t.Fatalf("sign-out body: %s", a.raw)
	}
	wantError(t, c.do("GET", "sessions/current", nil), 401, "401002")
	c.token = ""
	wantError(t, c.do("GET", "sessions/current", nil), 401, "401000")
	wantError(t, c.do("GET", "sites/x/workbooks", nil), 401, "401000")
	if _, _, ok := e.CheckToken(token); ok {
		t.Fatal("token alive after sign-out")
	}
	if s := e.Stats(); s.SignOuts != 1 || s.ByRoute["POST /api/{v}/auth/signout"] != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestExpireSessions(t *testing.T) {
	e, c := signedIn(t, Config{})
	site, user, ok := e.CheckToken(c.token)
	if !ok || site != c.siteID || user != c.userID {
		t.Fatalf("CheckToken = %q %q %v", site, user, ok)
	}
	e.ExpireSessions()
	wantError(t, c.do("GET", c.site("workbooks"), nil), 401, "401002")
}

func TestSessionCurrentShape(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", "sessions/current", nil)
	wantStatus(t, a, 200)
	if a.str("session", "site", "id") != c.siteID || a.str("session", "site", "name") != "Tableau MCP Demo (sample data)" ||
		a.str("session", "site", "contentUrl") != "demo" {
		t.Fatalf("session.site: %s", a.raw)
	}
	if a.str("session", "user", "id") != c.userID || a.str("session", "user", "name") != "admin@example.com" ||
		a.str("session", "user", "siteRole") != "SiteAdministratorCreator" || a.str("session", "user", "lastLogin") == "" {
		t.Fatalf("session.user: %s", a.raw)
	}
}

func TestTokenOfOneSiteOnAnother(t *testing.T) {
	e, c := signedIn(t, Config{})
	def, ok := e.UserIDByName("", "admin@example.com")
	if !ok {
		t.Fatal("no default admin")
	}
	_ = def
	// Find the Default site's LUID by signing in there.
	if err := e.AddPAT(PAT{Name: "def", Secret: "d", SiteContentURL: "", UserID: def}); err != nil {
		t.Fatal(err)
	}
	other := &testClient{t: t, base: c.base, accept: "application/json"}
	other.signIn(PAT{Name: "def", Secret: "d", SiteContentURL: ""})
	wantError(t, c.do("GET", "sites/"+other.siteID+"/workbooks", nil), 403, "403000")
	wantError(t, c.do("GET", "sites/"+other.siteID, nil), 403, "403000")
	wantError(t, c.do("GET", "sites/00000000-0000-0000-0000-000000000000/workbooks", nil), 404, "404000")
	// The server administrator of Default sees both sites; the demo site
	// administrator sees the sites where a user of the same name exists.
	a := other.do("GET", "sites", nil)
	wantStatus(t, a, 200)
	if a.str("pagination", "totalAvailable") != "2" {
		t.Fatalf("sites for server admin: %s", a.raw)
	}
}

func TestSiteGetAndUsage(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", "sites/"+c.siteID, nil)
	wantStatus(t, a, 200)
	if a.str("site", "contentUrl") != "demo" || a.str("site", "name") != "Tableau MCP Demo (sample data)" || a.get("site", "usage") != nil {
		t.Fatalf("site: %s", a.raw)
	}
	a = c.do("GET", "sites/"+c.siteID+"?includeUsageStatistics=true", nil)
	if a.str("site", "usage", "numUsers") != "13" {
		t.Fatalf("usage: %s", a.raw)
	}
	a = c.do("GET", "sites/demo?key=contentUrl", nil)
	wantStatus(t, a, 200)
	if a.str("site", "id") != c.siteID {
		t.Fatalf("by contentUrl: %s", a.raw)
	}
	a = c.do("GET", "sites", nil)
	wantStatus(t, a, 200)
	if got := names(a, "sites", "site"); len(got) != 2 {
		t.Fatalf("sites: %v", got)
	}
}

func TestXMLWhenAcceptLacksJSON(t *testing.T) {
	e, c := signedIn(t, Config{})
	c.accept = ""
	a := c.do("GET", c.site("workbooks?pageSize=2"), nil)
	wantStatus(t, a, 200)
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("content type %q", a.header.Get("Content-Type"))
	}
	var doc struct {
		XMLName    xml.Name `xml:"http://tableau.com/api tsResponse"`
		Pagination struct {
			Total string `xml:"totalAvailable,attr"`
		} `xml:"pagination"`
		Workbooks []struct {
			ID   string `xml:"id,attr"`
			Name string `xml:"name,attr"`
		} `xml:"workbooks>workbook"`
	}
	if err := xml.Unmarshal(a.raw, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, a.raw)
	}
	if doc.Pagination.Total != "12" || len(doc.Workbooks) != 2 || doc.Workbooks[0].Name != "Superstore Sales" {
		t.Fatalf("xml doc %+v", doc)
	}

	c.accept = "text/html, */*"
	a = c.do("GET", c.site("workbooks/nope"), nil)
	wantStatus(t, a, 404)
	var xe struct {
		XMLName xml.Name `xml:"tsResponse"`
		Error   struct {
			Code    string `xml:"code,attr"`
			Summary string `xml:"summary"`
			Detail  string `xml:"detail"`
		} `xml:"error"`
	}
	if err := xml.Unmarshal(a.raw, &xe); err != nil {
		t.Fatalf("error not XML: %v\n%s", err, a.raw)
	}
	if xe.Error.Code != "404006" || xe.Error.Summary == "" || !strings.Contains(xe.Error.Detail, "nope") {
		t.Fatalf("xml error %+v", xe)
	}
	c.token = ""
	a = c.do("GET", c.site("workbooks"), nil)
	if a.status != 401 || !strings.Contains(string(a.raw), `<error code="401000">`) {
		t.Fatalf("xml 401: %d %s", a.status, a.raw)
	}
	_ = e
}

func TestVizQLRouting(t *testing.T) {
	var seen SessionInfo
	vds := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = SessionFromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[],"echo":` + string(b) + `}`))
	})
	e, c := signedIn(t, Config{VizQL: vds})
	root := strings.TrimSuffix(c.base, "/api/3.28/")
	a := c.do("POST", root+"/api/v1/vizql-data-service/read-metadata", `{"x":1}`)
	wantStatus(t, a, 200)
	if seen.SiteID != c.siteID || seen.UserID != c.userID {
		t.Fatalf("session passed to VizQL: %+v", seen)
	}
	if v, _ := a.get("echo", "x").(float64); v != 1 {
		t.Fatalf("body not passed on: %s", a.raw)
	}
	tok := c.token
	c.token = ""
	a = c.do("POST", strings.TrimSuffix(c.base, "/api/3.28/")+"/api/v1/vizql-data-service/query-datasource", `{}`)
	wantStatus(t, a, 401)
	var vdsErr map[string]any
	if err := json.Unmarshal(a.raw, &vdsErr); err != nil || vdsErr["errorCode"] != "401002" || vdsErr["message"] == "" || vdsErr["datetime"] == "" {
		t.Fatalf("VDS error body: %s", a.raw)
	}
	c.token = "bogus"
	wantStatus(t, c.do("POST", strings.TrimSuffix(c.base, "/api/3.28/")+"/api/v1/vizql-data-service/query-datasource", `{}`), 401)
	c.token = tok
	_ = e

	// Without a handler the paths do not exist.
	_, c2 := signedIn(t, Config{})
	wantStatus(t, c2.do("POST", strings.TrimSuffix(c2.base, "/api/3.28/")+"/api/v1/vizql-data-service/read-metadata", `{}`), 404)
}
