package scalekitemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// fakeTableau is a small Tableau server for these tests: PAT sign-in with
// one live session per PAT, a few REST reads, a PNG view image, a download,
// the VizQL Data Service query, and a recording catch-all for every other
// path so the wire form of each tool can be checked.
type fakeTableau struct {
	patName, patSecret, site string
	siteID, userID           string
	png                      []byte

	mu       sync.Mutex
	token    string // the one live session
	n        int
	signIns  int
	requests []fakeRecorded
	failNext []fakeFault
	// vdsAnswer is what query-datasource answers.
	vdsAnswer string
}

type fakeRecorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

type fakeFault struct {
	contains string
	status   int
	code     string
}

func newFakeTableau() *fakeTableau {
	png := []byte("\x89PNG\r\n\x1a\n")
	for i := 0; i < 3000; i++ { // some binary payload, NUL bytes included
		png = append(png, byte(i), byte(i>>8), 0, 0xff)
	}
	return &fakeTableau{
		patName: "mcp-pat", patSecret: "s3cr3t-PAT-value", site: "mysite",
		siteID: "9a8b7c6d-0000-4000-8000-000000000001", userID: "9a8b7c6d-0000-4000-8000-0000000000aa",
		png:       png,
		vdsAnswer: `{"data":[{"Region":"East","SUM(Sales)":123.5}]}`,
	}
}

func (f *fakeTableau) recorded() []fakeRecorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRecorded(nil), f.requests...)
}

// find returns the recorded requests whose path ends with suffix.
func (f *fakeTableau) find(method, suffix string) []fakeRecorded {
	var out []fakeRecorded
	for _, r := range f.recorded() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeTableau) expireSession() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token = ""
}

func (f *fakeTableau) fail(contains string, status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = append(f.failNext, fakeFault{contains, status, code})
}

func (f *fakeTableau) signInCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signIns
}

func tabErr(w http.ResponseWriter, status int, code, summary, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"summary":%q,"detail":%q}}`, code, summary, detail)
}

func tabJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeTableau) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	// The escaped path shows how IDs were put into segments.
	f.requests = append(f.requests, fakeRecorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
	var fault *fakeFault
	for i, ff := range f.failNext {
		if strings.Contains(r.URL.Path, ff.contains) {
			fault = &ff
			f.failNext = append(f.failNext[:i], f.failNext[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
	if fault != nil {
		tabErr(w, fault.status, fault.code, http.StatusText(fault.status), "injected by the test")
		return
	}

	const v = "/api/3.28"
	p := r.URL.Path
	if p == v+"/auth/signin" && r.Method == http.MethodPost {
		var in struct {
			Credentials struct {
				Name   string `json:"personalAccessTokenName"`
				Secret string `json:"personalAccessTokenSecret"`
				Site   struct {
					ContentURL string `json:"contentUrl"`
				} `json:"site"`
			} `json:"credentials"`
		}
		if json.Unmarshal(body, &in) != nil || in.Credentials.Name != f.patName ||
			in.Credentials.Secret != f.patSecret || in.Credentials.Site.ContentURL != f.site {
			tabErr(w, 401, "401001", "Signin Error", "Error signing in to Tableau Server")
			return
		}
		f.mu.Lock()
		f.n++
		f.signIns++
		f.token = fmt.Sprintf("tab-token-%d", f.n) // a new sign-in ends the old session
		tok := f.token
		f.mu.Unlock()
		tabJSON(w, 200, fmt.Sprintf(`{"credentials":{"site":{"id":%q,"contentUrl":%q},"user":{"id":%q},"token":%q,"estimatedTimeToExpiration":"365:23:59"}}`,
			f.siteID, f.site, f.userID, tok))
		return
	}
	f.mu.Lock()
	live := f.token != "" && r.Header.Get("X-Tableau-Auth") == f.token
	f.mu.Unlock()
	if !live {
		tabErr(w, 401, "401002", "Unauthorized Access", "Invalid authentication credentials were provided.")
		return
	}
	site := v + "/sites/" + f.siteID
	switch {
	case p == v+"/auth/signout" && r.Method == http.MethodPost:
		f.expireSession()
		w.WriteHeader(http.StatusNoContent)
	case p == v+"/sessions/current":
		tabJSON(w, 200, fmt.Sprintf(`{"session":{"site":{"id":%q,"name":"My Site","contentUrl":%q},"user":{"id":%q,"name":"ana","siteRole":"Creator"}}}`,
			f.siteID, f.site, f.userID))
	case p == site+"/workbooks" && r.Method == http.MethodGet:
		tabJSON(w, 200, `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"2"},"workbooks":{"workbook":[`+
			`{"id":"11111111-1111-4111-8111-111111111111","name":"Sales","project":{"id":"p1","name":"Default"}},`+
			`{"id":"22222222-2222-4222-8222-222222222222","name":"Ops","project":{"id":"p1","name":"Default"}}]}}`)
	case strings.HasPrefix(p, site+"/workbooks/") && strings.HasSuffix(p, "/content"):
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="Sales.twbx"`)
		_, _ = w.Write(f.png)
	case strings.HasPrefix(p, site+"/workbooks/00000000-"):
		tabErr(w, 404, "404006", "Resource Not Found", "Workbook '00000000' could not be found.")
	case strings.HasPrefix(p, site+"/views/") && strings.HasSuffix(p, "/image"):
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Disposition", `inline; filename="view.png"`)
		_, _ = w.Write(f.png)
	case strings.HasPrefix(p, site+"/views/") && strings.HasSuffix(p, "/data"):
		w.Header().Set("Content-Type", "text/csv")
		_, _ = io.WriteString(w, "Region,Sales\nEast,10\n")
	case p == "/api/v1/vizql-data-service/query-datasource":
		tabJSON(w, 200, f.vdsAnswer)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		tabJSON(w, 200, `{"ok":{"path":`+fmt.Sprintf("%q", p)+`}}`)
	}
}
