package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	backendup "github.com/tableau-mcp/tableau-mcp/backend/upstream"
	"github.com/tableau-mcp/tableau-mcp/demo"
	"github.com/tableau-mcp/tableau-mcp/emulator/faults"
	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
)

// rig is a server whose backend reaches its upstream (Tableau itself, or
// Scalekit in front of Tableau) over loopback through a fault-injecting
// proxy.
type rig struct {
	proxy *faults.Proxy
	tab   *tableauemu.Emulator
	s     *Session
	// hop names, on the proxied hop, the request a tool call sends.
	hop func(tool, method, path string) faults.Match
}

// fastRetry keeps the policy's shape (three attempts, Retry-After honoured)
// but waits only milliseconds between attempts.
var fastRetry = backendup.Policy{Backoff: time.Millisecond}

func rigSession(t *testing.T, b backend.Backend, identity string) *Session {
	t.Helper()
	srv, err := server.New(server.Options{Version: "test", Backend: b, AllowDestructive: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	if identity != "" {
		s.Ctx = auth.WithIdentity(context.Background(), identity)
	}
	return s
}

func directRig(t *testing.T, pol backendup.Policy) *rig {
	tab, _ := demo.NewSite(tableauemu.Config{})
	p := faults.New(tab)
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	pat := tab.DefaultPAT()
	b, err := tableau.New(tableau.Config{ServerURL: hs.URL, Site: pat.SiteContentURL, PATName: pat.Name, PATSecret: pat.Secret, Retry: pol})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{proxy: p, tab: tab, s: rigSession(t, b, ""),
		hop: func(_, method, path string) faults.Match { return faults.Match{Method: method, Path: path} }}
}

func scalekitRig(t *testing.T, pol backendup.Policy) *rig {
	tab, _ := demo.NewSite(tableauemu.Config{})
	sk := scalekitemu.New(scalekitemu.Config{
		ClientID: demo.ScalekitClientID, ClientSecret: demo.ScalekitClientSecret, TableauURL: demo.BaseURL,
		HTTPClient: &http.Client{Transport: demo.HandlerTransport{Handler: tab}},
	})
	pat := tab.DefaultPAT()
	sk.AddAccount(scalekitemu.Account{Identifier: demo.DemoIdentifier, PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	p := faults.New(sk)
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	b, err := scalekit.New(scalekit.Config{EnvironmentURL: hs.URL, ClientID: demo.ScalekitClientID, ClientSecret: demo.ScalekitClientSecret, Retry: pol})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{proxy: p, tab: tab, s: rigSession(t, b, demo.DemoIdentifier),
		hop: func(tool, method, path string) faults.Match {
			// Over the proxy: REST calls, and the list tools whose compact
			// answers ask Tableau for names with fields=.
			if tool == "" || namesOverProxy[tool] {
				return faults.Match{Method: method, Path: "/proxy/" + "api/"}
			}
			return faults.Match{Method: http.MethodPost, Path: "/api/v1/execute_tool", Body: `"tool_name":"` + tool + `"`}
		}}
}

var namesOverProxy = map[string]bool{
	"tableau_workbooks_list": true, "tableau_workbook_search": true, "tableau_views_list": true,
	"tableau_datasources_list": true, "tableau_projects_list": true, "tableau_users_list": true,
}

func eachBackend(t *testing.T, f func(t *testing.T, r *rig)) { eachBackendWith(t, fastRetry, f) }

func eachBackendWith(t *testing.T, pol backendup.Policy, f func(t *testing.T, r *rig)) {
	t.Run("direct", func(t *testing.T) { f(t, directRig(t, pol)) })
	t.Run("scalekit", func(t *testing.T) { f(t, scalekitRig(t, pol)) })
}

// tableauSaw counts the requests Tableau itself received.
func tableauSaw(tab *tableauemu.Emulator, method, pathContains string) int {
	n := 0
	for _, r := range tab.Requests() {
		if r.Method == method && strings.Contains(r.Path, pathContains) {
			n++
		}
	}
	return n
}

func TestAReadSurvivesOneTransientFault(t *testing.T) {
	eachBackend(t, func(t *testing.T, r *rig) {
		r.s.OK("tableau_workbooks_list", nil) // signed in, site known
		m := r.hop("tableau_workbooks_list", http.MethodGet, "/workbooks")
		for name, f := range map[string]faults.Fault{
			"500":         {Status: 500},
			"503":         {Status: 503},
			"429 wait 1s": {Status: 429, Header: http.Header{"Retry-After": {"1"}}},
			"reset":       {Reset: true},
		} {
			before := r.proxy.Count(m)
			r.proxy.Inject(m, 1, f)
			got := r.s.OK("tableau_workbooks_list", nil)
			if len(List(got, "workbooks", "workbook")) == 0 {
				t.Errorf("%s: no workbooks after the retry: %v", name, got)
			}
			if n := r.proxy.Count(m) - before; n != 2 {
				t.Errorf("%s: the read was sent %d times, want 2 (the fault, then the retry)", name, n)
			}
		}
		// A reset on a VizQL Data Service query (a POST that only reads).
		id := findSuperstore(t, r.s)
		qm := r.hop("tableau_query_view", http.MethodPost, "/query-datasource")
		r.proxy.Inject(qm, 1, faults.Fault{Reset: true})
		rows, _ := queryRows(t, r.s, args{"datasource_luid": id, "fields": []any{fld("Region")}})
		if len(rows) != 4 {
			t.Errorf("query after a reset: %d rows, want the 4 regions", len(rows))
		}
	})
}

func TestAWriteIsSentExactlyOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, r *rig) {
		wb := idOf(t, r.s, "tableau_workbooks_list", "workbooks", "workbook", "Superstore Sales")
		m := r.hop("tableau_workbook_refresh", http.MethodPost, "/refresh")
		statuses := []int{500, 504}
		for _, status := range statuses {
			before, tabBefore := r.proxy.Count(m), tableauSaw(r.tab, http.MethodPost, "/refresh")
			// The upstream carries the refresh out; its answer is lost.
			r.proxy.Inject(m, 0, faults.Fault{Status: status, After: true})
			msg := r.s.Fail("tableau_workbook_refresh", args{"workbook_id": wb}, "not sent again", "taken effect")
			r.proxy.Clear()
			if n := r.proxy.Count(m) - before; n != 1 {
				t.Errorf("a write answered %d was sent %d times: %s", status, n, msg)
			}
			if n := tableauSaw(r.tab, http.MethodPost, "/refresh") - tabBefore; n != 1 {
				t.Errorf("Tableau ran the refresh %d times after a %d", n, status)
			}
			if strings.Contains(msg, "tried") {
				t.Errorf("a write claims to have been tried again: %s", msg)
			}
		}
		// A write refused with 429 is not repeated either, and is not said
		// to have perhaps taken effect.
		before429 := r.proxy.Count(m)
		r.proxy.Inject(m, 1, faults.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}})
		if msg := r.s.Fail("tableau_workbook_refresh", args{"workbook_id": wb}, "rate limit"); strings.Contains(msg, "taken effect") {
			t.Errorf("a 429 is reported as a write that may have taken effect: %s", msg)
		}
		if n := r.proxy.Count(m) - before429; n != 1 {
			t.Errorf("a write answered 429 was sent %d times", n)
		}
		// A reset after the request went out is not repeated either.
		before := r.proxy.Count(m)
		r.proxy.Inject(m, 1, faults.Fault{Reset: true, After: true})
		r.s.Fail("tableau_workbook_refresh", args{"workbook_id": wb})
		if n := r.proxy.Count(m) - before; n != 1 {
			t.Errorf("a write whose connection was reset was sent %d times", n)
		}
	})
}

func TestAPersistentFaultEndsInAnErrorSayingHowOftenItWasTried(t *testing.T) {
	eachBackend(t, func(t *testing.T, r *rig) {
		r.s.OK("tableau_projects_list", nil)
		m := r.hop("tableau_projects_list", http.MethodGet, "/projects")
		before := r.proxy.Count(m)
		r.proxy.Inject(m, 0, faults.Fault{Status: 500})
		r.s.Fail("tableau_projects_list", nil, "500", "tried 3 times")
		r.proxy.Clear()
		if n := r.proxy.Count(m) - before; n != 3 {
			t.Errorf("a persistent 500 was tried %d times, want 3", n)
		}
		// A wait longer than the policy honours ends the call at once.
		before = r.proxy.Count(m)
		r.proxy.Inject(m, 0, faults.Fault{Status: 503, Header: http.Header{"Retry-After": {"3600"}}})
		r.s.Fail("tableau_projects_list", nil, "503")
		r.proxy.Clear()
		if n := r.proxy.Count(m) - before; n != 1 {
			t.Errorf("a 503 asking to wait an hour was tried %d times, want 1", n)
		}
		r.s.OK("tableau_projects_list", nil)
	})
}

func TestATruncatedPNGIsAnError(t *testing.T) {
	eachBackend(t, func(t *testing.T, r *rig) {
		views := List(r.s.OK("tableau_views_list", nil), "views", "view")
		if len(views) == 0 {
			t.Fatal("no views")
		}
		id := views[0]["id"].(string)
		a := args{"view_id": id}
		if res := r.s.Call("tableau_view_image_get", a); res.IsError {
			t.Fatalf("whole image: %s", Text(res))
		}
		r.proxy.Inject(r.hop("", http.MethodGet, "/image"), 1, faults.Fault{Truncate: true})
		r.s.Fail("tableau_view_image_get", a, "not a valid PNG image", "cut short")
	})
}

// A download may take longer than the upstream timeout as long as it keeps
// coming; a pause that long stops it; a JSON answer is bounded in total.
func TestADownloadIsBoundedByIdleTimeNotTotalTime(t *testing.T) {
	pol := fastRetry
	// The margins are wide so that a loaded machine cannot turn a steady
	// trickle into an idle gap: pieces 40 ms apart against 800 ms of idle.
	pol.Timeout = 800 * time.Millisecond
	eachBackendWith(t, pol, func(t *testing.T, r *rig) {
		views := List(r.s.OK("tableau_views_list", nil), "views", "view")
		a := args{"view_id": views[0]["id"].(string)}
		image := r.hop("", http.MethodGet, "/image")

		// 32 pieces 40 ms apart: 1.28 s in all, never 800 ms idle.
		r.proxy.Inject(image, 1, faults.Fault{Trickle: 40 * time.Millisecond})
		if res := r.s.Call("tableau_view_image_get", a); res.IsError {
			t.Fatalf("a slow, steady download was stopped: %s", Text(res))
		}
		r.proxy.Inject(image, 1, faults.Fault{Stall: true})
		r.s.Fail("tableau_view_image_get", a, "sent nothing for 800ms", "TABLEAU_MCP_UPSTREAM_TIMEOUT")

		list := r.hop("tableau_views_list", http.MethodGet, "/views")
		r.proxy.Inject(list, 1, faults.Fault{Trickle: 40 * time.Millisecond})
		r.s.Fail("tableau_views_list", nil, "did not answer within 800ms")
	})
}
