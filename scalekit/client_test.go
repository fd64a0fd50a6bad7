package scalekit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/backend/upstream"
)

// fake answers from the reference facts alone, independent of the project's
// Scalekit emulator.
type fake struct {
	tokens  atomic.Int32
	form    string
	execute func(w http.ResponseWriter, body map[string]any)
	proxy   func(w http.ResponseWriter, r *http.Request)
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/oauth/token":
		b, _ := io.ReadAll(r.Body)
		f.form = r.Header.Get("Content-Type") + " " + string(b)
		f.tokens.Add(1)
		io.WriteString(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":86399,"scope":"openid"}`)
	case r.URL.Path == "/api/v1/execute_tool":
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(401)
			io.WriteString(w, `{"code":16,"message":"Token empty","details":[{"@type":"type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":"UNAUTHENTICATED"}]}`)
			return
		}
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		f.execute(w, body)
	case strings.HasPrefix(r.URL.Path, "/proxy/"):
		f.proxy(w, r)
	default:
		w.WriteHeader(404)
	}
}

func newFake(t *testing.T, f *fake) *Client {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{EnvironmentURL: srv.URL, ClientID: "cid", ClientSecret: "csecret", Retry: upstream.Policy{Backoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ctxA = auth.WithIdentity(context.Background(), "user_123")

func TestWireFormOfTokenAndExecuteTool(t *testing.T) {
	var got map[string]any
	f := &fake{execute: func(w http.ResponseWriter, body map[string]any) {
		got = body
		io.WriteString(w, `{"data":{"workbooks":{"workbook":[{"id":"x"}]}},"execution_id":"e1"}`)
	}}
	c := newFake(t, f)
	for i := 0; i < 3; i++ {
		raw, err := c.Invoke(ctxA, backend.Call{Tool: "tableau_workbooks_list", Forward: true, Params: map[string]any{"page_size": 5}})
		if err != nil || string(raw) != `{"workbooks":{"workbook":[{"id":"x"}]}}` {
			t.Fatalf("%s %v", raw, err)
		}
	}
	if f.tokens.Load() != 1 {
		t.Errorf("%d token requests for 3 calls", f.tokens.Load())
	}
	if f.form != "application/x-www-form-urlencoded client_id=cid&client_secret=csecret&grant_type=client_credentials" {
		t.Errorf("token request %q", f.form)
	}
	want := `{"connector":"tableau","identifier":"user_123","params":{"page_size":5},"tool_name":"tableau_workbooks_list"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("execute_tool body %s, want %s", b, want)
	}
}

func TestToolErrorInfoAtEitherPlace(t *testing.T) {
	for _, body := range []string{
		`{"code":7,"message":"tool failed","details":[{"@type":"x","error_code":"TOOL_ERROR","tool_error_info":{"execution_id":"e","tool_error_message":"Forbidden: no access","tool_error_code":"403133"}}]}`,
		`{"code":7,"message":"tool failed","details":[{"error_code":"TOOL_ERROR"}],"tool_error_info":{"execution_id":"e","tool_error_message":"Forbidden: no access","tool_error_code":403133}}`,
	} {
		f := &fake{execute: func(w http.ResponseWriter, _ map[string]any) { w.WriteHeader(403); io.WriteString(w, body) }}
		_, err := newFake(t, f).Invoke(ctxA, backend.Call{Tool: "tableau_users_list", Forward: true})
		var ae *backend.APIError
		if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "403133" || !strings.Contains(ae.Summary, "no access") {
			t.Errorf("%s: got %#v", body, err)
		}
	}
}

func TestProxyCarriesIdentityAndPassesTableauErrors(t *testing.T) {
	var hdr http.Header
	var path string
	f := &fake{
		execute: func(w http.ResponseWriter, body map[string]any) {
			io.WriteString(w, `{"data":{"session":{"site":{"id":"9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"},"user":{"id":"u"}}}}`)
		},
		proxy: func(w http.ResponseWriter, r *http.Request) {
			hdr, path = r.Header.Clone(), r.URL.RequestURI()
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"404012","summary":"Not Found","detail":"Group could not be found."}}`)
		},
	}
	c := newFake(t, f)
	_, err := c.Invoke(ctxA, backend.Call{Tool: "tableau_group_users_list", Request: backend.Request{Method: "GET", Path: "/groups/g1/users"}})
	var ae *backend.APIError
	if !errors.As(err, &ae) || ae.Code != "404012" {
		t.Fatalf("got %v", err)
	}
	if path != "/proxy/api/3.28/sites/9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e/groups/g1/users" {
		t.Errorf("proxy path %s", path)
	}
	if hdr.Get("connection_name") != "tableau" || hdr.Get("identifier") != "user_123" || hdr.Get("Authorization") != "Bearer at-1" {
		t.Errorf("proxy headers %v", hdr)
	}
}

func TestNoIdentityNoCall(t *testing.T) {
	f := &fake{execute: func(w http.ResponseWriter, _ map[string]any) { t.Error("call made without identity") }}
	_, err := newFake(t, f).Invoke(context.Background(), backend.Call{Tool: "tableau_workbooks_list", Forward: true})
	if err == nil || !strings.Contains(err.Error(), "SCALEKIT_IDENTIFIER") {
		t.Fatalf("got %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := New(Config{EnvironmentURL: "nope", ClientID: "a", ClientSecret: "b"}); err == nil || !strings.Contains(err.Error(), "SCALEKIT_ENVIRONMENT_URL") {
		t.Error(err)
	}
	if _, err := New(Config{EnvironmentURL: "https://x", ClientID: "a"}); err == nil || !strings.Contains(err.Error(), "SCALEKIT_CLIENT_SECRET") {
		t.Error(err)
	}
}

func TestShortLivedTokensAreReusedUntilNearExpiry(t *testing.T) {
	var tokens atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			tokens.Add(1)
			io.WriteString(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":60}`)
			return
		}
		io.WriteString(w, `{"data":{}}`)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, _ := New(Config{EnvironmentURL: srv.URL, ClientID: "a", ClientSecret: "b"})
	for i := 0; i < 5; i++ {
		if _, err := c.Invoke(ctxA, backend.Call{Tool: "tableau_workbooks_list", Forward: true}); err != nil {
			t.Fatal(err)
		}
	}
	if tokens.Load() != 1 {
		t.Errorf("%d token requests for 5 calls with a 60 s token, want 1", tokens.Load())
	}
}

func TestUnknownToolAndAccountAreToldApart(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"tool tableau_nope not found", "does not know the tool"},
		{"connected account not found for identifier user_123", "no connected account for identifier \"user_123\""},
	} {
		f := &fake{execute: func(w http.ResponseWriter, _ map[string]any) {
			w.WriteHeader(404)
			io.WriteString(w, `{"code":5,"message":"`+c.msg+`","details":[{"@type":"type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":"NOT_FOUND"}]}`)
		}}
		_, err := newFake(t, f).ExecuteTool(context.Background(), "user_123", "tableau_nope", nil, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v", c.msg, err)
		}
	}
}

// TestToolTheConnectorLacksFallsBackToTheProxy: when Scalekit's connector
// answers that it does not know a tool, the tool's own REST call runs over
// the proxy, then and on later calls, without asking execute_tool again.
func TestToolTheConnectorLacksFallsBackToTheProxy(t *testing.T) {
	var executes, proxied atomic.Int32
	f := &fake{
		execute: func(w http.ResponseWriter, body map[string]any) {
			if body["tool_name"] == "tableau_session_get" {
				io.WriteString(w, `{"data":{"session":{"site":{"id":"9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"}}}}`)
				return
			}
			executes.Add(1)
			w.WriteHeader(404)
			io.WriteString(w, `{"code":5,"message":"tool not found","details":[{"error_code":"NOT_FOUND"}]}`)
		},
		proxy: func(w http.ResponseWriter, r *http.Request) {
			proxied.Add(1)
			io.WriteString(w, `{"views":{"view":[{"id":"v1"}]}}`)
		},
	}
	c := newFake(t, f)
	call := backend.Call{Tool: "tableau_list_views", Forward: true, Request: backend.Request{Method: "GET", Path: "/workbooks/w/views"}}
	for i := 0; i < 2; i++ {
		raw, err := c.Invoke(ctxA, call)
		if err != nil || !strings.Contains(string(raw), "v1") {
			t.Fatalf("%s %v", raw, err)
		}
	}
	if executes.Load() != 1 || proxied.Load() != 2 {
		t.Errorf("%d execute_tool and %d proxied calls, want 1 and 2", executes.Load(), proxied.Load())
	}
}
