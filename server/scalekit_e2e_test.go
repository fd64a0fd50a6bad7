package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/demo"
	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

type skFixture struct {
	backend *scalekit.Client
	sk      *scalekitemu.Emulator
	tab     *tableauemu.Emulator
	session func(identifier string) *Session
}

func scalekitFixture(t *testing.T) *skFixture {
	t.Helper()
	b, sk, tab, err := demo.ViaScalekit(nil, func(c *scalekit.Config) { c.Retry.Backoff = time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Options{Version: "test", Backend: b, AllowDestructive: true, Exports: tools.ExportOptions{ImportDir: walkImportDir(t)}})
	if err != nil {
		t.Fatal(err)
	}
	f := &skFixture{backend: b, sk: sk, tab: tab}
	f.session = func(identifier string) *Session {
		c, err := client.NewInProcessClient(s)
		if err != nil {
			t.Fatal(err)
		}
		sess := Start(t, c)
		if identifier != "" {
			sess.Ctx = auth.WithIdentity(context.Background(), identifier)
		}
		return sess
	}
	return f
}

// TestChunkedPublishThroughScalekit publishes a workbook larger than the
// chunk size (1 KiB here) through the Scalekit backend: the upload session,
// each chunk and the commit go over the proxy as Tableau's own requests.
func TestChunkedPublishThroughScalekit(t *testing.T) {
	b, sk, _, err := demo.ViaScalekit(nil, func(c *scalekit.Config) { c.Retry.Backoff = time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Chunked.twbx"), twbx(t, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Version: "test", Backend: b, Exports: tools.ExportOptions{ImportDir: dir, ChunkBytes: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	s.Ctx = auth.WithIdentity(context.Background(), demo.DemoIdentifier)
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	s.OK("tableau_workbook_publish", args{"file": "Chunked.twbx", "project_id": project})
	if n := len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Chunked"}), "workbooks", "workbook")); n != 1 {
		t.Fatalf("the chunked workbook is not listed through Scalekit (%d)", n)
	}
	var start, appends, commit int
	for _, r := range sk.Requests() {
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/fileUploads") && strings.HasPrefix(r.Path, "/proxy/api/"):
			start++
		case r.Method == "PUT" && strings.Contains(r.Path, "/fileUploads/") && strings.HasPrefix(r.Path, "/proxy/api/"):
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/mixed; boundary=") {
				t.Errorf("a chunk went as %q", r.Header.Get("Content-Type"))
			}
			appends++
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/workbooks") && strings.Contains(r.RawQuery, "uploadSessionId="):
			commit++
		case r.Path == "/api/v1/execute_tool" && bytes.Contains(r.Body, []byte("publish")):
			t.Errorf("publishing went to execute_tool: %.200s", r.Body)
		}
	}
	if start != 1 || appends < 5 || commit != 1 {
		t.Errorf("over the proxy: %d upload sessions, %d chunks, %d commits; want 1, at least 5, 1", start, appends, commit)
	}
}

func TestEveryToolThroughScalekit(t *testing.T) {
	f := scalekitFixture(t)
	s := f.session(demo.DemoIdentifier)
	walkEveryTool(t, s)

	// The wire form, as Scalekit received it.
	var executes, proxied int
	for _, r := range f.sk.Requests() {
		switch {
		case r.Path == "/api/v1/execute_tool":
			executes++
			var body map[string]json.RawMessage
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("execute_tool body %s", r.Body)
			}
			for _, k := range []string{"tool_name", "identifier", "connector", "params"} {
				if _, ok := body[k]; !ok {
					t.Errorf("execute_tool body lacks %s: %s", k, r.Body)
				}
			}
			if len(body) != 4 {
				t.Errorf("execute_tool body has extra fields: %s", r.Body)
			}
			if string(body["identifier"]) != `"`+demo.DemoIdentifier+`"` || string(body["connector"]) != `"tableau"` {
				t.Errorf("execute_tool body %s", r.Body)
			}
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				t.Error("execute_tool without a bearer token")
			}
		case strings.HasPrefix(r.Path, "/proxy/api/"):
			proxied++
			if r.Header.Get("connection_name") != "tableau" || r.Header.Get("identifier") != demo.DemoIdentifier {
				t.Errorf("proxy headers %v", r.Header)
			}
		}
	}
	if executes == 0 || proxied == 0 {
		t.Errorf("%d execute_tool calls and %d proxied calls; both paths must be used", executes, proxied)
	}
	if f.sk.TokenRequests() != 1 {
		t.Errorf("%d token requests for the whole walk, want 1", f.sk.TokenRequests())
	}
	// Only tools Scalekit's connector lacks went over the proxy.
	for _, tool := range tools.All() {
		if tool.Source == tools.New && strings.Contains(string(mustJSON(f.sk.Requests())), `"tool_name":"`+tool.Name+`"`) {
			t.Errorf("%s (ours) was sent to execute_tool", tool.Name)
		}
	}
}

func TestOneTokenRenewalForConcurrentCalls(t *testing.T) {
	f := scalekitFixture(t)
	s := f.session(demo.DemoIdentifier)
	s.OK("tableau_workbooks_list", nil)
	f.sk.ExpireTokens()
	before := f.sk.TokenRequests()
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.OK("tableau_projects_list", nil)
		}()
	}
	wg.Wait()
	if got := f.sk.TokenRequests() - before; got != 1 {
		t.Errorf("%d token requests after expiry for 12 concurrent calls, want exactly 1", got)
	}
}

func TestIdentitiesNeverSeeEachOthersData(t *testing.T) {
	f := scalekitFixture(t)
	// A second user whose connected account signs in to the Default site.
	adminB, ok := f.tab.UserIDByName("", "default.creator@example.com")
	if !ok {
		t.Fatal("no Default-site user")
	}
	pat := tableauemu.PAT{Name: "b-pat", Secret: "b-secret", SiteContentURL: "", UserID: adminB}
	if err := f.tab.AddPAT(pat); err != nil {
		t.Fatal(err)
	}
	f.sk.AddAccount(scalekitemu.Account{Identifier: "user_b", PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: ""})
	a, b := f.session(demo.DemoIdentifier), f.session("user_b")

	siteA := Str(a.OK("tableau_session_get", nil), "session", "site", "id")
	siteB := Str(b.OK("tableau_session_get", nil), "session", "site", "id")
	if siteA == siteB || siteA == "" {
		t.Fatalf("both identities on site %q", siteA)
	}
	groupsA := List(a.OK("tableau_groups_list", nil), "groups", "group")
	groupsB := List(b.OK("tableau_groups_list", nil), "groups", "group")
	if mustJSON(groupsA) == mustJSON(groupsB) {
		t.Fatal("both identities see the same groups")
	}
	// The proxy path (a tool Scalekit lacks) uses each identity's own site.
	// VizQL Data Service: A's data source is unknown on B's site.
	dsA := List(a.OK("tableau_datasources_list", args{"filter": "name:eq:Superstore Orders"}), "datasources", "datasource")
	if len(dsA) != 1 {
		t.Fatalf("%d Superstore Orders for A", len(dsA))
	}
	a.OK("tableau_datasource_metadata_get", args{"datasource_luid": dsA[0]["id"]})
	b.Fail("tableau_datasource_metadata_get", args{"datasource_luid": dsA[0]["id"]}, "404")
	gb := groupsB[0]["id"].(string)
	b.OK("tableau_group_users_list", args{"group_id": gb})
	a.Fail("tableau_group_users_list", args{"group_id": gb}, "404")
	for _, r := range f.sk.Requests() {
		if strings.HasPrefix(r.Path, "/proxy/api/3") {
			wantSite := siteA
			if r.Header.Get("identifier") == "user_b" {
				wantSite = siteB
			}
			if !strings.Contains(r.Path, "/sites/"+wantSite+"/") {
				t.Errorf("%s for %s used another identity's site", r.Path, r.Header.Get("identifier"))
			}
		}
	}
}

func TestScalekitErrorsTellWhatToDo(t *testing.T) {
	f := scalekitFixture(t)
	f.session("ghost").Fail("tableau_workbooks_list", nil, "no connected account", "ghost", "Add account", "tableau-mcp connect --identifier ghost")
	f.session("").Fail("tableau_workbooks_list", nil, "SCALEKIT_IDENTIFIER")

	s := f.session(demo.DemoIdentifier)
	// A read meets a rate limit that persists through its three attempts.
	for i := 0; i < 3; i++ {
		f.sk.FailNext("/api/v1/execute_tool", 429, "RATE_LIMITED", "too many requests")
	}
	s.Fail("tableau_workbooks_list", nil, "Scalekit's own rate limit", "tried 3 times")

	for i := 0; i < 3; i++ {
		f.tab.FailNext("GET", "/workbooks", 429, "429000")
	}
	msg := s.Fail("tableau_workbooks_list", nil, "429", "Tableau is rate limiting", "tried 3 times")
	if strings.Contains(msg, "Scalekit's own") {
		t.Errorf("Tableau's rate limit reported as Scalekit's: %s", msg)
	}

	f.tab.FailNext("GET", "/users", 403, "403133")
	s.Fail("tableau_users_list", nil, "403133", "permission")

	// A tool Scalekit runs itself (compact lists asking for names go
	// over the proxy instead).
	f.sk.FailNext("/api/v1/execute_tool", 503, "UNAVAILABLE", "down for a moment")
	s.OK("tableau_groups_list", nil) // retried with backoff

	for i := 0; i < 3; i++ { // the first try and two more
		f.sk.FailNext("/api/v1/execute_tool", 503, "UNAVAILABLE", "down")
	}
	s.Fail("tableau_groups_list", nil, "Scalekit is unavailable", "tried 3 times")
	s.OK("tableau_groups_list", nil) // no fault left over

	f.sk.SetAccountStatus("tableau", demo.DemoIdentifier, "EXPIRED")
	s.Fail("tableau_workbooks_list", nil, "expired or been revoked", "tableau-mcp connect --identifier "+demo.DemoIdentifier)
}

// TestHTTPCallersActAsThemselvesThroughScalekit serves the Scalekit backend
// over both HTTP transports: each bearer token's identifier reaches Scalekit,
// and each caller sees the site of its own connected account.
func TestHTTPCallersActAsThemselvesThroughScalekit(t *testing.T) {
	f := scalekitFixture(t)
	pat := f.tab.DefaultPAT()
	f.sk.AddAccount(scalekitemu.Account{Identifier: "alice", PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	bobUser, _ := f.tab.UserIDByName("", "default.creator@example.com")
	bobPAT := tableauemu.PAT{Name: "bob-pat", Secret: "bob-secret", SiteContentURL: "", UserID: bobUser}
	if err := f.tab.AddPAT(bobPAT); err != nil {
		t.Fatal(err)
	}
	f.sk.AddAccount(scalekitemu.Account{Identifier: "bob", PATName: bobPAT.Name, PATSecret: bobPAT.Secret})

	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			s := serve(t, server.Options{Backend: f.backend}, server.HTTPOptions{Transport: tr, Auth: tokenAuth(t)})
			sites := map[string]string{}
			for who, tok := range map[string]string{"alice": aliceToken, "bob": bobToken} {
				sess, err := s.connect(t, tr, bearer(tok))
				if err != nil {
					t.Fatal(err)
				}
				sites[who] = Str(sess.OK("tableau_session_get", nil), "session", "site", "name")
				// A tool Scalekit lacks goes over the proxy with the same identity.
				groups := List(sess.OK("tableau_groups_list", nil), "groups", "group")
				if len(groups) == 0 {
					t.Fatalf("%s sees no groups", who)
				}
				sess.OK("tableau_group_users_list", args{"group_id": groups[0]["id"]})
			}
			if !strings.Contains(sites["alice"], "sample data") || sites["bob"] != "Default" {
				t.Errorf("alice on %q, bob on %q", sites["alice"], sites["bob"])
			}
		})
	}
	for _, r := range f.sk.Requests() {
		who := r.Header.Get("identifier")
		if r.Path == "/api/v1/execute_tool" {
			var body struct{ Identifier string }
			json.Unmarshal(r.Body, &body)
			who = body.Identifier
		} else if !strings.HasPrefix(r.Path, "/proxy/") {
			continue
		}
		if who != "alice" && who != "bob" {
			t.Errorf("%s acted for %q", r.Path, who)
		}
	}
}
