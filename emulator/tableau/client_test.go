package tableauemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for session and job timing.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// answer is one HTTP answer as a client sees it.
type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// get walks the decoded JSON by keys ("credentials", "site", "id") and
// integer indexes for arrays.
func (a answer) get(path ...any) any {
	var cur any = a.json
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (a answer) str(path ...any) string {
	s, _ := a.get(path...).(string)
	return s
}

func (a answer) list(path ...any) []any {
	l, _ := a.get(path...).([]any)
	return l
}

// testClient talks to the emulator over real HTTP, as a client would.
type testClient struct {
	t      *testing.T
	base   string
	token  string
	siteID string
	userID string
	accept string
	// ctype is the Content-Type of bodies sent; empty: application/json.
	ctype string
}

func startEmu(t *testing.T, cfg Config) (*Emulator, *httptest.Server) {
	t.Helper()
	e := New(cfg)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

func newClient(t *testing.T, srv *httptest.Server) *testClient {
	return &testClient{t: t, base: srv.URL + "/api/3.28/", accept: "application/json"}
}

func (c *testClient) do(method, path string, body any) answer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = c.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if rd != nil {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("X-Tableau-Auth", c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a.json); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	}
	return a
}

// site prefixes a path with sites/{site-luid}/.
func (c *testClient) site(path string) string { return "sites/" + c.siteID + "/" + path }

func signInBody(name, secret, site string) map[string]any {
	return map[string]any{"credentials": map[string]any{
		"personalAccessTokenName": name, "personalAccessTokenSecret": secret,
		"site": map[string]any{"contentUrl": site}}}
}

func (c *testClient) signIn(p PAT) answer {
	c.t.Helper()
	a := c.do("POST", "auth/signin", signInBody(p.Name, p.Secret, p.SiteContentURL))
	if a.status != http.StatusOK {
		c.t.Fatalf("sign-in: %d %s", a.status, a.raw)
	}
	c.token = a.str("credentials", "token")
	c.siteID = a.str("credentials", "site", "id")
	c.userID = a.str("credentials", "user", "id")
	return a
}

// signedIn starts an emulator and a client signed in with the default PAT.
func signedIn(t *testing.T, cfg Config) (*Emulator, *testClient) {
	e, srv := startEmu(t, cfg)
	c := newClient(t, srv)
	c.signIn(e.DefaultPAT())
	return e, c
}

func wantStatus(t *testing.T, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.raw)
	}
}

// wantError checks the status and Tableau's error body
// {"error":{"code","summary","detail"}}.
func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	wantStatus(t, a, status)
	if got := a.str("error", "code"); got != code {
		t.Fatalf("error code %q, want %q; body %s", got, code, a.raw)
	}
	if a.str("error", "summary") == "" || a.str("error", "detail") == "" {
		t.Fatalf("error needs summary and detail: %s", a.raw)
	}
}

// names lists the "name" members of a collection such as workbooks.workbook.
func names(a answer, plural, singular string) []string {
	var out []string
	for _, it := range a.list(plural, singular) {
		if m, ok := it.(map[string]any); ok {
			s, _ := m["name"].(string)
			out = append(out, s)
		}
	}
	return out
}
