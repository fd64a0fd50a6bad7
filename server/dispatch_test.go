package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// recorder is a backend that records every request it is asked to send.
type recorder struct {
	backend.Backend
	mu   sync.Mutex
	sent []string // "METHOD path" of Invoke, "OPEN path" of Open
}

func (r *recorder) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	r.mu.Lock()
	r.sent = append(r.sent, call.Request.Method+" "+call.Request.Path)
	r.mu.Unlock()
	return r.Backend.Invoke(ctx, call)
}

func (r *recorder) Open(ctx context.Context, req backend.Request) (*http.Response, error) {
	r.mu.Lock()
	r.sent = append(r.sent, "OPEN "+req.Path)
	r.mu.Unlock()
	return r.Backend.Open(ctx, req)
}

// since returns what was sent after the first n requests.
func (r *recorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent[n:]...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

// onlyLookups reports whether every request is a GET of one item (what the
// scope reads to decide), never a write, a download or a listing.
func onlyLookups(sent []string) bool {
	for _, s := range sent {
		method, path, _ := strings.Cut(s, " ")
		parts := strings.Split(strings.Trim(path, "/"), "/")
		if method != http.MethodGet || len(parts) != 2 || (parts[0] != "workbooks" && parts[0] != "views" && parts[0] != "datasources" && parts[0] != "customviews" && parts[0] != "flows") && path != "/tasks/extractRefreshes" {
			return false
		}
	}
	return true
}

// spellings gives a parameter name as written exactly and in other cases.
func spellings(name string) []string {
	title := strings.ToUpper(name[:1]) + name[1:]
	parts := strings.Split(name, "_")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return []string{name, strings.ToUpper(name), title, strings.Join(parts, "_")}
}

// scopedSite is a demo site, its content read unscoped, and the IDs of one
// project's content (in scope) and of content elsewhere (out of scope).
type scopedSite struct {
	b               *recorder
	sales           string
	inWB, outWB     string
	inView, outView string
	inDS, outDS     string
	inCV, outCV     string
	inFlow, outFlow string
	inTask, outTask string
	outProject      string
	scope           server.Scope
}

func newScopedSite(t *testing.T) *scopedSite {
	t.Helper()
	base, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	all := readSite(t, inProcess(t, server.Options{Backend: base}))
	x := &scopedSite{b: &recorder{Backend: base}}
	for _, p := range all.projects {
		if p["name"] == "Sales" {
			x.sales = p["id"].(string)
		}
	}
	pick := func(items []map[string]any, in bool, key ...string) string {
		for _, m := range items {
			if (Str(m, key...) == x.sales) == in {
				return m["id"].(string)
			}
		}
		t.Fatalf("demo site has no item with in=%v", in)
		return ""
	}
	x.inWB, x.outWB = pick(all.workbooks, true, "project", "id"), pick(all.workbooks, false, "project", "id")
	x.inView, x.outView = pick(all.views, true, "project", "id"), pick(all.views, false, "project", "id")
	x.inDS, x.outDS = pick(all.datasources, true, "project", "id"), pick(all.datasources, false, "project", "id")
	// A custom view is in scope when its workbook is: give each its
	// workbook's project, as the workbook list says.
	wbProject := map[string]string{}
	for _, w := range all.workbooks {
		wbProject[w["id"].(string)] = Str(w, "project", "id")
	}
	var cvs []map[string]any
	for _, cv := range all.customViews {
		p := wbProject[Str(cv, "workbook", "id")]
		if p != x.sales {
			p = "elsewhere" // a child project of Sales is outside a scope of Sales alone
		}
		cvs = append(cvs, map[string]any{"id": cv["id"], "project": map[string]any{"id": p}})
	}
	x.inCV, x.outCV = pick(cvs, true, "project", "id"), pick(cvs, false, "project", "id")
	x.inFlow, x.outFlow = pick(all.flows, true, "project", "id"), pick(all.flows, false, "project", "id")
	// An extract refresh task is in scope when what it refreshes is.
	contentProject := map[string]string{}
	for _, w := range all.workbooks {
		contentProject[w["id"].(string)] = Str(w, "project", "id")
	}
	for _, d := range all.datasources {
		contentProject[d["id"].(string)] = Str(d, "project", "id")
	}
	var tasks []map[string]any
	for _, tk := range all.tasks {
		target := Str(tk, "workbook", "id") + Str(tk, "datasource", "id")
		tasks = append(tasks, map[string]any{"id": tk["id"], "project": map[string]any{"id": contentProject[target]}})
	}
	x.inTask, x.outTask = pick(tasks, true, "project", "id"), pick(tasks, false, "project", "id")
	for _, p := range all.projects {
		if p["id"] != x.sales {
			x.outProject = p["id"].(string)
		}
	}
	x.scope = server.Scope{Projects: []string{x.sales}}
	return x
}

// outOf returns the out-of-scope ID for a content kind.
func (x *scopedSite) outOf(kind string) string {
	return map[string]string{tools.KindProject: x.outProject, tools.KindWorkbook: x.outWB, tools.KindView: x.outView, tools.KindDatasource: x.outDS, tools.KindCustomView: x.outCV, tools.KindFlow: x.outFlow, tools.KindTask: x.outTask}[kind]
}

func (x *scopedSite) inOf(kind string) string {
	return map[string]string{tools.KindProject: x.sales, tools.KindWorkbook: x.inWB, tools.KindView: x.inView, tools.KindDatasource: x.inDS, tools.KindCustomView: x.inCV, tools.KindFlow: x.inFlow, tools.KindTask: x.inTask}[kind]
}

// Every tool taking a content ID, called by an authenticated caller of a
// scoped HTTP server with an out-of-scope ID under any spelling of the
// parameter's name, is refused before anything but a lookup reaches
// Tableau: nothing is read, written or downloaded.
func TestScopeHoldsWhateverTheSpellingOfArgumentNames(t *testing.T) {
	x := newScopedSite(t)
	s := serve(t, server.Options{Backend: x.b, AllowDestructive: true, Scope: x.scope}, server.HTTPOptions{Auth: tokenAuth(t)})
	sess, err := s.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	params := tools.ContentParams()
	tried := 0
	for _, tool := range tools.All() {
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		for name, kind := range params {
			if _, ok := def.InputSchema.Properties[name]; !ok && !strings.Contains(string(def.RawInputSchema), `"`+name+`"`) {
				continue
			}
			// The other content parameters of the tool get in-scope values,
			// so that only this one can be the reason for a refusal.
			for _, spelled := range spellings(name) {
				args := map[string]any{}
				for other, k := range params {
					if other != name && strings.Contains(string(def.RawInputSchema), `"`+other+`"`) {
						args[other] = x.inOf(k)
					}
				}
				args[spelled] = x.outOf(kind)
				fillRequired(tool, args)
				n := x.b.count()
				res := sess.Call(tool.Name, args)
				tried++
				if !res.IsError {
					t.Errorf("%s with %s=<out of scope> answered without error: %.200s", tool.Name, spelled, Text(res))
					continue
				}
				msg := Text(res)
				if spelled == name && !strings.Contains(msg, "outside") {
					t.Errorf("%s with %s: %s", tool.Name, spelled, msg)
				}
				if spelled != name && !strings.Contains(msg, `"`+name+`"`) {
					t.Errorf("%s with %s: the error does not name %q: %s", tool.Name, spelled, name, msg)
				}
				if sent := x.b.since(n); !onlyLookups(sent) {
					t.Errorf("%s with %s=<out of scope> sent %v", tool.Name, spelled, sent)
				}
			}
		}
	}
	if tried < 100 {
		t.Errorf("only %d calls tried", tried)
	}
	// The out-of-scope workbook is still there.
	inProcess(t, server.Options{Backend: x.b.Backend}).OK("tableau_workbook_get", map[string]any{"workbook_id": x.outWB})
}

// fillRequired gives the tool's other required parameters a plausible value.
func fillRequired(t tools.Tool, args map[string]any) {
	def, _ := t.MCP()
	var schema struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	json.Unmarshal(def.RawInputSchema, &schema)
	for _, r := range schema.Required {
		if _, ok := args[r]; ok {
			continue
		}
		var p struct {
			Type string   `json:"type"`
			Enum []string `json:"enum"`
		}
		json.Unmarshal(schema.Properties[r], &p)
		switch {
		case len(p.Enum) > 0:
			args[r] = p.Enum[0]
		case r == "fields":
			args[r] = []any{map[string]any{"fieldCaption": "Region"}}
		case p.Type == "array":
			args[r] = []any{}
		case p.Type == "integer" || p.Type == "number":
			args[r] = 1
		case p.Type == "boolean":
			args[r] = true
		case strings.HasSuffix(r, "_id"):
			args[r] = "9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"
		default:
			args[r] = "x"
		}
	}
}

// resources/read is guarded like the tool behind it: scope, selection,
// limits, the access log and the metrics.
func TestResourceReadsTakeTheGuardedPath(t *testing.T) {
	x := newScopedSite(t)
	core, logs := observer.New(zap.InfoLevel)
	m := server.NewMetrics()
	s := serve(t, server.Options{Backend: x.b, Scope: x.scope, Logger: zap.New(core), Metrics: m}, server.HTTPOptions{Auth: tokenAuth(t), Metrics: m})
	sess, err := s.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	read := func(sess *Session, uri string) error {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		_, err := sess.C.ReadResource(context.Background(), req)
		return err
	}
	for _, uri := range []string{
		"tableau://views/" + x.outView + "/data",
		"tableau://views/" + x.outView + "/image",
		"tableau://views/" + x.outView + "/data?vf_Region=East",
		"tableau://workbooks/" + x.outWB + "/content",
		"tableau://workbooks/" + x.outWB + "/content?include_extract=false",
		"tableau://datasources/" + x.outDS + "/content",
	} {
		n := x.b.count()
		err := read(sess, uri)
		if err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("%s: %v, want a refusal saying it is outside the scope", uri, err)
		}
		if sent := x.b.since(n); !onlyLookups(sent) {
			t.Errorf("%s sent %v", uri, sent)
		}
	}
	if err := read(sess, "tableau://views/"+x.inView+"/data"); err != nil {
		t.Errorf("an in-scope view's data: %v", err)
	}
	lines := logs.FilterMessage("resource request").All()
	if len(lines) != 7 {
		t.Fatalf("%d access log lines for 7 resource reads", len(lines))
	}
	f := lines[0].ContextMap()
	if f["identity"] != "alice" || f["tool"] != "tableau_view_data_get" || f["outcome"] != "refused" || f["reason"] != "scope" {
		t.Errorf("access log line %v", f)
	}
	if f := lines[6].ContextMap(); f["outcome"] != "ok" {
		t.Errorf("access log line of the in-scope read %v", f)
	}
	for _, l := range lines {
		for _, v := range l.ContextMap() {
			if s, ok := v.(string); ok && (strings.Contains(s, x.outView) || strings.Contains(s, x.inView)) {
				t.Errorf("the access log holds an argument value: %v", l.ContextMap())
			}
		}
	}
	resp := get(t, s.URL+"/metrics", nil)
	defer resp.Body.Close()
	var body strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for _, want := range []string{
		`tableau_mcp_tool_calls_total{outcome="refused",tool="tableau_view_data_get"} 2`,
		`tableau_mcp_tool_calls_total{outcome="ok",tool="tableau_view_data_get"} 1`,
		`tableau_mcp_tool_calls_total{outcome="refused",tool="tableau_workbook_download"} 2`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// With the export tools not served, their templates are neither listed nor
// readable; reads count against the caller's limits.
func TestResourceTemplatesFollowTheSelectionAndLimits(t *testing.T) {
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	siteOnly, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"site"}})
	if err != nil {
		t.Fatal(err)
	}
	wb := List(inProcess(t, server.Options{Backend: b}).OK("tableau_workbooks_list", nil), "workbooks", "workbook")[0]["id"].(string)
	sess := inProcess(t, server.Options{Backend: b, Tools: siteOnly, Limits: server.Limits{PerMinute: 2}})
	lt, err := sess.C.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	if err == nil && len(lt.ResourceTemplates) > 0 {
		t.Errorf("%d templates listed with no export tool served", len(lt.ResourceTemplates))
	}
	for i := 0; i < 10; i++ {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = "tableau://workbooks/" + wb + "/content"
		if _, err := sess.C.ReadResource(context.Background(), req); err == nil {
			t.Fatalf("read %d of a workbook's content returned the file with no export tool served", i+1)
		}
	}

	// With the exports served, the third read within a minute is refused.
	sess = inProcess(t, server.Options{Backend: b, Limits: server.Limits{PerMinute: 2}})
	lt, err = sess.C.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	if err != nil || len(lt.ResourceTemplates) == 0 {
		t.Fatalf("templates with the exports served: %v", err)
	}
	var errs []error
	for i := 0; i < 3; i++ {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = "tableau://workbooks/" + wb + "/content?include_extract=false"
		_, err := sess.C.ReadResource(context.Background(), req)
		errs = append(errs, err)
	}
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || !strings.Contains(errs[2].Error(), "rate limit") {
		t.Errorf("three reads with a limit of two a minute: %v", errs)
	}
}

// prompts/get is scoped and limited like a call: an out-of-scope ID is
// refused, and requests count against the caller's limit.
func TestPromptsAreScopedAndLimited(t *testing.T) {
	x := newScopedSite(t)
	sess := inProcess(t, server.Options{Backend: x.b, Scope: x.scope, Limits: server.Limits{PerMinute: 2}})
	get := func(view string) error {
		req := mcp.GetPromptRequest{}
		req.Params.Name = "explain_view"
		req.Params.Arguments = map[string]string{"view": view}
		_, err := sess.C.GetPrompt(context.Background(), req)
		return err
	}
	if err := get(x.outView); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("a prompt on an out-of-scope view: %v", err)
	}
	if err := get(x.inView); err != nil {
		t.Errorf("a prompt on an in-scope view: %v", err)
	}
	if err := get(x.inView); err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("a third prompt within a minute with a limit of two: %v", err)
	}
}

// An extract refresh task follows what it refreshes: a scoped server lists
// only the tasks of in-scope workbooks and data sources, and runs only those.
func TestExtractRefreshTasksFollowTheirContentIntoScope(t *testing.T) {
	x := newScopedSite(t)
	scoped := inProcess(t, server.Options{Backend: x.b, AllowDestructive: true, Scope: x.scope})
	listed := ids(List(scoped.OK("tableau_extract_refresh_tasks_list", map[string]any{"page_size": 1000}), "tasks", "task"))
	if !slices.Contains(listed, x.inTask) || slices.Contains(listed, x.outTask) {
		t.Errorf("scoped task list %v: want %s in and %s out", listed, x.inTask, x.outTask)
	}
	if res := scoped.Call("tableau_extract_refresh_task_run", map[string]any{"task_id": x.outTask}); !res.IsError || !strings.Contains(Text(res), "outside") {
		t.Errorf("out-of-scope task run: %.200s", Text(res))
	}
	scoped.OK("tableau_extract_refresh_task_run", map[string]any{"task_id": x.inTask})
}
