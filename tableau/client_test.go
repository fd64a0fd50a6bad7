package tableau

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// factServer is a minimal Tableau written from the reference facts alone
// (not from the project's emulator): serverinfo, PAT sign-in with one live
// session per PAT, X-Tableau-Auth on every call, JSON only with the Accept
// header, and the REST error body.
type factServer struct {
	mu              sync.Mutex
	token           string
	signIns         atomic.Int32
	signOuts        atomic.Int32
	serverinfoCalls atomic.Int32
	lastSignin      map[string]any
	paths           []string
}

const siteLUID = "a1b2c3d4-0000-4000-8000-000000000001"

func (f *factServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	writeErr := func(status int, code, summary, detail string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "summary": summary, "detail": detail}})
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(400)
		io.WriteString(w, `<tsResponse><error code="400000"><summary>Bad Request</summary><detail>xml</detail></error></tsResponse>`)
		return
	}
	f.mu.Lock()
	f.paths = append(f.paths, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/serverinfo"):
		f.serverinfoCalls.Add(1)
		io.WriteString(w, `{"serverInfo":{"productVersion":{"value":"2025.3.0","build":"x"},"restApiVersion":"3.27"}}`)
		return
	case r.URL.Path == "/api/3.27/auth/signin" && r.Method == "POST":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.lastSignin = body
		n := f.signIns.Add(1)
		f.token = "tok-" + string(rune('0'+n))
		tok := f.token
		f.mu.Unlock()
		if r.Header.Get("Content-Type") != "application/json" {
			writeErr(400, "400000", "Bad Request", "content type")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"credentials": map[string]any{
			"site": map[string]any{"id": siteLUID, "contentUrl": "mysite"}, "user": map[string]any{"id": "u1"},
			"token": tok, "estimatedTimeToExpiration": "239:59:59"}})
		return
	}
	f.mu.Lock()
	live := f.token
	f.mu.Unlock()
	got := r.Header.Get("X-Tableau-Auth")
	if got == "" {
		writeErr(401, "401000", "Unauthorized", "no credentials")
		return
	}
	if got != live {
		writeErr(401, "401002", "Unauthorized Access", "Invalid authentication credentials were provided.")
		return
	}
	switch {
	case r.URL.Path == "/api/3.27/auth/signout":
		f.signOuts.Add(1)
		f.mu.Lock()
		f.token = ""
		f.mu.Unlock()
		w.WriteHeader(204)
	case r.URL.Path == "/api/3.27/sites/"+siteLUID+"/workbooks":
		io.WriteString(w, `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"0"},"workbooks":{}}`)
	case r.URL.Path == "/api/3.27/sites/"+siteLUID+"/users/"+siteLUID:
		w.WriteHeader(204)
	default:
		writeErr(404, "404006", "Resource Not Found", "Workbook could not be found.")
	}
}

func newTestClient(t *testing.T, f http.Handler, version string) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{ServerURL: srv.URL + "/", Site: "mysite", PATName: "n", PATSecret: "s", APIVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var listWorkbooks = backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks"}}

func TestSignsInOnceAndReusesTheSession(t *testing.T) {
	f := &factServer{}
	c := newTestClient(t, f, "")
	for i := 0; i < 5; i++ {
		raw, err := c.Invoke(context.Background(), listWorkbooks)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"workbooks":{}`) {
			t.Fatalf("answer %s", raw)
		}
	}
	if f.signIns.Load() != 1 || f.serverinfoCalls.Load() != 1 {
		t.Fatalf("%d sign-ins, %d serverinfo calls; want 1 and 1", f.signIns.Load(), f.serverinfoCalls.Load())
	}
	creds := f.lastSignin["credentials"].(map[string]any)
	if creds["personalAccessTokenName"] != "n" || creds["personalAccessTokenSecret"] != "s" || creds["site"].(map[string]any)["contentUrl"] != "mysite" {
		t.Fatalf("sign-in body %v", f.lastSignin)
	}
}

func TestExpiredSessionSignsInOnceForConcurrentCalls(t *testing.T) {
	f := &factServer{}
	c := newTestClient(t, f, "3.27")
	if _, err := c.Invoke(context.Background(), listWorkbooks); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.token = "someone-else" // the session ended (expired, or the PAT signed in elsewhere)
	f.mu.Unlock()
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Invoke(context.Background(), listWorkbooks); err != nil {
				failures.Add(1)
				t.Log(err)
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d calls failed after the session expired", failures.Load())
	}
	if f.signIns.Load() != 2 {
		t.Fatalf("%d sign-ins, want 2 (first, then one renewal for all 20 calls)", f.signIns.Load())
	}
	if f.serverinfoCalls.Load() != 0 {
		t.Fatal("serverinfo called although TABLEAU_API_VERSION was given")
	}
}

func TestErrorsCarryTableauCodes(t *testing.T) {
	f := &factServer{}
	c := newTestClient(t, f, "3.27")
	_, err := c.Invoke(context.Background(), backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks/" + siteLUID}})
	var ae *backend.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "404006" || ae.Summary != "Resource Not Found" {
		t.Fatalf("got %#v", err)
	}
}

func TestEmptyAnswerBecomesEmptyObject(t *testing.T) {
	c := newTestClient(t, &factServer{}, "3.27")
	raw, err := c.Invoke(context.Background(), backend.Call{Request: backend.Request{Method: "DELETE", Path: "/users/" + siteLUID}})
	if err != nil || string(raw) != "{}" {
		t.Fatalf("got %s %v", raw, err)
	}
}

func TestSignOutEndsTheSessionAndNextCallSignsIn(t *testing.T) {
	f := &factServer{}
	c := newTestClient(t, f, "3.27")
	c.Invoke(context.Background(), listWorkbooks)
	raw, err := c.Invoke(context.Background(), backend.Call{Request: backend.Request{Method: "POST", Scope: backend.APIScope, Path: "/auth/signout"}})
	if err != nil || !strings.Contains(string(raw), "signedOut") || f.signOuts.Load() != 1 {
		t.Fatalf("sign-out: %s %v (%d)", raw, err, f.signOuts.Load())
	}
	if _, err := c.Invoke(context.Background(), listWorkbooks); err != nil || f.signIns.Load() != 2 {
		t.Fatalf("after sign-out: %v, %d sign-ins", err, f.signIns.Load())
	}
	if err := c.Close(context.Background()); err != nil || f.signOuts.Load() != 2 {
		t.Fatalf("close: %v, %d sign-outs", err, f.signOuts.Load())
	}
}

func TestBadSignInExplainsWhatToCheck(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"code":"401001","summary":"Signin Error","detail":"Error signing in to Tableau Server"}}`)
	})
	c := newTestClient(t, h, "3.27")
	_, err := c.Invoke(context.Background(), listWorkbooks)
	if err == nil || !strings.Contains(err.Error(), "401001") || !strings.Contains(err.Error(), "TABLEAU_PAT_SECRET") || strings.Contains(err.Error(), `"s"`) {
		t.Fatalf("got %v", err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{ServerURL: "ftp://x", PATName: "a", PATSecret: "b"}, "TABLEAU_SERVER_URL"},
		{Config{ServerURL: "https://x", PATName: "a"}, "TABLEAU_PAT_SECRET"},
		{Config{ServerURL: "https://x", PATName: "a", PATSecret: "b", APIVersion: "latest"}, "TABLEAU_API_VERSION"},
		{Config{ServerURL: "https://10ax.online.tableau.com/#/site/mysite/home", PATName: "a", PATSecret: "b"}, `give the server only, such as https://10ax.online.tableau.com; the site "mysite" goes in TABLEAU_SITE`},
	} {
		if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}

func TestVersionProbeFallsBackWhenOldPathIsRefused(t *testing.T) {
	f := &factServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/2.4/") {
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"404003","summary":"Not Found","detail":"unknown version"}}`)
			return
		}
		f.ServeHTTP(w, r)
	})
	c := newTestClient(t, h, "")
	if _, err := c.Invoke(context.Background(), listWorkbooks); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Version(context.Background()); v != "3.27" {
		t.Fatalf("version %q", v)
	}
}

// TestLoginPageIsNotTakenForAnAnswer: a proxy or login page answering 200
// with HTML is reported as such, not passed to the model as Tableau's JSON.
func TestLoginPageIsNotTakenForAnAnswer(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/signin") {
			io.WriteString(w, `{"credentials":{"site":{"id":"`+siteLUID+`"},"user":{"id":"u1"},"token":"t"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!DOCTYPE html><html><head><title>Sign In</title></head><body></body></html>")
	}), "3.27")
	_, err := c.Invoke(context.Background(), listWorkbooks)
	if err == nil || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), "TABLEAU_SERVER_URL") {
		t.Fatalf("got %v, want the body called not JSON with the setting to check", err)
	}
}
