package scalekitemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "skc_test_client"
	testClientSecret = "test-client-secret"
	testIdentifier   = "user_123"
)

// env is one emulator in front of one fake Tableau, with a valid token.
type env struct {
	t     *testing.T
	emu   *Emulator
	tab   *fakeTableau
	srv   *httptest.Server
	token string

	mu      sync.Mutex
	answers [][]byte // every answer body this test has read
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	tab := newFakeTableau()
	ts := httptest.NewServer(tab)
	t.Cleanup(ts.Close)
	cfg := Config{ClientID: testClientID, ClientSecret: testClientSecret, TableauURL: ts.URL}
	for _, m := range mutate {
		m(&cfg)
	}
	emu := New(cfg)
	emu.AddAccount(Account{
		Identifier: testIdentifier, PATName: tab.patName, PATSecret: tab.patSecret,
		SiteContentURL: tab.site, Domain: "prod-in-a.online.tableau.com",
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	e := &env{t: t, emu: emu, tab: tab, srv: srv}
	e.token = e.fetchToken()
	return e
}

func (e *env) send(req *http.Request) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("reading answer: %v", err)
	}
	e.mu.Lock()
	e.answers = append(e.answers, b)
	e.mu.Unlock()
	return resp.StatusCode, resp.Header, b
}

// call sends a request with the bearer token (unless auth is "").
func (e *env) call(method, path, auth string, hdr map[string]string, body []byte) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = []string{v} // as written: connection_name keeps its underscore
	}
	return e.send(req)
}

func (e *env) tokenForm(form url.Values) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, b := e.send(req)
	return status, b
}

func (e *env) fetchToken() string {
	e.t.Helper()
	status, b := e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	if status != 200 {
		e.t.Fatalf("token: %d %s", status, b)
	}
	var tok tokenAnswer
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		e.t.Fatalf("token answer %s: %v", b, err)
	}
	return tok.AccessToken
}

// exec posts to execute_tool; body is marshalled as given.
func (e *env) exec(body any) (int, []byte) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, out := e.call(http.MethodPost, "/api/v1/execute_tool", e.token, nil, b)
	return status, out
}

func (e *env) tool(name string, params map[string]any) (int, []byte) {
	e.t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	return e.exec(map[string]any{"tool_name": name, "identifier": testIdentifier, "connector": "tableau", "params": params})
}

// wireError is Scalekit's error body, decoded strictly for comparisons.
type wireError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Details []struct {
		Type          string `json:"@type"`
		ErrorCode     string `json:"error_code"`
		ToolErrorInfo *struct {
			ExecutionID      string `json:"execution_id"`
			ToolErrorMessage string `json:"tool_error_message"`
			ToolErrorCode    string `json:"tool_error_code"`
		} `json:"tool_error_info"`
	} `json:"details"`
}

func decodeError(t *testing.T, b []byte) wireError {
	t.Helper()
	var we wireError
	if err := json.Unmarshal(b, &we); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	if len(we.Details) != 1 || we.Details[0].Type != "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo" {
		t.Fatalf("error body %s: want one ErrorInfo detail", b)
	}
	return we
}

// expectError checks status, gRPC code, error_code and message words.
func expectError(t *testing.T, status int, body []byte, wantStatus, wantCode int, wantErrorCode string, words ...string) wireError {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d; body %s", status, wantStatus, body)
	}
	we := decodeError(t, body)
	if we.Code != wantCode || we.Details[0].ErrorCode != wantErrorCode {
		t.Fatalf("code %d / %s, want %d / %s; body %s", we.Code, we.Details[0].ErrorCode, wantCode, wantErrorCode, body)
	}
	for _, w := range words {
		if !strings.Contains(strings.ToLower(we.Message), strings.ToLower(w)) {
			t.Errorf("message %q does not mention %q", we.Message, w)
		}
	}
	return we
}

func mustJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s: %v", b, err)
	}
	return m
}

func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// --- access token ---

func TestTokenGrant(t *testing.T) {
	e := newEnv(t)
	status, b := e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	if status != 200 {
		t.Fatalf("status %d: %s", status, b)
	}
	got := mustJSON(t, b)
	if got["token_type"] != "Bearer" || got["scope"] != "openid" || got["expires_in"] != float64(86399) {
		t.Errorf("answer %s: want token_type Bearer, scope openid, expires_in 86399", b)
	}
	if s, _ := got["access_token"].(string); s == "" {
		t.Errorf("no access_token in %s", b)
	}

	status, b = e.tokenForm(url.Values{"grant_type": {"password"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	if status != 400 || mustJSON(t, b)["error"] != "unsupported_grant_type" {
		t.Errorf("wrong grant: %d %s, want 400 unsupported_grant_type", status, b)
	}
	status, b = e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {"nope"}})
	if status != 401 || mustJSON(t, b)["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %s, want 401 invalid_client", status, b)
	}
	status, _ = e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {"other"}, "client_secret": {testClientSecret}})
	if status != 401 {
		t.Errorf("wrong client id: %d, want 401", status)
	}

	// HTTP Basic client authentication is accepted too.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	if status, _, b := e.send(req); status != 200 {
		t.Errorf("basic auth: %d %s", status, b)
	}
	// JSON is not the documented form.
	status, _, _ = e.call(http.MethodPost, "/oauth/token", "", nil,
		[]byte(`{"grant_type":"client_credentials","client_id":"skc_test_client","client_secret":"test-client-secret"}`))
	if status != 400 {
		t.Errorf("JSON token request: %d, want 400", status)
	}
	if n := e.emu.TokenRequests(); n != 7 {
		t.Errorf("TokenRequests = %d, want 7", n)
	}
}

func TestTokenTTL(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, func(c *Config) { c.TokenTTL = time.Hour; c.Now = clock })
	status, b := e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	if status != 200 || mustJSON(t, b)["expires_in"] != float64(3600) {
		t.Fatalf("%d %s: want expires_in 3600", status, b)
	}
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Fatalf("fresh token: %d %s", status, b)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	status, b = e.tool("tableau_session_get", nil)
	expectError(t, status, b, 401, 16, "UNAUTHENTICATED", "expired")
}

// --- bearer ---

func TestBearerMissingAndStale(t *testing.T) {
	e := newEnv(t)
	want := `{"code":16,"message":"Token empty","details":[{"@type":"type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":"UNAUTHENTICATED"}]}`
	for _, path := range []string{"/api/v1/execute_tool", "/api/v1/connected_accounts/auth?connector=tableau&identifier=user_123", "/proxy/api/3.28/sessions/current"} {
		method := http.MethodGet
		if strings.Contains(path, "execute") {
			method = http.MethodPost
		}
		status, _, b := e.call(method, path, "", nil, nil)
		if status != 401 {
			t.Errorf("%s without token: %d", path, status)
		}
		var got, exp any
		_ = json.Unmarshal(b, &got)
		_ = json.Unmarshal([]byte(want), &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("%s without token answered %s\nwant %s", path, b, want)
		}
	}

	status, _, b := e.call(http.MethodPost, "/api/v1/execute_tool", "not-a-token", nil, []byte(`{}`))
	expectError(t, status, b, 401, 16, "UNAUTHENTICATED")

	old := e.token
	e.emu.ExpireTokens()
	status, b = e.tool("tableau_session_get", nil)
	expectError(t, status, b, 401, 16, "UNAUTHENTICATED", "expired")
	if len(e.tab.recorded()) != 0 {
		t.Errorf("Tableau was called with a stale Scalekit token")
	}
	e.token = e.fetchToken()
	if e.token == old {
		t.Fatal("a new token equals the expired one")
	}
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Errorf("new token after ExpireTokens: %d %s", status, b)
	}
	e.token = e.emu.IssueToken()
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Errorf("IssueToken: %d %s", status, b)
	}
}

// --- execute_tool request checks ---

func TestExecuteRequiresWireNames(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		body map[string]any
		word string
	}{
		{"no tool_name", map[string]any{"identifier": testIdentifier, "connector": "tableau"}, "tool_name"},
		{"no identifier", map[string]any{"tool_name": "tableau_session_get", "connector": "tableau"}, "identifier"},
		{"no connector", map[string]any{"tool_name": "tableau_session_get", "identifier": testIdentifier}, "connector"},
		// SDK argument names are not wire names.
		{"SDK names", map[string]any{"tool_name": "tableau_session_get", "identifier": testIdentifier,
			"connection_name": "tableau", "tool_input": map[string]any{}}, "connector"},
		{"toolName", map[string]any{"toolName": "tableau_session_get", "identifier": testIdentifier, "connector": "tableau"}, "tool_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b := e.exec(c.body)
			expectError(t, status, b, 400, 3, "INVALID_ARGUMENT", c.word)
		})
	}
	status, _, b := e.call(http.MethodPost, "/api/v1/execute_tool", e.token, nil, []byte(`{"tool_name":`))
	expectError(t, status, b, 400, 3, "INVALID_ARGUMENT")
	status, b = e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": testIdentifier, "connector": "tableau", "params": []int{1}})
	expectError(t, status, b, 400, 3, "INVALID_ARGUMENT", "params")
	if len(e.tab.recorded()) != 0 {
		t.Error("Tableau was called for an invalid request")
	}
}

func TestUnknownToolVersusUnknownAccount(t *testing.T) {
	e := newEnv(t)
	status, b := e.exec(map[string]any{"tool_name": "tableau_workbooks_list", "identifier": "nobody", "connector": "tableau", "params": map[string]any{}})
	acct := expectError(t, status, b, 404, 5, "NOT_FOUND", "connected account", "not found")

	status, b = e.tool("tableau_no_such_tool", nil)
	tool := expectError(t, status, b, 404, 5, "NOT_FOUND", "tool", "not found")
	if strings.Contains(strings.ToLower(tool.Message), "connected account") {
		t.Errorf("tool-not-found message %q mentions the connected account", tool.Message)
	}
	if acct.Message == tool.Message {
		t.Error("both 404s have the same message")
	}
	// Tools marked new in the catalogue are not Scalekit's: not found.
	for _, name := range []string{"tableau_workbook_download", "tableau_datasource_download", "tableau_view_crosstab_get",
		"tableau_datasource_metadata_get", "tableau_group_users_list"} {
		status, b := e.tool(name, map[string]any{})
		expectError(t, status, b, 404, 5, "NOT_FOUND", "tool")
	}
	// Unknown connected_account_id.
	status, b = e.exec(map[string]any{"tool_name": "tableau_session_get", "connected_account_id": "ca_1", "params": map[string]any{}})
	expectError(t, status, b, 404, 5, "NOT_FOUND", "connected account")
}

func TestInactiveAccountIsToolError401(t *testing.T) {
	for _, st := range []string{StatusExpired, StatusDisconnected, StatusPendingAuth} {
		t.Run(st, func(t *testing.T) {
			e := newEnv(t)
			e.emu.SetAccountStatus("tableau", testIdentifier, st)
			status, b := e.tool("tableau_workbooks_list", nil)
			we := expectError(t, status, b, 401, 16, "TOOL_ERROR")
			if we.Details[0].ToolErrorInfo == nil || we.Details[0].ToolErrorInfo.ExecutionID == "" {
				t.Errorf("no tool_error_info.execution_id in %s", b)
			}
			status, _, b = e.call(http.MethodGet, "/proxy/api/3.28/sessions/current", e.token,
				map[string]string{"connection_name": "tableau", "identifier": testIdentifier}, nil)
			expectError(t, status, b, 401, 16, "TOOL_ERROR")
			if n := len(e.tab.recorded()); n != 0 {
				t.Errorf("Tableau got %d requests for a %s account", n, st)
			}
		})
	}
}

func TestParamsAreTypeChecked(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		tool   string
		params map[string]any
		word   string
	}{
		{"tableau_workbooks_list", map[string]any{"page_size": "10"}, "page_size"},
		{"tableau_workbooks_list", map[string]any{"page_size": 1.5}, "page_size"},
		{"tableau_workbooks_list", map[string]any{"pageSize": 10}, "pageSize"},
		{"tableau_workbooks_list", map[string]any{"site_id": "x"}, "site_id"},
		{"tableau_workbook_get", map[string]any{}, "workbook_id"},
		{"tableau_workbook_get", map[string]any{"workbook_id": ""}, "workbook_id"},
		{"tableau_workbook_get", map[string]any{"workbook_id": 7}, "workbook_id"},
		{"tableau_views_list", map[string]any{"include_usage_statistics": "true"}, "include_usage_statistics"},
		{"tableau_view_image_get", map[string]any{"view_id": "v", "viz_width": 800}, "viz_width"},
		{"tableau_workbook_permissions_add", map[string]any{"workbook_id": "w", "grantee_id": "g", "grantee_type": "robot",
			"capabilities": []any{"Read:Allow"}}, "grantee_type"},
		{"tableau_workbook_permissions_add", map[string]any{"workbook_id": "w", "grantee_id": "g", "grantee_type": "user",
			"capabilities": []any{"Read:Maybe"}}, "capabilities"},
		{"tableau_schedule_create", map[string]any{"name": "n", "frequency": "Daily", "frequency_details": "daily"}, "frequency_details"},
	}
	for _, c := range cases {
		status, b := e.tool(c.tool, c.params)
		expectError(t, status, b, 400, 3, "INVALID_ARGUMENT", c.word)
	}
	for _, r := range e.tab.recorded() {
		if r.Path != "/api/3.28/auth/signin" {
			t.Errorf("Tableau got %s %s for an invalid call", r.Method, r.Path)
		}
	}
}

// --- running tools against Tableau ---

func TestWorkbooksListHappyPath(t *testing.T) {
	e := newEnv(t)
	status, b := e.tool("tableau_workbooks_list", map[string]any{
		"filter": "name:eq:Sales Q1", "sort": "name:asc", "page_number": 2, "page_size": 50,
	})
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got := mustJSON(t, b)
	if id, _ := got["execution_id"].(string); id == "" {
		t.Errorf("no execution_id in %s", b)
	}
	wbs, _ := dig(got, "data", "workbooks", "workbook").([]any)
	if len(wbs) != 2 || dig(wbs[0], "name") != "Sales" {
		t.Fatalf("data.workbooks.workbook = %v in %s", wbs, b)
	}
	if dig(got, "data", "pagination", "totalAvailable") != "2" {
		t.Errorf("pagination not passed through: %s", b)
	}

	signins := e.tab.find(http.MethodPost, "/api/3.28/auth/signin")
	if len(signins) != 1 {
		t.Fatalf("%d sign-ins, want 1", len(signins))
	}
	si := signins[0]
	if si.Header.Get("Accept") != "application/json" {
		t.Errorf("sign-in Accept = %q", si.Header.Get("Accept"))
	}
	var cred map[string]any
	_ = json.Unmarshal(si.Body, &cred)
	wantCred := map[string]any{"credentials": map[string]any{
		"personalAccessTokenName": e.tab.patName, "personalAccessTokenSecret": e.tab.patSecret,
		"site": map[string]any{"contentUrl": e.tab.site},
	}}
	if !reflect.DeepEqual(cred, wantCred) {
		t.Errorf("sign-in body %s", si.Body)
	}
	lists := e.tab.find(http.MethodGet, "/sites/"+e.tab.siteID+"/workbooks")
	if len(lists) != 1 {
		t.Fatalf("workbook list calls: %d", len(lists))
	}
	l := lists[0]
	if l.Path != "/api/3.28/sites/"+e.tab.siteID+"/workbooks" {
		t.Errorf("path %s", l.Path)
	}
	if l.Header.Get("X-Tableau-Auth") != "tab-token-1" || l.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v", l.Header)
	}
	q, _ := url.ParseQuery(l.RawQuery)
	wantQ := url.Values{"filter": {"name:eq:Sales Q1"}, "sort": {"name:asc"}, "pageNumber": {"2"}, "pageSize": {"50"}}
	if !reflect.DeepEqual(q, wantQ) {
		t.Errorf("query %v, want %v", q, wantQ)
	}

	// The same account by connected_account_id, reusing the session.
	id := e.emu.AccountID("tableau", testIdentifier)
	if !strings.HasPrefix(id, "ca_") {
		t.Fatalf("account id %q", id)
	}
	status, b = e.exec(map[string]any{"tool_name": "tableau_session_get", "connected_account_id": id})
	if status != 200 || dig(mustJSON(t, b), "data", "session", "site", "id") != e.tab.siteID {
		t.Fatalf("session_get by id: %d %s", status, b)
	}
	if n := e.tab.signInCount(); n != 1 {
		t.Errorf("%d sign-ins, want the session kept", n)
	}
}

func TestTableauSessionRenewedOnceOn401(t *testing.T) {
	e := newEnv(t)
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	e.tab.expireSession()
	status, b := e.tool("tableau_workbooks_list", nil)
	if status != 200 {
		t.Fatalf("after Tableau session expiry: %d %s", status, b)
	}
	if n := e.tab.signInCount(); n != 2 {
		t.Errorf("%d sign-ins, want 2", n)
	}
	// A 401 that persists after the fresh sign-in is the user's problem.
	e.tab.fail("/workbooks", 401, "401002")
	e.tab.fail("/workbooks", 401, "401002")
	status, b = e.tool("tableau_workbooks_list", nil)
	we := expectError(t, status, b, 401, 16, "TOOL_ERROR")
	if info := we.Details[0].ToolErrorInfo; info == nil || info.ToolErrorCode != "401002" {
		t.Errorf("tool_error_info %s", b)
	}
	if n := e.tab.signInCount(); n != 3 {
		t.Errorf("%d sign-ins, want exactly one more (3)", n)
	}
}

func TestTableauErrorsBecomeToolErrors(t *testing.T) {
	e := newEnv(t)
	status, b := e.tool("tableau_workbook_get", map[string]any{"workbook_id": "00000000-0000-4000-8000-000000000000"})
	we := expectError(t, status, b, 404, 5, "TOOL_ERROR")
	info := we.Details[0].ToolErrorInfo
	if info == nil || info.ToolErrorCode != "404006" || info.ExecutionID == "" ||
		!strings.Contains(info.ToolErrorMessage, "Resource Not Found") || !strings.Contains(info.ToolErrorMessage, "could not be found") {
		t.Errorf("tool_error_info in %s", b)
	}
	for _, c := range []struct {
		status, code int
		tabCode      string
	}{{403, 7, "403133"}, {409, 6, "409000"}, {429, 8, "429000"}, {500, 13, "500000"}} {
		e.tab.fail("/workbooks", c.status, c.tabCode)
		status, b := e.tool("tableau_workbooks_list", nil)
		we := expectError(t, status, b, c.status, c.code, "TOOL_ERROR")
		if we.Details[0].ToolErrorInfo == nil || we.Details[0].ToolErrorInfo.ToolErrorCode != c.tabCode {
			t.Errorf("%d: %s", c.status, b)
		}
	}
}

func TestWrongPATIsToolError401(t *testing.T) {
	e := newEnv(t)
	e.emu.AddAccount(Account{Identifier: "bob", PATName: e.tab.patName, PATSecret: "wrong", SiteContentURL: e.tab.site})
	status, b := e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "bob", "connector": "tableau"})
	we := expectError(t, status, b, 401, 16, "TOOL_ERROR")
	if we.Details[0].ToolErrorInfo == nil || we.Details[0].ToolErrorInfo.ToolErrorCode != "401001" {
		t.Errorf("want Tableau's sign-in code 401001: %s", b)
	}
}

func TestConcurrentCallsSignInOnce(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, _ := json.Marshal(map[string]any{"tool_name": "tableau_workbooks_list", "identifier": testIdentifier, "connector": "tableau"})
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/execute_tool", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+e.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Error(s)
	}
	if n := e.tab.signInCount(); n != 1 {
		t.Errorf("%d Tableau sign-ins for 20 concurrent calls, want 1", n)
	}
	if n := e.emu.TableauSignIns("tableau", testIdentifier); n != 1 {
		t.Errorf("TableauSignIns = %d", n)
	}
}

func TestSignoutEndsTableauSession(t *testing.T) {
	e := newEnv(t)
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	status, b := e.tool("tableau_auth_signout", nil)
	if status != 200 {
		t.Fatalf("signout: %d %s", status, b)
	}
	outs := e.tab.find(http.MethodPost, "/api/3.28/auth/signout")
	if len(outs) != 1 || outs[0].Header.Get("X-Tableau-Auth") != "tab-token-1" {
		t.Fatalf("Tableau sign-outs: %+v", outs)
	}
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Fatalf("after signout: %d %s", status, b)
	}
	if n := e.tab.signInCount(); n != 2 {
		t.Errorf("%d sign-ins, want a fresh one after signout", n)
	}
	// Signing out with no session does not call Tableau.
	e.tool("tableau_auth_signout", nil)
	status, _ = e.tool("tableau_auth_signout", nil)
	if status != 200 || len(e.tab.find(http.MethodPost, "/auth/signout")) != 2 {
		t.Errorf("second signout: %d, sign-outs %d", status, len(e.tab.find(http.MethodPost, "/auth/signout")))
	}
}

func TestNonJSONToolAnswers(t *testing.T) {
	e := newEnv(t)
	status, b := e.tool("tableau_view_data_get", map[string]any{"view_id": "v1", "max_age": 5})
	if status != 200 || dig(mustJSON(t, b), "data", "text") != "Region,Sales\nEast,10\n" {
		t.Errorf("view data: %d %s", status, b)
	}
	status, b = e.tool("tableau_view_image_get", map[string]any{"view_id": "v1", "resolution": "high"})
	if status != 200 || dig(mustJSON(t, b), "data", "content_type") != "image/png" || dig(mustJSON(t, b), "data", "content_base64") == nil {
		t.Errorf("view image: %d %.200s", status, b)
	}
	status, b = e.tool("tableau_workbook_delete", map[string]any{"workbook_id": "w1"})
	if status != 200 || !reflect.DeepEqual(dig(mustJSON(t, b), "data"), map[string]any{}) {
		t.Errorf("delete (204 from Tableau): %d %s", status, b)
	}
}

// --- tableau_query_view ---

func TestQueryViewStringParams(t *testing.T) {
	e := newEnv(t)
	status, b := e.tool("tableau_query_view", map[string]any{
		"datasource_luid": "ds-0001",
		"fields":          `[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`,
		"filters":         `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"],"exclude":false}]`,
		"sort":            `[{"fieldCaption":"Sales","sortDirection":"DESC","sortPriority":1}]`,
		"max_rows":        10,
	})
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	rows, _ := dig(mustJSON(t, b), "data", "data").([]any)
	if len(rows) != 1 || dig(rows[0], "Region") != "East" {
		t.Errorf("data.data = %v", rows)
	}
	calls := e.tab.find(http.MethodPost, "/api/v1/vizql-data-service/query-datasource")
	if len(calls) != 1 {
		t.Fatalf("%d VDS calls", len(calls))
	}
	if calls[0].Header.Get("X-Tableau-Auth") != "tab-token-1" || !strings.HasPrefix(calls[0].Header.Get("Content-Type"), "application/json") {
		t.Errorf("VDS headers %v", calls[0].Header)
	}
	var got, want any
	_ = json.Unmarshal(calls[0].Body, &got)
	_ = json.Unmarshal([]byte(`{
		"datasource":{"datasourceLuid":"ds-0001"},
		"query":{
			"fields":[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM","sortDirection":"DESC","sortPriority":1}],
			"filters":[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East"],"exclude":false}]},
		"options":{"returnFormat":"OBJECTS","rowLimit":10}}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VDS body %s", calls[0].Body)
	}

	// Only fields: no filters key, no rowLimit.
	e.tool("tableau_query_view", map[string]any{"datasource_luid": "ds-0001", "fields": `[{"fieldCaption":"Region"}]`})
	calls = e.tab.find(http.MethodPost, "/query-datasource")
	_ = json.Unmarshal(calls[1].Body, &got)
	_ = json.Unmarshal([]byte(`{"datasource":{"datasourceLuid":"ds-0001"},"query":{"fields":[{"fieldCaption":"Region"}]},"options":{"returnFormat":"OBJECTS"}}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("minimal VDS body %s", calls[1].Body)
	}

	bad := []map[string]any{
		{"datasource_luid": "ds-0001", "fields": []any{map[string]any{"fieldCaption": "Region"}}},
		{"datasource_luid": "ds-0001", "fields": `[{"fieldCaption":"Region"}]`, "filters": []any{}},
		{"datasource_luid": "ds-0001", "fields": `[{"fieldCaption":"Region"}]`, "sort": []any{}},
		{"datasource_luid": "ds-0001", "fields": `{"fieldCaption":"Region"}`},
		{"datasource_luid": "ds-0001", "fields": `[{"fieldCaption":"Region"}]`, "sort": `[{"fieldCaption":"Profit"}]`},
		{"fields": `[{"fieldCaption":"Region"}]`},
	}
	for _, p := range bad {
		status, b := e.tool("tableau_query_view", p)
		expectError(t, status, b, 400, 3, "INVALID_ARGUMENT")
	}
	if n := len(e.tab.find(http.MethodPost, "/query-datasource")); n != 2 {
		t.Errorf("%d VDS calls, invalid queries must not reach Tableau", n)
	}
	// VDS errors come back as tool errors with VDS's code.
	e.tab.vdsAnswer = ""
	e.tab.fail("/query-datasource", 400, "400803")
	status, b = e.tool("tableau_query_view", map[string]any{"datasource_luid": "ds-0001", "fields": `[{"fieldCaption":"Region"}]`})
	we := expectError(t, status, b, 400, 3, "TOOL_ERROR")
	if we.Details[0].ToolErrorInfo.ToolErrorCode != "400803" {
		t.Errorf("%s", b)
	}
}

// --- the REST mapping of each tool ---

func TestToolWireForms(t *testing.T) {
	e := newEnv(t)
	site := "/api/3.28/sites/" + e.tab.siteID
	cases := []struct {
		tool   string
		params map[string]any
		method string
		path   string
		query  url.Values
		body   string // "" for no body
	}{
		{"tableau_site_get", map[string]any{"include_usage_statistics": true}, "GET", site, url.Values{"includeUsageStatistics": {"true"}}, ""},
		{"tableau_sites_list", map[string]any{"page_size": 5}, "GET", "/api/3.28/sites", url.Values{"pageSize": {"5"}}, ""},
		{"tableau_workbook_search", map[string]any{"name": "Sales Report", "page_size": 10}, "GET", site + "/workbooks",
			url.Values{"filter": {"name:eq:Sales Report"}, "pageSize": {"10"}}, ""},
		{"tableau_workbook_get", map[string]any{"workbook_id": "wb-1", "include_usage_statistics": false}, "GET", site + "/workbooks/wb-1",
			url.Values{"includeUsageStatistics": {"false"}}, ""},
		{"tableau_workbook_update", map[string]any{"workbook_id": "wb-1", "description": "d", "show_tabs": true,
			"new_project_id": "p-2", "new_owner_id": "u-3"}, "PUT", site + "/workbooks/wb-1", nil,
			`{"workbook":{"description":"d","showTabs":true,"project":{"id":"p-2"},"owner":{"id":"u-3"}}}`},
		{"tableau_workbook_refresh", map[string]any{"workbook_id": "wb-1"}, "POST", site + "/workbooks/wb-1/refresh", nil, `{}`},
		{"tableau_workbook_connections_list", map[string]any{"workbook_id": "wb-1"}, "GET", site + "/workbooks/wb-1/connections", nil, ""},
		{"tableau_workbook_permissions_list", map[string]any{"workbook_id": "wb-1"}, "GET", site + "/workbooks/wb-1/permissions", nil, ""},
		{"tableau_workbook_permissions_add", map[string]any{"workbook_id": "wb-1", "grantee_id": "u-3", "grantee_type": "user",
			"capabilities": []any{map[string]any{"name": "Read", "mode": "Allow"}, "ExportData:Deny"}},
			"PUT", site + "/workbooks/wb-1/permissions", nil,
			`{"permissions":{"granteeCapabilities":[{"user":{"id":"u-3"},"capabilities":{"capability":[{"name":"Read","mode":"Allow"},{"name":"ExportData","mode":"Deny"}]}}]}}`},
		{"tableau_workbook_permission_delete", map[string]any{"workbook_id": "wb-1", "grantee_id": "g-4", "grantee_type": "group",
			"capability_name": "Read", "capability_mode": "Allow"}, "DELETE", site + "/workbooks/wb-1/permissions/groups/g-4/Read/Allow", nil, ""},
		{"tableau_views_list", map[string]any{"include_usage_statistics": true, "sort": "name:desc"}, "GET", site + "/views",
			url.Values{"includeUsageStatistics": {"true"}, "sort": {"name:desc"}}, ""},
		{"tableau_list_views", map[string]any{"workbook_id": "wb-1", "page_number": 1}, "GET", site + "/workbooks/wb-1/views",
			url.Values{"pageNumber": {"1"}}, ""},
		{"tableau_workbook_views_list", map[string]any{"workbook_id": "wb-2"}, "GET", site + "/workbooks/wb-2/views", nil, ""},
		{"tableau_view_get", map[string]any{"view_id": "v-1"}, "GET", site + "/views/v-1", nil, ""},
		{"tableau_view_pdf_get", map[string]any{"view_id": "v-1", "type": "a4", "orientation": "landscape", "viz_width": 800},
			"GET", site + "/views/v-1/pdf", url.Values{"type": {"a4"}, "orientation": {"landscape"}, "vizWidth": {"800"}}, ""},
		{"tableau_datasources_list", map[string]any{"filter": "name:eq:Superstore"}, "GET", site + "/datasources",
			url.Values{"filter": {"name:eq:Superstore"}}, ""},
		{"tableau_datasource_update", map[string]any{"datasource_id": "ds-1", "is_certified": true, "certification_note": "ok"},
			"PUT", site + "/datasources/ds-1", nil, `{"datasource":{"isCertified":true,"certificationNote":"ok"}}`},
		{"tableau_datasource_refresh", map[string]any{"datasource_id": "ds-1"}, "POST", site + "/datasources/ds-1/refresh", nil, `{}`},
		{"tableau_datasource_permissions_list", map[string]any{"datasource_id": "ds-1"}, "GET", site + "/datasources/ds-1/permissions", nil, ""},
		{"tableau_project_create", map[string]any{"name": "Finance", "description": "money", "content_permissions": "LockedToProject",
			"parent_project_id": "p-0"}, "POST", site + "/projects", nil,
			`{"project":{"name":"Finance","description":"money","contentPermissions":"LockedToProject","parentProjectId":"p-0"}}`},
		{"tableau_project_update", map[string]any{"project_id": "p-1", "name": "Fin"}, "PUT", site + "/projects/p-1", nil, `{"project":{"name":"Fin"}}`},
		{"tableau_project_permissions_add", map[string]any{"project_id": "p-1", "grantee_id": "g-1", "grantee_type": "group",
			"capabilities": []any{"Write:Allow"}}, "PUT", site + "/projects/p-1/permissions", nil,
			`{"permissions":{"granteeCapabilities":[{"group":{"id":"g-1"},"capabilities":{"capability":[{"name":"Write","mode":"Allow"}]}}]}}`},
		{"tableau_user_add_to_site", map[string]any{"name": "jane@example.com", "site_role": "Viewer", "auth_setting": "SAML"},
			"POST", site + "/users", nil, `{"user":{"name":"jane@example.com","siteRole":"Viewer","authSetting":"SAML"}}`},
		{"tableau_user_update", map[string]any{"user_id": "u-1", "full_name": "Jane D", "email": "j@x.org", "site_role": "Creator"},
			"PUT", site + "/users/u-1", nil, `{"user":{"fullName":"Jane D","email":"j@x.org","siteRole":"Creator"}}`},
		{"tableau_user_remove_from_site", map[string]any{"user_id": "u-1"}, "DELETE", site + "/users/u-1", nil, ""},
		{"tableau_group_create", map[string]any{"name": "Analysts", "minimum_site_role": "Explorer"}, "POST", site + "/groups", nil,
			`{"group":{"name":"Analysts","minimumSiteRole":"Explorer"}}`},
		{"tableau_group_add_user", map[string]any{"group_id": "g-1", "user_id": "u-1"}, "POST", site + "/groups/g-1/users", nil, `{"user":{"id":"u-1"}}`},
		{"tableau_group_remove_user", map[string]any{"group_id": "g-1", "user_id": "u-1"}, "DELETE", site + "/groups/g-1/users/u-1", nil, ""},
		{"tableau_jobs_list", map[string]any{"filter": "status:eq:InProgress"}, "GET", site + "/jobs", url.Values{"filter": {"status:eq:InProgress"}}, ""},
		{"tableau_job_get", map[string]any{"job_id": "j-1"}, "GET", site + "/jobs/j-1", nil, ""},
		{"tableau_job_cancel", map[string]any{"job_id": "j-1"}, "PUT", site + "/jobs/j-1", nil, ""},
		{"tableau_extract_refresh_tasks_list", nil, "GET", site + "/tasks/extractRefreshes", nil, ""},
		{"tableau_extract_refresh_task_run", map[string]any{"task_id": "t-1"}, "POST", site + "/tasks/extractRefreshes/t-1/runNow", nil, `{}`},
		{"tableau_schedules_list", map[string]any{"page_number": 2}, "GET", "/api/3.28/schedules", url.Values{"pageNumber": {"2"}}, ""},
		{"tableau_schedule_create", map[string]any{"name": "Nightly", "frequency": "Daily", "schedule_type": "Extract", "priority": 50,
			"execution_order": "Parallel", "frequency_details": map[string]any{"start": "02:00:00",
				"intervals": map[string]any{"interval": []any{map[string]any{"hours": "24"}}}}},
			"POST", "/api/3.28/schedules", nil,
			`{"schedule":{"name":"Nightly","frequency":"Daily","type":"Extract","priority":50,"executionOrder":"Parallel",
			  "frequencyDetails":{"start":"02:00:00","intervals":{"interval":[{"hours":"24"}]}}}}`},
		{"tableau_schedule_update", map[string]any{"schedule_id": "s-1", "state": "Suspended"}, "PUT", "/api/3.28/schedules/s-1", nil,
			`{"schedule":{"state":"Suspended"}}`},
		{"tableau_schedule_delete", map[string]any{"schedule_id": "s-1"}, "DELETE", "/api/3.28/schedules/s-1", nil, ""},
		{"tableau_project_delete", map[string]any{"project_id": "p/../x"}, "DELETE", site + "/projects/p%2F..%2Fx", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			before := len(e.tab.recorded())
			status, b := e.tool(c.tool, c.params)
			if status != 200 {
				t.Fatalf("%d %s", status, b)
			}
			var r *fakeRecorded
			for _, rr := range e.tab.recorded()[before:] {
				if rr.Path != "/api/3.28/auth/signin" {
					r = &rr
				}
			}
			if r == nil {
				t.Fatal("Tableau was not called")
			}
			if r.Method != c.method || r.Path != c.path {
				t.Errorf("called %s %s, want %s %s", r.Method, r.Path, c.method, c.path)
			}
			q, _ := url.ParseQuery(r.RawQuery)
			if c.query == nil {
				c.query = url.Values{}
			}
			if !reflect.DeepEqual(q, c.query) {
				t.Errorf("query %v, want %v", q, c.query)
			}
			if c.body == "" {
				if len(r.Body) != 0 {
					t.Errorf("body %s, want none", r.Body)
				}
				return
			}
			var got, want any
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatalf("body %s: %v", r.Body, err)
			}
			_ = json.Unmarshal([]byte(c.body), &want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body %s\nwant %s", r.Body, c.body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// The emulator runs exactly the catalogue's seed and sk tools.
func TestToolSetMatchesCatalogue(t *testing.T) {
	want := []string{
		"tableau_auth_signout", "tableau_session_get", "tableau_site_get", "tableau_sites_list",
		"tableau_workbooks_list", "tableau_workbook_search", "tableau_workbook_get", "tableau_workbook_update",
		"tableau_workbook_delete", "tableau_workbook_refresh", "tableau_workbook_connections_list",
		"tableau_workbook_permissions_list", "tableau_workbook_permissions_add", "tableau_workbook_permission_delete",
		"tableau_views_list", "tableau_list_views", "tableau_view_get", "tableau_view_image_get", "tableau_view_pdf_get",
		"tableau_view_data_get", "tableau_datasources_list", "tableau_datasource_get", "tableau_datasource_update",
		"tableau_datasource_delete", "tableau_datasource_refresh", "tableau_datasource_permissions_list",
		"tableau_query_view", "tableau_projects_list", "tableau_project_create", "tableau_project_update",
		"tableau_project_delete", "tableau_project_permissions_list", "tableau_project_permissions_add",
		"tableau_users_list", "tableau_user_get", "tableau_user_add_to_site", "tableau_user_update",
		"tableau_user_remove_from_site", "tableau_groups_list", "tableau_group_create", "tableau_group_add_user",
		"tableau_group_remove_user", "tableau_jobs_list", "tableau_job_get", "tableau_job_cancel",
		"tableau_extract_refresh_tasks_list", "tableau_extract_refresh_task_run", "tableau_schedules_list",
		"tableau_schedule_create", "tableau_schedule_update", "tableau_schedule_delete",
	}
	sort.Strings(want)
	if got := ToolNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("tools differ from the catalogue:\n got %v\nwant %v", got, want)
	}
	// Parameter names of a few tools, letter for letter.
	params := map[string][]string{
		"tableau_workbooks_list":           {"filter", "page_number", "page_size", "sort"},
		"tableau_list_views":               {"filter", "include_usage_statistics", "page_number", "page_size", "workbook_id"},
		"tableau_query_view":               {"datasource_luid", "fields", "filters", "max_rows", "sort"},
		"tableau_workbook_update":          {"description", "new_owner_id", "new_project_id", "show_tabs", "workbook_id"},
		"tableau_view_image_get":           {"format", "max_age", "resolution", "view_id"},
		"tableau_schedule_create":          {"execution_order", "frequency", "frequency_details", "name", "priority", "schedule_type"},
		"tableau_workbook_permissions_add": {"capabilities", "grantee_id", "grantee_type", "workbook_id"},
	}
	for name, want := range params {
		tool, _ := findTool(name)
		var got []string
		for _, p := range tool.params {
			got = append(got, p.name)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s params %v, want %v", name, got, want)
		}
	}
}

// --- proxy ---

func TestProxyPassesPNGThrough(t *testing.T) {
	e := newEnv(t)
	hdr := map[string]string{"connection_name": "tableau", "identifier": testIdentifier}
	path := "/proxy/api/3.28/sites/" + e.tab.siteID + "/views/v-1/image?resolution=high&vf_Region=East"
	status, h, b := e.call(http.MethodGet, path, e.token, hdr, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	if !bytes.Equal(b, e.tab.png) {
		t.Errorf("PNG changed: %d bytes, want %d", len(b), len(e.tab.png))
	}
	if h.Get("Content-Type") != "image/png" || h.Get("Content-Disposition") != `inline; filename="view.png"` {
		t.Errorf("headers %v", h)
	}
	calls := e.tab.find(http.MethodGet, "/views/v-1/image")
	if len(calls) != 1 || calls[0].RawQuery != "resolution=high&vf_Region=East" || calls[0].Header.Get("X-Tableau-Auth") != "tab-token-1" {
		t.Fatalf("Tableau got %+v", calls)
	}

	status, h, b = e.call(http.MethodGet, "/proxy/api/3.28/sites/"+e.tab.siteID+"/workbooks/w-1/content", e.token, hdr, nil)
	if status != 200 || !bytes.Equal(b, e.tab.png) || h.Get("Content-Disposition") != `attachment; filename="Sales.twbx"` {
		t.Errorf("download: %d %v", status, h)
	}

	// Errors from Tableau pass through unchanged.
	status, _, b = e.call(http.MethodGet, "/proxy/api/3.28/sites/"+e.tab.siteID+"/workbooks/00000000-1", e.token, hdr, nil)
	if status != 404 || !strings.Contains(string(b), `"404006"`) {
		t.Errorf("proxied 404: %d %s", status, b)
	}

	// A JSON body goes through; an expired Tableau session is renewed once.
	e.tab.expireSession()
	status, _, b = e.call(http.MethodPost, "/proxy/api/3.28/sites/"+e.tab.siteID+"/projects", e.token, hdr, []byte(`{"project":{"name":"X"}}`))
	if status != 200 {
		t.Fatalf("proxied POST: %d %s", status, b)
	}
	posts := e.tab.find(http.MethodPost, "/projects")
	if len(posts) != 2 || string(posts[1].Body) != `{"project":{"name":"X"}}` || posts[1].Header.Get("X-Tableau-Auth") != "tab-token-2" {
		t.Errorf("proxied POST attempts %+v", posts)
	}

	for _, c := range []struct {
		hdr  map[string]string
		word string
	}{
		{map[string]string{"identifier": testIdentifier}, "connection_name"},
		{map[string]string{"connection_name": "tableau"}, "identifier"},
	} {
		status, _, b := e.call(http.MethodGet, path, e.token, c.hdr, nil)
		expectError(t, status, b, 400, 3, "INVALID_ARGUMENT", c.word)
	}
	status, _, b = e.call(http.MethodGet, path, e.token, map[string]string{"connection_name": "tableau", "identifier": "ghost"}, nil)
	expectError(t, status, b, 404, 5, "NOT_FOUND", "connected account")
}

// A large download is streamed: the client reads it while Tableau is still
// writing (the fake blocks mid-body until the client has seen the start).
func TestProxyStreams(t *testing.T) {
	release := make(chan struct{})
	first := bytes.Repeat([]byte{0xAB}, 1<<20)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/3.28/auth/signin" {
			tabJSON(w, 200, `{"credentials":{"site":{"id":"s"},"user":{"id":"u"},"token":"t"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(first)
		w.(http.Flusher).Flush()
		<-release
		_, _ = w.Write([]byte("end"))
	})
	ts := httptest.NewServer(up)
	defer ts.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	emu := New(Config{ClientID: testClientID, ClientSecret: testClientSecret, TableauURL: ts.URL})
	emu.AddAccount(Account{Identifier: "u1", PATName: "n", PATSecret: "x"})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	e := &env{t: t, emu: emu, srv: srv}
	e.token = e.fetchToken()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/proxy/api/3.28/sites/s/datasources/d/content", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header["connection_name"] = []string{"tableau"}
	req.Header["identifier"] = []string{"u1"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len(first))
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatalf("reading the first MiB before Tableau finished: %v", err)
	}
	close(release)
	rest, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(buf, first) || string(rest) != "end" {
		t.Errorf("streamed body differs")
	}
}

// --- FailNext ---

func TestFailNext(t *testing.T) {
	e := newEnv(t)
	e.emu.FailNext("/api/v1/execute_tool", 429, "RATE_LIMITED", "too many requests")
	status, b := e.tool("tableau_session_get", nil)
	we := expectError(t, status, b, 429, 8, "RATE_LIMITED", "too many requests")
	if we.Details[0].ToolErrorInfo != nil {
		t.Errorf("a Scalekit limit carries no tool_error_info: %s", b)
	}
	if status, b := e.tool("tableau_session_get", nil); status != 200 {
		t.Errorf("FailNext must apply once: %d %s", status, b)
	}

	e.emu.FailNext("/oauth/token", 503, "UNAVAILABLE", "try later")
	status, b = e.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}})
	expectError(t, status, b, 503, 14, "UNAVAILABLE", "try later")

	e.emu.FailNext("/proxy/", 503, "UNAVAILABLE", "proxy down")
	status, _, b = e.call(http.MethodGet, "/proxy/api/3.28/sessions/current", e.token,
		map[string]string{"connection_name": "tableau", "identifier": testIdentifier}, nil)
	expectError(t, status, b, 503, 14, "UNAVAILABLE")

	// The failed requests are recorded with their status.
	var statuses []int
	for _, r := range e.emu.Requests() {
		statuses = append(statuses, r.Status)
	}
	want := []int{200, 429, 200, 503, 503}
	if !reflect.DeepEqual(statuses, want) {
		t.Errorf("recorded statuses %v, want %v", statuses, want)
	}
}

func TestRequestsRecordWireForm(t *testing.T) {
	e := newEnv(t)
	e.emu.ResetRequests()
	e.tool("tableau_workbooks_list", map[string]any{"page_size": 3})
	reqs := e.emu.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d recorded", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/api/v1/execute_tool" || r.Status != 200 ||
		r.Header.Get("Authorization") != "Bearer "+e.token {
		t.Errorf("recorded %+v", r)
	}
	var body map[string]any
	_ = json.Unmarshal(r.Body, &body)
	if body["tool_name"] != "tableau_workbooks_list" || dig(body, "params", "page_size") != float64(3) {
		t.Errorf("recorded body %s", r.Body)
	}
}

// --- connected accounts and tools ---

func TestConnectedAccountsAPI(t *testing.T) {
	e := newEnv(t)
	create := func(method, identifier string, details map[string]any) (int, []byte) {
		b, _ := json.Marshal(map[string]any{"connector": "tableau", "identifier": identifier,
			"connected_account": map[string]any{"authorization_details": map[string]any{"static_auth": map[string]any{"details": details}}}})
		status, _, out := e.call(method, "/api/v1/connected_accounts", e.token, nil, b)
		return status, out
	}
	details := map[string]any{"domain": "prod-in-a.online.tableau.com", "pat_name": e.tab.patName,
		"pat_secret": e.tab.patSecret, "site_content_url": e.tab.site}
	status, b := create(http.MethodPost, "user_456", details)
	if status != 200 {
		t.Fatalf("create: %d %s", status, b)
	}
	ca := dig(mustJSON(t, b), "connected_account")
	if id, _ := dig(ca, "id").(string); !strings.HasPrefix(id, "ca_") || dig(ca, "status") != "ACTIVE" ||
		dig(ca, "identifier") != "user_456" || dig(ca, "connector") != "tableau" || dig(ca, "provider") != "TABLEAU" {
		t.Errorf("created %s", b)
	}
	status, b = create(http.MethodPost, "user_456", details)
	expectError(t, status, b, 409, 6, "ALREADY_EXISTS")

	// The new account runs tools.
	status, b = e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "user_456", "connector": "tableau"})
	if status != 200 {
		t.Fatalf("tool on created account: %d %s", status, b)
	}

	status, _, b = e.call(http.MethodGet, "/api/v1/connected_accounts/auth?connector=tableau&identifier=user_456", e.token, nil, nil)
	if status != 200 || dig(mustJSON(t, b), "connected_account", "identifier") != "user_456" {
		t.Errorf("get: %d %s", status, b)
	}
	status, _, b = e.call(http.MethodGet, "/api/v1/connected_accounts/auth?connector=tableau&identifier=ghost", e.token, nil, nil)
	expectError(t, status, b, 404, 5, "NOT_FOUND", "connected account")

	status, _, b = e.call(http.MethodGet, "/api/v1/connected_accounts?connector=tableau&page_size=1", e.token, nil, nil)
	list := mustJSON(t, b)
	if status != 200 || list["total_size"] != float64(2) || len(list["connected_accounts"].([]any)) != 1 || list["next_page_token"] == "" {
		t.Errorf("list page 1: %d %s", status, b)
	}
	status, _, b = e.call(http.MethodGet, "/api/v1/connected_accounts?connector=tableau&page_size=1&page_token="+list["next_page_token"].(string), e.token, nil, nil)
	list = mustJSON(t, b)
	if status != 200 || len(list["connected_accounts"].([]any)) != 1 || list["next_page_token"] != "" {
		t.Errorf("list page 2: %d %s", status, b)
	}
	status, _, b = e.call(http.MethodGet, "/api/v1/connected_accounts?connector=tableau&identifier=user_456", e.token, nil, nil)
	if list := mustJSON(t, b); status != 200 || list["total_size"] != float64(1) {
		t.Errorf("filtered list: %s", b)
	}

	// PUT changes the secret: the old Tableau session is dropped.
	status, b = create(http.MethodPut, "user_456", map[string]any{"pat_secret": "changed"})
	if status != 200 {
		t.Fatalf("update: %d %s", status, b)
	}
	status, b = e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "user_456", "connector": "tableau"})
	expectError(t, status, b, 401, 16, "TOOL_ERROR")
	status, b = create(http.MethodPut, "ghost", details)
	expectError(t, status, b, 404, 5, "NOT_FOUND")

	status, b = create(http.MethodPost, "", details)
	expectError(t, status, b, 400, 3, "INVALID_ARGUMENT", "identifier")
}

func TestScopedTools(t *testing.T) {
	e := newEnv(t)
	status, _, b := e.call(http.MethodGet, "/api/v1/tools/scoped?identifier=user_123&filter.connection_names=tableau", e.token, nil, nil)
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	var ans struct {
		Tools []struct {
			Tool struct {
				Definition struct {
					Name        string         `json:"name"`
					Description string         `json:"description"`
					InputSchema map[string]any `json:"input_schema"`
				} `json:"definition"`
			} `json:"tool"`
		} `json:"tools"`
		NextPageToken *string `json:"next_page_token"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || ans.NextPageToken == nil {
		t.Fatalf("%s: %v", b, err)
	}
	names := map[string]bool{}
	for _, tl := range ans.Tools {
		d := tl.Tool.Definition
		names[d.Name] = true
		if d.Description == "" || d.InputSchema["type"] != "object" {
			t.Errorf("definition of %s: %+v", d.Name, d)
		}
	}
	if len(names) != len(ToolNames()) || !names["tableau_workbooks_list"] || names["tableau_workbook_download"] {
		t.Errorf("scoped tools %v", names)
	}
	for _, tl := range ans.Tools {
		if tl.Tool.Definition.Name != "tableau_query_view" {
			continue
		}
		fields := dig(tl.Tool.Definition.InputSchema, "properties", "fields", "type")
		if fields != "string" {
			t.Errorf("query_view fields type %v, want string", fields)
		}
	}
	status, _, b = e.call(http.MethodGet, "/api/v1/tools/scoped?identifier=user_123&filter.connection_names=slack", e.token, nil, nil)
	if status != 200 || len(mustJSON(t, b)["tools"].([]any)) != 0 {
		t.Errorf("other connection: %d %s", status, b)
	}
}

// No answer ever carries a PAT secret, whatever was asked.
func TestNoPATSecretInAnswers(t *testing.T) {
	e := newEnv(t)
	b, _ := json.Marshal(map[string]any{"connector": "tableau", "identifier": "carol",
		"connected_account": map[string]any{"authorization_details": map[string]any{"static_auth": map[string]any{"details": map[string]any{
			"domain": "x.example.com", "pat_name": e.tab.patName, "pat_secret": e.tab.patSecret, "site_content_url": e.tab.site}}}}})
	e.call(http.MethodPost, "/api/v1/connected_accounts", e.token, nil, b)
	e.call(http.MethodPut, "/api/v1/connected_accounts", e.token, nil, b)
	e.call(http.MethodGet, "/api/v1/connected_accounts/auth?connector=tableau&identifier=carol", e.token, nil, nil)
	e.call(http.MethodGet, "/api/v1/connected_accounts/auth?connector=tableau&identifier="+testIdentifier, e.token, nil, nil)
	e.call(http.MethodGet, "/api/v1/connected_accounts", e.token, nil, nil)
	e.call(http.MethodGet, "/api/v1/tools/scoped?identifier=carol", e.token, nil, nil)
	e.tool("tableau_session_get", nil)
	e.tool("tableau_workbooks_list", nil)
	e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "carol", "connector": "tableau"})
	e.emu.AddAccount(Account{Identifier: "dave", PATName: "n", PATSecret: "dave-secret-value", SiteContentURL: e.tab.site})
	e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "dave", "connector": "tableau"})
	e.call(http.MethodGet, "/proxy/api/3.28/sessions/current", e.token, map[string]string{"connection_name": "tableau", "identifier": "dave"}, nil)
	e.call(http.MethodGet, "/api/v1/connected_accounts/auth?connector=tableau&identifier=dave", e.token, nil, nil)

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.answers) < 12 {
		t.Fatalf("only %d answers", len(e.answers))
	}
	for _, a := range e.answers {
		for _, s := range []string{e.tab.patSecret, "dave-secret-value", "pat_secret", "personalAccessTokenSecret"} {
			if bytes.Contains(a, []byte(s)) {
				t.Errorf("answer carries %q: %.300s", s, a)
			}
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	status, _, b := e.call(http.MethodGet, "/api/v1/nothing", e.token, nil, nil)
	expectError(t, status, b, 404, 5, "NOT_FOUND")
	status, _, b = e.call(http.MethodGet, "/api/v1/execute_tool", e.token, nil, nil)
	if status != 405 {
		t.Errorf("GET execute_tool: %d %s", status, b)
	}
	decodeError(t, b)
}

func TestDomainOverridesTableauURL(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TableauURL = "http://127.0.0.1:1" }) // nothing listens there
	if status, b := e.tool("tableau_session_get", nil); status != 503 {
		t.Errorf("unreachable Tableau: %d %s, want 503 TOOL_ERROR", status, b)
	} else {
		expectError(t, status, b, 503, 14, "TOOL_ERROR", "reach")
	}
	ts := httptest.NewServer(e.tab)
	defer ts.Close()
	e.emu.AddAccount(Account{Identifier: "eve", PATName: e.tab.patName, PATSecret: e.tab.patSecret,
		SiteContentURL: e.tab.site, Domain: ts.URL + "/"})
	status, b := e.exec(map[string]any{"tool_name": "tableau_session_get", "identifier": "eve", "connector": "tableau"})
	if status != 200 {
		t.Errorf("account with http Domain: %d %s", status, b)
	}
}

func ExampleEmulator() {
	emu := New(Config{ClientID: "id", ClientSecret: "secret", TableauURL: "http://127.0.0.1:8080"})
	emu.AddAccount(Account{Identifier: "user_123", PATName: "mcp", PATSecret: "…", SiteContentURL: "mysite"})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	fmt.Println(emu.AccountID("tableau", "user_123") != "")
	// Output: true
}
