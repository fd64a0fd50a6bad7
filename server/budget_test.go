package server_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// listTools starts a demo server serving the tools sel chooses and returns
// its tools/list answer as the client receives it, with its size in bytes.
func listTools(t *testing.T, sel tools.Selection) (*mcp.ListToolsResult, int, *Session) {
	t.Helper()
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := tools.Select(tools.All(), sel)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Options{Version: "test", Backend: b, Tools: list})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	sess := Start(t, c)
	res, err := sess.C.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return res, len(raw), sess
}

// TestToolListFitsTheBudget keeps what a model pays before any work within
// the budgets: every tool at most 32,000 bytes, the HTTP default set at most
// 18,000, no single tool over 4,000.
func TestToolListFitsTheBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		sel    tools.Selection
		budget int
	}{
		{"every catalogue tool", tools.Selection{Toolsets: catalogueToolsets()}, 32000},
		{"every tool, with the toolsets beyond the catalogue", tools.Selection{Toolsets: []string{"all"}}, 32000 + 700*beyondTools()},
		{"default set", tools.Selection{}, 18000},
	} {
		res, n, _ := listTools(t, c.sel)
		t.Logf("%s: %d tools, %d bytes", c.name, len(res.Tools), n)
		if n > c.budget {
			t.Errorf("%s: tools/list is %d bytes, over the budget of %d", c.name, n, c.budget)
		}
		for _, tool := range res.Tools {
			raw, _ := json.Marshal(tool)
			if len(raw) > 4000 {
				t.Errorf("%s is %d bytes, over 4,000", tool.Name, len(raw))
			}
		}
	}
}

// catalogueToolsets are the toolsets but those beyond the catalogue.
func catalogueToolsets() []string {
	var out []string
	for _, s := range tools.Toolsets {
		if !slices.Contains(tools.BeyondToolsets, s) {
			out = append(out, s)
		}
	}
	return out
}

// beyondTools counts the tools beyond the catalogue: each may add at most
// 700 bytes (a list or get tool with a few parameters) to the whole list.
func beyondTools() int {
	n := 0
	for _, t := range tools.All() {
		if slices.Contains(tools.BeyondToolsets, t.Toolset) {
			n++
		}
	}
	return n
}

// TestDescriptionsNameOnlyServedTools: a server serving some tools never
// sends the model to another one, in a description, a parameter or the
// instructions.
func TestDescriptionsNameOnlyServedTools(t *testing.T) {
	mention := regexp.MustCompile(`tableau_[a-z_]+[a-z]`)
	for _, sel := range []tools.Selection{{}, {Toolsets: []string{"views", "exports"}}, {Toolsets: []string{"jobs"}}} {
		res, _, _ := listTools(t, sel)
		served := map[string]bool{}
		for _, tool := range res.Tools {
			served[tool.Name] = true
		}
		for _, tool := range res.Tools {
			raw, _ := json.Marshal(tool)
			for _, m := range mention.FindAllString(string(raw), -1) {
				if !served[m] {
					t.Errorf("%v: %s names %s, which this server does not serve", sel.Toolsets, tool.Name, m)
				}
			}
		}
	}
}

// TestErrorsTeach: a mistake is answered with what to do instead.
func TestErrorsTeach(t *testing.T) {
	s, _ := demoSession(t)
	// A bad filter lists the collection's fields and explains the operators.
	s.Fail("tableau_workbooks_list", args{"filter": "name:like:Sales"}, "ownerName", "projectName", "substring")
	// A field Tableau does not know: its answer is explained the same way.
	s.Fail("tableau_views_list", args{"filter": "colour:eq:red"}, "workbookName", "sheetType", "has (contains")
	// A bad site role lists the roles.
	s.Fail("tableau_user_add_to_site", args{"name": "new.user@example.com", "site_role": "Admin"}, "SiteAdministratorCreator", "Viewer")
	// An unknown tool: the closest one is named.
	req := mcp.CallToolRequest{}
	req.Params.Name = "tableau_workbook_list"
	_, err := s.C.CallTool(t.Context(), req)
	if err == nil || !strings.Contains(err.Error(), "did you mean tableau_workbooks_list") {
		t.Errorf("unknown tool: %v", err)
	}
}

// TestGuidesAreResources: the query guide the description points to can be read.
func TestGuidesAreResources(t *testing.T) {
	s, _ := demoSession(t)
	for uri, want := range map[string]string{"tableau://docs/query": "QUANTITATIVE_DATE", "tableau://docs/filters": "tableau_views_list: filter on"} {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := s.C.ReadResource(t.Context(), req)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		tc, ok := res.Contents[0].(mcp.TextResourceContents)
		if !ok || !strings.Contains(tc.Text, want) {
			t.Errorf("%s does not explain %q", uri, want)
		}
	}
}

// sixLists are the everyday lists whose cost is budgeted: a page of ten
// workbooks, views, data sources and users; every project and job.
var sixLists = []struct {
	tool string
	args map[string]any
}{
	{"tableau_workbooks_list", args{"page_size": 10}}, {"tableau_views_list", args{"page_size": 10}},
	{"tableau_datasources_list", args{"page_size": 10}}, {"tableau_users_list", args{"page_size": 10}},
	{"tableau_projects_list", nil}, {"tableau_jobs_list", nil},
}

// TestCompactListsNameWhatTheyReference: the six lists cost at most 12,000
// bytes, and each names what it references. The names are checked against
// Tableau's own JSON of the same site (the tableau results mode), read
// separately: the owner's user name, the project's name, a view's workbook.
func TestCompactListsNameWhatTheyReference(t *testing.T) {
	s, _ := demoSession(t)
	total := 0
	for _, c := range sixLists {
		res := s.Call(c.tool, c.args)
		if res.IsError {
			t.Fatalf("%s: %s", c.tool, Text(res))
		}
		total += len(Text(res))
	}
	if total > 12000 {
		t.Errorf("the six lists cost %d bytes, over 12,000", total)
	}
	raw, _ := demoSessionWith(t, func(o *server.Options) { o.Results = "tableau" })
	users := map[string]string{}
	for _, u := range List(raw.OK("tableau_users_list", args{"page_size": 1000}), "users", "user") {
		users[u["id"].(string)] = u["name"].(string)
	}
	projects := map[string]string{}
	for _, p := range List(raw.OK("tableau_projects_list", nil), "projects", "project") {
		projects[p["id"].(string)] = p["name"].(string)
	}
	workbooks := map[string]map[string]any{}
	for _, w := range List(raw.OK("tableau_workbooks_list", args{"page_size": 1000}), "workbooks", "workbook") {
		workbooks[w["id"].(string)] = w
	}
	wbs := s.OK("tableau_workbooks_list", args{"page_size": 1000})
	if _, nested := wbs["workbooks"].([]any); !nested {
		t.Fatalf("compact workbooks are not a list: %v", wbs)
	}
	for _, w := range List(wbs, "workbooks") {
		tw := workbooks[w["id"].(string)]
		if Str(w, "owner", "name") != users[Str(tw, "owner", "id")] || Str(w, "project", "name") != projects[Str(tw, "project", "id")] {
			t.Errorf("workbook %v names owner %q and project %q", w["name"], Str(w, "owner", "name"), Str(w, "project", "name"))
		}
		if _, ok := w["webpageUrl"]; ok {
			t.Errorf("compact workbook carries webpageUrl: %v", w)
		}
	}
	for _, v := range List(s.OK("tableau_views_list", args{"page_size": 1000}), "views") {
		wbID := Str(v, "workbook", "id")
		if Str(v, "workbook", "name") != workbooks[wbID]["name"] || Str(v, "project", "name") != projects[Str(v, "project", "id")] {
			t.Errorf("view %v names workbook %q, project %q", v["name"], Str(v, "workbook", "name"), Str(v, "project", "name"))
		}
	}
	for _, d := range List(s.OK("tableau_datasources_list", args{"page_size": 1000}), "datasources") {
		if Str(d, "owner", "name") == "" || Str(d, "project", "name") == "" {
			t.Errorf("data source %v does not name its owner and project", d["name"])
		}
	}
	// An empty list is an empty array; Tableau's own answer is an empty object.
	if got := Text(s.Call("tableau_workbooks_list", args{"filter": "name:eq:No Such Workbook"})); !strings.HasPrefix(got, `{"workbooks":[],`) {
		t.Errorf("empty list: %s", got)
	}
	if got := raw.OK("tableau_workbooks_list", args{"filter": "name:eq:No Such Workbook"}); Dig(got, "pagination", "totalAvailable") != "0" {
		t.Errorf("tableau results mode changed Tableau's answer: %v", got)
	}
}

// TestContentSearchFindsSuperstore: the term Superstore finds the Superstore
// workbook, each of its views (with the workbook named) and its data source,
// as the list tools show them.
func TestContentSearchFindsSuperstore(t *testing.T) {
	s, _ := demoSession(t)
	wbs := List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Superstore Sales"}), "workbooks")
	dss := List(s.OK("tableau_datasources_list", args{"filter": "name:has:Superstore"}), "datasources")
	if len(wbs) != 1 || len(dss) == 0 {
		t.Fatalf("demo site: %d Superstore Sales workbooks, %d Superstore data sources", len(wbs), len(dss))
	}
	views := List(s.OK("tableau_list_views", args{"workbook_id": wbs[0]["id"]}), "views")
	got := s.OK("tableau_content_search", args{"terms": "Superstore", "page_size": 100})
	found := map[string]map[string]any{}
	for _, h := range List(got, "hits") {
		found[h["type"].(string)+"/"+h["id"].(string)] = h
	}
	if h := found["workbook/"+wbs[0]["id"].(string)]; h == nil || h["project"] != Str(wbs[0], "project", "name") || h["owner"] != Str(wbs[0], "owner", "name") {
		t.Errorf("the Superstore Sales workbook was not found with its project and owner: %v", h)
	}
	for _, v := range views {
		if h := found["view/"+v["id"].(string)]; h == nil || h["workbook"] != "Superstore Sales" {
			t.Errorf("view %v was not found with its workbook: %v", v["name"], h)
		}
	}
	for _, d := range dss {
		if found["datasource/"+d["id"].(string)] == nil {
			t.Errorf("data source %v was not found", d["name"])
		}
	}
	// A type filter keeps to the type; paging pages.
	for _, h := range List(s.OK("tableau_content_search", args{"terms": "Superstore", "type": "view"}), "hits") {
		if h["type"] != "view" {
			t.Errorf("type view gave %v", h)
		}
	}
	one := s.OK("tableau_content_search", args{"terms": "Superstore", "page_size": 1, "page_number": 2})
	if len(List(one, "hits")) != 1 || Dig(one, "page", "total") == nil {
		t.Errorf("paging: %v", one)
	}
}

// TestConfirmationNamesTheContent: the person asked before a delete reads
// the content's name and where it is, not only its ID.
func TestConfirmationNamesTheContent(t *testing.T) {
	b, _, _ := demo.New(nil)
	a := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
	s := inProcess(t, server.Options{Backend: b}, client.WithElicitationHandler(a))
	projects := List(s.OK("tableau_projects_list", nil), "projects")
	var parent string
	for _, p := range projects {
		if p["name"] == "Default" {
			parent = p["id"].(string)
		}
	}
	id := Str(s.OK("tableau_project_create", args{"name": "Agent Test", "parent_project_id": parent}), "project", "id")
	s.OK("tableau_project_delete", args{"project_id": id})
	wb := List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Superstore Sales"}), "workbooks")[0]
	s.OK("tableau_workbook_delete", args{"workbook_id": wb["id"]})
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.asked) != 2 || !strings.HasPrefix(a.asked[0], "Delete project 'Agent Test' (in 'Default')?") ||
		!strings.HasPrefix(a.asked[1], "Delete workbook 'Superstore Sales' (in '"+Str(wb, "project", "name")+"')?") {
		t.Errorf("the questions were %q", a.asked)
	}
}
