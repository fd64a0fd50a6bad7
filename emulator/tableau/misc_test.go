package tableauemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestFailNextAndRecording(t *testing.T) {
	e, c := signedIn(t, Config{})
	e.FailNext("GET", "/workbooks", 503, "503000")
	e.FailNext("", "/datasources", 429, "429000")
	wantError(t, c.do("GET", c.site("workbooks"), nil), 503, "503000")
	wantStatus(t, c.do("GET", c.site("workbooks"), nil), 200)
	wantStatus(t, c.do("GET", c.site("views"), nil), 200) // not matching: fault stays queued
	wantError(t, c.do("GET", c.site("datasources"), nil), 429, "429000")
	wantStatus(t, c.do("GET", c.site("datasources"), nil), 200)

	recs := e.Requests()
	if len(recs) != 6 { // sign-in + 5
		t.Fatalf("%d requests recorded", len(recs))
	}
	if recs[0].Method != "POST" || recs[0].Path != "/api/3.28/auth/signin" || !strings.Contains(string(recs[0].Body), "demo-pat") || recs[0].Status != 200 {
		t.Fatalf("first record %+v", recs[0])
	}
	if recs[1].Status != 503 || recs[1].Header.Get("X-Tableau-Auth") != c.token || recs[1].Header.Get("Accept") != "application/json" {
		t.Fatalf("second record %+v", recs[1])
	}
	recs[1].Header.Set("X-Tableau-Auth", "changed")
	if e.Requests()[1].Header.Get("X-Tableau-Auth") != c.token {
		t.Fatal("Requests shares its headers")
	}
	st := e.Stats()
	if st.Requests != 6 || st.ByRoute["GET /api/{v}/sites/{site}/workbooks"] != 1 || st.ByRoute["GET /api/{v}/sites/{site}/datasources"] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDeterministicSampleAndLookups(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	if a.DefaultPAT() != b.DefaultPAT() {
		t.Fatal("default PAT differs between runs")
	}
	ida, ok1 := a.DatasourceIDByName("demo", "Superstore Orders")
	idb, ok2 := b.DatasourceIDByName("demo", "Superstore Orders")
	if !ok1 || !ok2 || ida != idb || len(ida) != 36 {
		t.Fatalf("Superstore Orders: %q %q", ida, idb)
	}
	if _, ok := a.DatasourceIDByName("demo", "superstore orders"); ok {
		t.Fatal("data source names are exact")
	}
	if name, ok := a.DatasourceName(ida); !ok || name != "Superstore Orders" {
		t.Fatalf("DatasourceName %q", name)
	}
	if _, ok := a.DatasourceIDByName("", "Superstore Orders"); !ok {
		t.Fatal("Default site lacks Superstore Orders")
	}

	e, c := signedIn(t, Config{})
	a1 := c.do("GET", c.site("views?pageSize=1000"), nil)
	views := a1.list("views", "view")
	if len(views) < 24 {
		t.Fatalf("only %d views", len(views))
	}
	superstore := 0
	for i := range views {
		id := a1.str("views", "view", i, "id")
		vc, ok := e.ViewChart(id)
		if !ok || vc.ViewName != a1.str("views", "view", i, "name") || vc.WorkbookName == "" || vc.Dimension == "" || vc.Measure == "" || vc.Datasource == "" {
			t.Fatalf("ViewChart(%s) = %+v", id, vc)
		}
		if vc.Datasource == "Superstore Orders" {
			superstore++
		}
	}
	if superstore*4 < len(views)*3 {
		t.Fatalf("only %d of %d views chart Superstore Orders", superstore, len(views))
	}
	if _, ok := e.ViewChart("nope"); ok {
		t.Fatal("ViewChart of an unknown view")
	}
	if strings.Contains(string(a1.raw), "Dimension") || strings.Contains(string(a1.raw), "chart") {
		t.Fatal("hidden chart fields leak into JSON")
	}
	// Every site role is present.
	a2 := c.do("GET", c.site("users"), nil)
	roles := map[string]bool{}
	for i := range a2.list("users", "user") {
		roles[a2.str("users", "user", i, "siteRole")] = true
	}
	for _, r := range siteRoles {
		if !roles[r] {
			t.Errorf("no %s user", r)
		}
	}
}

// TestOddInputsNeverBreak throws odd paths, methods and bodies at the
// emulator: every answer must be a well-formed client or auth error, never
// a 5xx or a dropped connection.
func TestOddInputsNeverBreak(t *testing.T) {
	e, c := signedIn(t, Config{})
	sid := c.siteID
	wb, _ := e.DatasourceIDByName("demo", "Superstore Orders")
	paths := []string{
		"", "/", "/api", "/api/", "/api/3.28", "/api/3.28/", "/api//serverinfo", "/api/x.y/serverinfo", "/api/99999999999999999999.1/serverinfo",
		"/api/3.28/sites/", "/api/3.28/sites//workbooks", "/api/3.28/sites/" + sid + "/workbooks/", "/api/3.28/sites/" + sid + "/workbooks/%2F..%2F",
		"/api/3.28/sites/" + sid + "/workbooks/" + strings.Repeat("a", 5000), "/api/3.28/sites/" + sid + "/datasources/" + wb + "/permissions/users/x/Read",
		"/api/3.28/sites/" + sid + "/datasources/" + wb + "/permissions/groups/x/Read/Allow", "/api/3.28/sites/" + sid + "/tasks/extractRefreshes/x/runNow",
		"/api/3.28/schedules/x", "/api/3.28/auth/signin", "/api/3.28/sites/" + sid + "/users/%00", "/api/3.28/sites/" + sid + "/groups/x/users/y",
		"/api/v1/vizql-data-service/", "/api/3.28/sites/" + sid + "/projects/x", "/api/3.28/sites/" + sid + "/jobs/x",
	}
	bodies := []string{"", "{}", "null", "[]", "42", `"s"`, "{", `{"workbook":null}`, `{"workbook":[]}`, `{"project":{"name":5}}`,
		`{"user":{"name":{},"siteRole":[]}}`, `{"permissions":{"granteeCapabilities":[1,2]}}`, `{"permissions":{"granteeCapabilities":{"user":{"id":7}}}}`,
		`{"schedule":{"frequencyDetails":{"start":"x","intervals":{"interval":[{"hours":"1","minutes":"15"}]}}}}`,
		`{"credentials":{"site":"demo"}}`, `{"group":{"name":""}}`, "<tsRequest/>", "\x00\xff", `{"a":1}{"b":2}`}
	queries := []string{"", "?pageSize=", "?pageNumber=-5", "?filter=", "?filter=%3A%3A", "?filter=name:in:[", "?sort=,", "?filter=name:eq:a,,", "?key=x", "?includeUsageStatistics=maybe"}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
	tokens := []string{c.token, "", "garbage"}
	n := 0
	for i, p := range paths {
		for j, m := range methods {
			b := bodies[(i+j)%len(bodies)]
			qs := queries[(i*3+j)%len(queries)]
			tok := tokens[(i+j)%len(tokens)]
			req := httptest.NewRequest(m, "http://emu.local/x", strings.NewReader(b))
			req.URL.Path, req.URL.RawPath, req.URL.RawQuery = "", "", strings.TrimPrefix(qs, "?")
			if u, err := req.URL.Parse(p + qs); err == nil {
				req.URL = u
			} else {
				continue
			}
			req.Header.Set("Accept", []string{"application/json", "", "application/xml"}[n%3])
			if tok != "" {
				req.Header.Set("X-Tableau-Auth", tok)
			}
			rr := httptest.NewRecorder()
			e.ServeHTTP(rr, req)
			n++
			if rr.Code >= 500 || rr.Code < 200 {
				t.Errorf("%s %s%s body %q: status %d %s", m, p, qs, b, rr.Code, rr.Body.String())
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d requests", n)
	}
	// The session still works afterwards (the garbage token did not kill it,
	// sign-in bodies with bad shapes did not replace it).
	wantStatus(t, c.do("GET", c.site("workbooks?pageSize=1"), nil), 200)
}

func TestConcurrentUse(t *testing.T) {
	e, c := signedIn(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				req := httptest.NewRequest("GET", "/api/3.28/"+c.site("workbooks?pageSize=3"), nil)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("X-Tableau-Auth", c.token)
				rr := httptest.NewRecorder()
				e.ServeHTTP(rr, req)
				if rr.Code != 200 {
					errs <- fmt.Sprint(rr.Code)
				}
				name := fmt.Sprintf(`{"group":{"name":"g-%d-%d"}}`, i, k)
				req = httptest.NewRequest("POST", "/api/3.28/"+c.site("groups"), strings.NewReader(name))
				req.Header.Set("X-Tableau-Auth", c.token)
				rr = httptest.NewRecorder()
				e.ServeHTTP(rr, req)
				if rr.Code != http.StatusCreated {
					errs <- fmt.Sprint(rr.Code, rr.Body.String())
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	a := c.do("GET", c.site("groups?filter=name:has:g-"), nil)
	if a.str("pagination", "totalAvailable") != "160" {
		t.Fatalf("groups created concurrently: %s", a.str("pagination", "totalAvailable"))
	}
}

func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = New(Config{})
	}
}

func BenchmarkListWorkbooks(b *testing.B) {
	e := New(Config{})
	req := httptest.NewRequest("POST", "/api/3.28/auth/signin", strings.NewReader(
		`{"credentials":{"personalAccessTokenName":"demo-pat","personalAccessTokenSecret":"demo-secret","site":{"contentUrl":"demo"}}}`))
	req.Header.Set("Accept", "application/json")
	rr := httptest.NewRecorder()
	e.ServeHTTP(rr, req)
	body := rr.Body.String()
	token := body[strings.Index(body, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	site := token[strings.LastIndex(token, "|")+1:]
	path := "/api/3.28/sites/" + site + "/workbooks?filter=hasExtracts:eq:true&sort=name:asc&pageSize=50"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Tableau-Auth", token)
		rr := httptest.NewRecorder()
		e.ServeHTTP(rr, req)
		if rr.Code != 200 {
			b.Fatal(rr.Code, rr.Body.String())
		}
	}
}
