package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// site is what the unscoped demo site holds, read through the tools.
type site struct {
	projects, workbooks, views, datasources, customViews, flows, tasks []map[string]any
}

func readSite(t *testing.T, s *Session) site {
	big := map[string]any{"page_size": 1000}
	return site{
		projects:    List(s.OK("tableau_projects_list", big), "projects", "project"),
		workbooks:   List(s.OK("tableau_workbooks_list", big), "workbooks", "workbook"),
		views:       List(s.OK("tableau_views_list", big), "views", "view"),
		datasources: List(s.OK("tableau_datasources_list", big), "datasources", "datasource"),
		customViews: List(s.OK("tableau_custom_views_list", big), "customViews", "customView"),
		flows:       List(s.OK("tableau_flows_list", big), "flows", "flow"),
		tasks:       List(s.OK("tableau_extract_refresh_tasks_list", big), "tasks", "task"),
	}
}

func ids(items []map[string]any) []string {
	var out []string
	for _, m := range items {
		out = append(out, m["id"].(string))
	}
	slices.Sort(out)
	return out
}

func where(items []map[string]any, pred func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, m := range items {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

func inProject(p string) func(map[string]any) bool {
	return func(m map[string]any) bool { return Str(m, "project", "id") == p }
}

func hasTag(tag string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		// Compact results list tags by name; Tableau's JSON as tags.tag[].label.
		if names, ok := m["tags"].([]any); ok {
			for _, n := range names {
				if s, _ := n.(string); strings.EqualFold(s, tag) {
					return true
				}
			}
		}
		for _, tg := range List(m, "tags", "tag") {
			if strings.EqualFold(tg["label"].(string), tag) {
				return true
			}
		}
		return false
	}
}

func TestScopeByProject(t *testing.T) {
	b, _, _ := demo.New(nil)
	all := readSite(t, inProcess(t, server.Options{Backend: b}))
	var sales string
	for _, p := range all.projects {
		if p["name"] == "Sales" {
			sales = p["id"].(string)
		}
	}
	inWB, outWB := where(all.workbooks, inProject(sales)), where(all.workbooks, func(m map[string]any) bool { return !inProject(sales)(m) })
	if sales == "" || len(inWB) == 0 || len(outWB) == 0 {
		t.Fatalf("demo site: Sales project %q, %d workbooks in it, %d outside", sales, len(inWB), len(outWB))
	}
	s := inProcess(t, server.Options{Backend: b, AllowDestructive: true, Scope: server.Scope{Projects: []string{sales}}})
	got := readSite(t, s)

	if !slices.Equal(ids(got.workbooks), ids(inWB)) {
		t.Errorf("workbooks listed %v, want those of Sales %v", ids(got.workbooks), ids(inWB))
	}
	if !slices.Equal(ids(got.datasources), ids(where(all.datasources, inProject(sales)))) {
		t.Errorf("data sources listed %v", ids(got.datasources))
	}
	if !slices.Equal(ids(got.views), ids(where(all.views, inProject(sales)))) || len(got.views) == 0 {
		t.Errorf("views listed %v", ids(got.views))
	}
	if !slices.Equal(ids(got.projects), []string{sales}) {
		t.Errorf("projects listed %v", ids(got.projects))
	}
	note := s.OK("tableau_workbooks_list", map[string]any{"page_size": 1000})
	if !strings.Contains(Str(note, "scopeNote"), "outside") {
		t.Errorf("a filtered page does not say so: %v", note["scopeNote"])
	}

	out := outWB[0]["id"].(string)
	in := inWB[0]["id"].(string)
	s.OK("tableau_workbook_get", map[string]any{"workbook_id": in})
	for tool, args := range map[string]map[string]any{
		"tableau_workbook_get":              {"workbook_id": out},
		"tableau_list_views":                {"workbook_id": out},
		"tableau_workbook_connections_list": {"workbook_id": out},
		"tableau_workbook_delete":           {"workbook_id": out},
		"tableau_workbook_update":           {"workbook_id": in, "new_project_id": Str(outWB[0], "project", "id")},
		"tableau_project_create":            {"name": "Elsewhere"},
		"tableau_project_update":            {"project_id": Str(outWB[0], "project", "id"), "description": "x"},
	} {
		s.Fail(tool, args, "outside")
	}
	outView := where(all.views, func(m map[string]any) bool { return Str(m, "workbook", "id") == out })
	inView := where(all.views, func(m map[string]any) bool { return Str(m, "workbook", "id") == in })
	if len(outView) == 0 || len(inView) == 0 {
		t.Fatal("demo workbooks without views")
	}
	s.Fail("tableau_view_get", map[string]any{"view_id": outView[0]["id"]}, "outside")
	s.OK("tableau_view_get", map[string]any{"view_id": inView[0]["id"]})
	outDS := where(all.datasources, func(m map[string]any) bool { return !inProject(sales)(m) })
	if len(outDS) > 0 {
		s.Fail("tableau_datasource_get", map[string]any{"datasource_id": outDS[0]["id"]}, "outside")
	}
	// The out-of-scope workbook survived the refused delete.
	inProcess(t, server.Options{Backend: b}).OK("tableau_workbook_get", map[string]any{"workbook_id": out})
	// Creating inside the scope works.
	s.OK("tableau_project_create", map[string]any{"name": "Inside", "parent_project_id": sales})
}

func TestScopeByWorkbookAndTag(t *testing.T) {
	b, _, _ := demo.New(nil)
	all := readSite(t, inProcess(t, server.Options{Backend: b}))
	wb := all.workbooks[0]["id"].(string)
	s := inProcess(t, server.Options{Backend: b, Scope: server.Scope{Workbooks: []string{wb}}})
	got := readSite(t, s)
	if !slices.Equal(ids(got.workbooks), []string{wb}) || len(got.projects) != 0 || len(got.datasources) != 0 {
		t.Errorf("workbook scope lists workbooks %v, %d projects, %d data sources", ids(got.workbooks), len(got.projects), len(got.datasources))
	}
	wantViews := where(all.views, func(m map[string]any) bool { return Str(m, "workbook", "id") == wb })
	if !slices.Equal(ids(got.views), ids(wantViews)) {
		t.Errorf("views %v, want %v", ids(got.views), ids(wantViews))
	}
	other := where(all.views, func(m map[string]any) bool { return Str(m, "workbook", "id") != wb })
	s.Fail("tableau_view_get", map[string]any{"view_id": other[0]["id"]}, "outside")

	// Tags: items carrying the tag, and views of tagged workbooks (looked up).
	tagged := where(all.datasources, hasTag("certified"))
	if len(tagged) == 0 || len(tagged) == len(all.datasources) {
		t.Fatalf("demo data sources: %d of %d tagged certified", len(tagged), len(all.datasources))
	}
	s = inProcess(t, server.Options{Backend: b, Scope: server.Scope{Tags: []string{"Certified"}}})
	got = readSite(t, s)
	if !slices.Equal(ids(got.datasources), ids(tagged)) {
		t.Errorf("tag scope lists data sources %v, want %v", ids(got.datasources), ids(tagged))
	}
	untagged := where(all.datasources, func(m map[string]any) bool { return !hasTag("certified")(m) })
	s.Fail("tableau_datasource_get", map[string]any{"datasource_id": untagged[0]["id"]}, "outside")
	s.OK("tableau_datasource_get", map[string]any{"datasource_id": tagged[0]["id"]})
	taggedWB := ids(where(all.workbooks, hasTag("certified")))
	for _, v := range got.views {
		if !slices.Contains(taggedWB, Str(v, "workbook", "id")) {
			t.Errorf("view %s of an untagged workbook listed", v["id"])
		}
	}
	if len(taggedWB) > 0 && len(got.views) == 0 {
		t.Error("no views of tagged workbooks listed")
	}
}
