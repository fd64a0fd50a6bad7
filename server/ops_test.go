package server_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// scrape reads /metrics into "name{labels}" -> value text.
func scrape(t *testing.T, url string) map[string]string {
	t.Helper()
	resp := get(t, url+"/metrics", nil)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			out[line[:i]] = line[i+1:]
		}
	}
	return out
}

func TestMetricsCountCalls(t *testing.T) {
	m := server.NewMetrics()
	b := newSpy(t)
	srv := serve(t, server.Options{Backend: m.Instrument(b), Metrics: m}, server.HTTPOptions{Auth: tokenAuth(t), Metrics: m})
	alice, err := srv.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	alice.OK("tableau_workbooks_list", nil)
	alice.OK("tableau_workbooks_list", nil)
	alice.Fail("tableau_workbook_get", map[string]any{"workbook_id": "00000000-0000-4000-8000-00000000beef"}, "404")
	alice.Fail("tableau_workbook_delete", map[string]any{"workbook_id": "00000000-0000-4000-8000-00000000beef"}, "--allow-destructive")
	post(t, srv.URL+"/mcp", initBody, nil)

	release := b.hold("tableau_projects_list")
	done := make(chan struct{})
	go func() { alice.Call("tableau_projects_list", nil); close(done) }()
	<-b.entered
	during := scrape(t, srv.URL)
	release()
	<-done
	after := scrape(t, srv.URL)

	for k, want := range map[string]string{
		`tableau_mcp_tool_calls_total{outcome="ok",tool="tableau_workbooks_list"}`:       "2",
		`tableau_mcp_tool_calls_total{outcome="error",tool="tableau_workbook_get"}`:      "1",
		`tableau_mcp_tool_calls_total{outcome="refused",tool="tableau_workbook_delete"}`: "1",
		`tableau_mcp_tool_calls_total{outcome="ok",tool="tableau_projects_list"}`:        "1",
		`tableau_mcp_tool_call_duration_seconds_count{tool="tableau_workbooks_list"}`:    "2",
		`tableau_mcp_upstream_responses_total{status="404"}`:                             "1",
		`tableau_mcp_upstream_responses_total{status="2xx"}`:                             "3",
		`tableau_mcp_tool_calls_in_flight`:                                               "0",
		`tableau_mcp_upstream_sign_ins_total`:                                            "1",
		`tableau_mcp_http_unauthorized_total{reason="missing"}`:                          "1",
	} {
		if after[k] != want {
			t.Errorf("%s = %q, want %s", k, after[k], want)
		}
	}
	if during["tableau_mcp_tool_calls_in_flight"] != "1" {
		t.Errorf("in flight during a held call: %q, want 1", during["tableau_mcp_tool_calls_in_flight"])
	}
}

func TestGracefulShutdownFinishesTheCallInFlight(t *testing.T) {
	for _, tr := range []string{"http", "sse"} {
		t.Run(tr, func(t *testing.T) {
			b := newSpy(t)
			srv := serve(t, server.Options{Backend: b}, server.HTTPOptions{Transport: tr, Auth: tokenAuth(t), ShutdownGrace: time.Minute})
			alice, err := srv.connect(t, tr, bearer(aliceToken))
			if err != nil {
				t.Fatal(err)
			}
			release := b.hold("tableau_workbooks_list")
			result := make(chan *mcp.CallToolResult, 1)
			go func() { result <- alice.Call("tableau_workbooks_list", map[string]any{"page_size": 2}) }()
			<-b.entered

			stopped := make(chan error, 1)
			go func() { stopped <- srv.stop() }()
			// Draining: not ready, no new work, the held call still running.
			draining := false
			for i := 0; i < 2000 && !draining; i++ {
				resp, err := http.Get(srv.URL + "/readyz")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				draining = resp.StatusCode == http.StatusServiceUnavailable
				if !draining {
					time.Sleep(5 * time.Millisecond)
				}
			}
			if !draining {
				t.Fatal("/readyz never reported the shutdown")
			}
			if err := callErr(alice, "tableau_projects_list", nil); err == nil {
				t.Error("a new call started during the shutdown")
			}
			select {
			case err := <-stopped:
				t.Fatalf("the server stopped with a call in flight: %v", err)
			default:
			}
			release()
			res := <-result
			if res.IsError || len(List(mustObject(t, Text(res)), "workbooks", "workbook")) != 2 {
				t.Errorf("the call in flight did not finish: %s", Text(res))
			}
			if err := <-stopped; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}
