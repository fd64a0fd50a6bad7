package server_test

import (
	"github.com/tableau-mcp/tableau-mcp/internal/mcptest"

	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

var transports = []string{"stdio", "http"}

// upstream is the emulated site behind a real loopback HTTP server, which
// can hold the requests whose path contains a chosen piece until the client
// side gives up on them.
type upstream struct {
	emu      *tableauemu.Emulator
	srv      *httptest.Server
	mu       sync.Mutex
	holdPath string
	entered  chan string
	aborted  chan string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	emu, _ := demo.NewSite(tableauemu.Config{})
	u := &upstream{emu: emu, entered: make(chan string, 8), aborted: make(chan string, 8)}
	u.srv = httptest.NewServer(u)
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) hold(pathPart string) {
	u.mu.Lock()
	u.holdPath = pathPart
	u.mu.Unlock()
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	hold := u.holdPath != "" && strings.Contains(r.URL.Path, u.holdPath)
	u.mu.Unlock()
	if hold {
		u.entered <- r.URL.Path
		<-r.Context().Done()
		u.aborted <- r.URL.Path
		return
	}
	u.emu.ServeHTTP(w, r)
}

// backend is the direct Tableau backend signed in to the upstream.
func (u *upstream) backend(t *testing.T) backend.Backend {
	t.Helper()
	pat := u.emu.DefaultPAT()
	c, err := tableau.New(tableau.Config{ServerURL: u.srv.URL, Site: pat.SiteContentURL, PATName: pat.Name, PATSecret: pat.Secret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tool calls a tool with _meta (nil for none) and returns its answer.
func (c *rawClient) tool(name string, args map[string]any, meta map[string]any) map[string]any {
	c.t.Helper()
	params := map[string]any{"name": name, "arguments": args}
	if meta != nil {
		params["_meta"] = meta
	}
	res := c.result(c.call("tools/call", params))
	if res["isError"] == true {
		c.t.Fatalf("%s failed: %v", name, res["content"])
	}
	return res
}

func textOf(res map[string]any) string {
	var b strings.Builder
	for _, c := range res["content"].([]any) {
		if m := c.(map[string]any); m["type"] == "text" {
			b.WriteString(m["text"].(string))
		}
	}
	return b.String()
}

// firstID is the id of the first item of a list tool's answer named name.
func (c *rawClient) idOf(tool, plural, singular, name string) string {
	c.t.Helper()
	var m map[string]any
	res := c.tool(tool, map[string]any{"filter": "name:eq:" + name}, nil)
	if err := json.Unmarshal([]byte(textOf(res)), &m); err != nil {
		c.t.Fatal(err)
	}
	items := mcptest.List(m, plural, singular)
	if len(items) == 0 {
		c.t.Fatalf("%s: no %s named %q", tool, singular, name)
	}
	return items[0]["id"].(string)
}

func TestLoggingReachesTheClientAtItsLevel(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			u := newUpstream(t)
			c := rawOver(t, server.Options{Backend: u.backend(t), Logger: zap.NewNop()}, tr)
			init := c.seen[0]["result"].(map[string]any)["capabilities"].(map[string]any)
			if _, ok := init["logging"]; !ok {
				t.Errorf("the server does not declare logging: %v", init)
			}

			// Until the client asks, only errors would be sent.
			c.tool("tableau_views_list", map[string]any{"filter": "name:eq:Sales by Region"}, nil)
			if n := len(c.notifications("notifications/message")); n != 0 {
				t.Fatalf("%d log messages before logging/setLevel", n)
			}

			c.result(c.call("logging/setLevel", map[string]any{"level": "info"}))
			c.tool("tableau_views_list", map[string]any{"filter": "name:eq:Sales by Region"}, nil)
			msgs := c.notifications("notifications/message")
			if len(msgs) != 1 {
				t.Fatalf("%d log messages after one call at level info, want the access log line: %v", len(msgs), msgs)
			}
			p := msgs[0]["params"].(map[string]any)
			data, _ := p["data"].(map[string]any)
			if p["level"] != "info" || p["logger"] != "tableau-mcp" || data["message"] != "tool call" ||
				data["tool"] != "tableau_views_list" || data["outcome"] != "ok" {
				t.Errorf("log message %v; want level info, logger tableau-mcp, the tool call with its outcome", p)
			}
			raw, _ := json.Marshal(msgs[0])
			if strings.Contains(string(raw), "Sales by Region") {
				t.Errorf("an argument value reached the log message: %s", raw)
			}

			// A failing call logs its failure without the error text.
			res := c.result(c.call("tools/call", map[string]any{"name": "tableau_view_image_get", "arguments": map[string]any{"view_id": "00000000-0000-4000-8000-00000000beef"}}))
			if res["isError"] != true {
				t.Fatalf("an unknown view gave %v", res)
			}
			for _, m := range c.notifications("notifications/message")[1:] {
				raw, _ := json.Marshal(m)
				if strings.Contains(string(raw), "beef") {
					t.Errorf("an argument value reached the log message: %s", raw)
				}
			}

			// Back to errors only: nothing more.
			c.result(c.call("logging/setLevel", map[string]any{"level": "error"}))
			before := len(c.notifications("notifications/message"))
			c.tool("tableau_views_list", nil, nil)
			if n := len(c.notifications("notifications/message")); n != before {
				t.Errorf("%d log messages at level error after a successful call", n-before)
			}

			bad := c.answer(c.call("logging/setLevel", map[string]any{"level": "loud"}))
			if bad["error"] == nil {
				t.Errorf("level loud accepted: %v", bad)
			}
		})
	}
}

// progressOf returns the progress notifications for token.
func progressOf(c *rawClient, token any) []map[string]any {
	var out []map[string]any
	for _, m := range c.notifications("notifications/progress") {
		p := m["params"].(map[string]any)
		if p["progressToken"] == token {
			out = append(out, p)
		}
	}
	return out
}

// checkProgress checks that progress only increases and ends at size, the
// total, and returns the number of notifications.
func checkProgress(t *testing.T, ps []map[string]any, size int64) int {
	t.Helper()
	if len(ps) < 2 {
		t.Fatalf("%d progress notifications, want a start and an end: %v", len(ps), ps)
	}
	last := -1.0
	for _, p := range ps {
		v := p["progress"].(float64)
		if v <= last {
			t.Errorf("progress went from %v to %v", last, v)
		}
		last = v
		if p["message"] == "" {
			t.Errorf("progress without a message: %v", p)
		}
	}
	end := ps[len(ps)-1]
	if end["progress"] != float64(size) || end["total"] != float64(size) {
		t.Errorf("last progress %v, want progress and total %d, the file's size", end, size)
	}
	return len(ps)
}

func TestProgressOfDownloadsAndExports(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			u := newUpstream(t)
			u.emu.SetExtractBytes(3 << 20)
			dir := t.TempDir()
			c := rawOver(t, server.Options{Backend: u.backend(t), Exports: tools.ExportOptions{Dir: dir}}, tr)

			wb := c.idOf("tableau_workbooks_list", "workbooks", "workbook", "Superstore Sales")
			res := c.tool("tableau_workbook_download", map[string]any{"workbook_id": wb}, map[string]any{"progressToken": "dl"})
			path := regexp.MustCompile(`Saved to (.+)\.$`).FindStringSubmatch(textOf(res))
			if path == nil {
				t.Fatalf("no saved file in %s", textOf(res))
			}
			st, err := os.Stat(path[1])
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() < 3<<20 {
				t.Fatalf("the download is %d bytes; the extract alone is 3 MiB", st.Size())
			}
			if n := checkProgress(t, progressOf(c, "dl"), st.Size()); n < 5 {
				t.Errorf("%d progress notifications for %d bytes; want one at least every twentieth or 256 KiB", n, st.Size())
			}

			view := c.idOf("tableau_views_list", "views", "view", "Sales by Region")
			res = c.tool("tableau_view_image_get", map[string]any{"view_id": view}, map[string]any{"progressToken": 7})
			var png []byte
			for _, ct := range res["content"].([]any) {
				if m := ct.(map[string]any); m["type"] == "image" {
					png, _ = base64.StdEncoding.DecodeString(m["data"].(string))
				}
			}
			if len(png) == 0 {
				t.Fatalf("no image in %v", res)
			}
			checkProgress(t, progressOf(c, float64(7)), int64(len(png)))

			// No token, no progress.
			before := len(c.notifications("notifications/progress"))
			c.tool("tableau_view_image_get", map[string]any{"view_id": view}, nil)
			if n := len(c.notifications("notifications/progress")); n != before {
				t.Errorf("%d progress notifications for a call without a progressToken", n-before)
			}
		})
	}
}

func TestProgressOfAQuery(t *testing.T) {
	u := newUpstream(t)
	c := rawOver(t, server.Options{Backend: u.backend(t)}, "stdio")
	ds := c.idOf("tableau_datasources_list", "datasources", "datasource", "Superstore Orders")
	c.tool("tableau_query_view", map[string]any{"datasource_luid": ds, "fields": []any{map[string]any{"fieldCaption": "Region"}}}, map[string]any{"progressToken": "q"})
	ps := progressOf(c, "q")
	if len(ps) < 2 || ps[0]["progress"] != 0.0 || ps[len(ps)-1]["progress"] != ps[len(ps)-1]["total"] {
		t.Errorf("query progress %v; want a start at 0 and an end at the total", ps)
	}
}

// cancelHeldImage starts an image export of view that the upstream holds,
// cancels the call once the upstream has it, and waits until the upstream
// request is aborted. It returns the call's request ID.
func cancelHeldImage(t *testing.T, c *rawClient, u *upstream, view string) int {
	t.Helper()
	u.hold("/image")
	id := c.call("tools/call", map[string]any{"name": "tableau_view_image_get", "arguments": map[string]any{"view_id": view}})
	select {
	case <-u.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the image export never reached the upstream")
	}
	c.notify("notifications/cancelled", map[string]any{"requestId": id, "reason": "the user changed their mind"})
	select {
	case <-u.aborted:
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream request went on after the call was cancelled")
	}
	return id
}

func TestCancelledCallAbortsItsUpstreamRequest(t *testing.T) {
	for _, tr := range append(transports, "sse") {
		t.Run(tr, func(t *testing.T) {
			u := newUpstream(t)
			metrics := server.NewMetrics()
			c := rawOver(t, server.Options{Backend: u.backend(t), Metrics: metrics}, tr)
			view := c.idOf("tableau_views_list", "views", "view", "Sales by Region")

			id := cancelHeldImage(t, c, u, view)

			// The call ends as cancelled in the metrics, and gets no answer.
			counted := func() float64 { return callsCounted(t, metrics, "tableau_view_image_get", server.OutcomeCancelled) }
			deadline := time.Now().Add(30 * time.Second)
			for counted() != 1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if v := counted(); v != 1 {
				t.Fatalf("cancelled calls counted: %v, want 1", v)
			}
			if tr == "http" {
				c.until("end of the cancelled call's POST", func(m map[string]any) bool { return m["_closed"] == float64(id) })
			}
			c.result(c.call("ping", nil))
			u.hold("")
			c.tool("tableau_views_list", nil, nil)
			if c.answered(id) {
				t.Errorf("the cancelled call %d was answered", id)
			}
		})
	}
}

// callsCounted reads tableau_mcp_tool_calls_total for tool and outcome
// from what /metrics serves.
func callsCounted(t *testing.T, m *server.Metrics, tool, outcome string) float64 {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	series := fmt.Sprintf("tableau_mcp_tool_calls_total{outcome=%q,tool=%q} ", outcome, tool)
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// TestUnknownToolSameOnEveryTransport: a call of a tool the server does not
// serve is answered with the closest tool it serves, and odd calls (a name
// that is not a string, params that are not an object) get the same answer
// over streamable HTTP, where the transport's reading of the message is
// reused, as over stdio, where it is not.
func TestUnknownToolSameOnEveryTransport(t *testing.T) {
	calls := []map[string]any{
		{"name": "tableau_workbook_list", "arguments": map[string]any{}},
		{"name": 5},
		{"name": "tableau_workbook_list", "arguments": "x"},
		{"name": ""},
	}
	answers := map[string][]string{}
	for _, tr := range []string{"stdio", "http"} {
		u := newUpstream(t)
		c := rawOver(t, server.Options{Backend: u.backend(t)}, tr)
		for _, params := range calls {
			m := c.answer(c.call("tools/call", params))
			b, _ := json.Marshal(m["error"])
			answers[tr] = append(answers[tr], string(b))
		}
		if a := answers[tr][0]; !strings.Contains(a, "did you mean tableau_workbooks_list") {
			t.Errorf("%s: unknown tool answered %s", tr, a)
		}
		if a := answers[tr][3]; !strings.Contains(a, "names no tool (params.name). The tools") {
			t.Errorf("%s: a call with no name answered %s", tr, a)
		}
	}
	for i := range calls {
		if answers["stdio"][i] != answers["http"][i] {
			t.Errorf("call %v: over stdio %s, over HTTP %s", calls[i], answers["stdio"][i], answers["http"][i])
		}
	}
}

// TestUnknownToolSameNameAsDispatched: the unknown-tool check reads the
// name mcp-go dispatches, whatever the body's spelling: a name given twice
// (the last counts), in another case or escaped, params that are null or
// not an object, a method given twice. Over streamable HTTP the check
// reuses the transport's reading of the body; over stdio it reads the
// body itself: both answer alike, and a served tool is never refused.
func TestUnknownToolSameNameAsDispatched(t *testing.T) {
	const served, unknown = `"tableau_workbooks_list"`, `"tableau_nope_list"`
	type body struct {
		params  string
		method  string // the method, when not tools/call, after a member "Method": "tools/call"
		refused bool   // answered as an unknown tool
	}
	bodies := []body{
		{params: `{"name":` + served + `,"name":` + unknown + `}`, refused: true},
		{params: `{"name":` + unknown + `,"name":` + served + `}`},
		{params: `{"NAME":` + unknown + `}`, refused: true},
		{params: `{"name":` + unknown + `,"Name":` + served + `}`},
		{params: `{"n\u0061me":` + unknown + `}`, refused: true},
		{params: `{"name":"tableau_w\u006frkbooks_list"}`},
		{params: `{"name":"tableau_workbooks_list\u0000"}`, refused: true},
		{params: `{"name":` + unknown + `,"name":5}`},
		{params: `null`, refused: true},
		{params: `[]`},
		{params: `"x"`},
		{params: `{"name":` + unknown + `}`, method: "ping"},
		{params: `{"name":` + unknown + `}`, method: "tools/call", refused: true},
	}
	answers := map[string][]string{}
	for _, tr := range []string{"stdio", "http"} {
		u := newUpstream(t)
		c := rawOver(t, server.Options{Backend: u.backend(t)}, tr)
		for _, b := range bodies {
			c.mu.Lock()
			c.nextID++
			id := c.nextID
			c.mu.Unlock()
			msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": json.RawMessage(b.params)}
			if b.method != "" {
				// "Method" is written before "method": the last one counts.
				msg["Method"], msg["method"] = msg["method"], b.method
			}
			c.send(msg, id)
			m := c.answer(id)
			e, _ := json.Marshal(m["error"])
			answers[tr] = append(answers[tr], string(e))
			if refused := strings.Contains(string(e), "not found") || strings.Contains(string(e), "names no tool"); refused != b.refused {
				t.Errorf("%s: params %s (Method %q): answered %s, refused as unknown: %v, want %v", tr, b.params, b.method, e, refused, b.refused)
			}
		}
	}
	for i, b := range bodies {
		if answers["stdio"][i] != answers["http"][i] {
			t.Errorf("params %s: over stdio %s, over HTTP %s", b.params, answers["stdio"][i], answers["http"][i])
		}
	}
}
