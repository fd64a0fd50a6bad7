package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// The everyday-task harness: scripted tasks an agent does on the demo site,
// each a few tool calls that use what earlier answers said. Every call's
// result is counted (calls, failures, bytes of content the model reads), so
// that a change to descriptions or results shows in its cost.
// UPDATE_AGENT_TASKS=true writes the figures to docs/agent-tasks.md.

type taskRun struct {
	s                      *Session
	calls, failures, bytes int
	expectedFailures       int
}

// call runs a tool and counts it; a failure the task does not expect fails the test.
func (r *taskRun) call(name string, a map[string]any, wantFail bool) map[string]any {
	r.s.T.Helper()
	res := r.s.Call(name, a)
	r.calls++
	raw, _ := json.Marshal(res.Content)
	r.bytes += len(raw)
	if res.IsError {
		r.failures++
		if !wantFail {
			r.s.T.Errorf("%s(%v) failed: %s", name, a, Text(res))
		}
		return nil
	}
	if wantFail {
		r.s.T.Errorf("%s(%v) should have failed", name, a)
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(Text(res)), &m)
	return m
}

func (r *taskRun) ok(name string, a map[string]any) map[string]any { return r.call(name, a, false) }

type everydayTask struct {
	name string
	run  func(r *taskRun)
}

var everydayTasks = []everydayTask{
	{"Owner of the most-viewed view's workbook", func(r *taskRun) {
		v := List(r.ok("tableau_views_list", args{"sort": "hitsTotal:desc", "page_size": 1, "include_usage_statistics": true}), "views")
		wb := r.ok("tableau_workbook_get", args{"workbook_id": Str(v[0], "workbook", "id")})
		if Str(wb, "workbook", "owner", "name") == "" {
			r.s.T.Error("the workbook does not name its owner")
		}
	}},
	{"Certified data sources", func(r *taskRun) {
		if len(List(r.ok("tableau_datasources_list", args{"filter": "isCertified:eq:true"}), "datasources")) == 0 {
			r.s.T.Error("no certified data sources")
		}
	}},
	{"Sales by region last quarter", func(r *taskRun) {
		ds := List(r.ok("tableau_datasources_list", args{"filter": "name:eq:Superstore Orders"}), "datasources")
		id := ds[0]["id"]
		r.ok("tableau_datasource_metadata_get", args{"datasource_luid": id})
		r.ok("tableau_query_view", args{"datasource_luid": id, "fields": []any{args{"fieldCaption": "Region"}, args{"fieldCaption": "Sales", "function": "SUM"}},
			"filters": []any{args{"field": args{"fieldCaption": "Order Date"}, "filterType": "DATE", "periodType": "QUARTERS", "dateRangeType": "LAST"}}})
	}},
	{"Top 5 customers in the West", func(r *taskRun) {
		ds := List(r.ok("tableau_datasources_list", args{"filter": "name:eq:Superstore Orders"}), "datasources")
		r.ok("tableau_query_view", args{"datasource_luid": ds[0]["id"], "fields": []any{args{"fieldCaption": "Customer Name"}, args{"fieldCaption": "Sales", "function": "SUM", "sortDirection": "DESC"}},
			"filters": []any{args{"field": args{"fieldCaption": "Region"}, "filterType": "SET", "values": []any{"West"}},
				args{"field": args{"fieldCaption": "Customer Name"}, "filterType": "TOP", "howMany": 5, "fieldToMeasure": args{"fieldCaption": "Sales", "function": "SUM"}}}})
	}},
	{"A chart and its data", func(r *taskRun) {
		v := List(r.ok("tableau_views_list", args{"filter": "name:eq:Sales by Region"}), "views")
		r.ok("tableau_view_image_get", args{"view_id": v[0]["id"]})
		r.ok("tableau_view_data_get", args{"view_id": v[0]["id"]})
	}},
	{"A landscape PDF", func(r *taskRun) {
		v := List(r.ok("tableau_views_list", args{"filter": "name:eq:Sales by Region"}), "views")
		r.ok("tableau_view_pdf_get", args{"view_id": v[0]["id"], "orientation": "landscape"})
	}},
	{"Admins and a group's members", func(r *taskRun) {
		r.ok("tableau_users_list", args{"filter": "siteRole:eq:SiteAdministratorCreator"})
		g := List(r.ok("tableau_groups_list", nil), "groups")
		r.ok("tableau_group_users_list", args{"group_id": g[0]["id"]})
	}},
	{"Create, rename and delete a project", func(r *taskRun) {
		p := r.ok("tableau_project_create", args{"name": "Agent Test"})
		id := Str(p, "project", "id")
		r.ok("tableau_project_update", args{"project_id": id, "name": "Agent Test Renamed"})
		r.ok("tableau_project_delete", args{"project_id": id})
	}},
	{"Failed jobs", func(r *taskRun) {
		if len(List(r.ok("tableau_jobs_list", args{"filter": "status:eq:Failed"}), "jobs")) == 0 {
			r.s.T.Error("no failed jobs")
		}
	}},
	{"A workbook file", func(r *taskRun) {
		wb := List(r.ok("tableau_workbook_search", args{"name": "Superstore Sales"}), "workbooks")
		r.ok("tableau_workbook_download", args{"workbook_id": wb[0]["id"], "include_extract": false})
	}},
	{"Find content by a word", func(r *taskRun) {
		if len(List(r.ok("tableau_content_search", args{"terms": "Superstore"}), "hits")) == 0 {
			r.s.T.Error("nothing found for Superstore")
		}
	}},
	{"Deliberate mistakes (each must fail and teach)", func(r *taskRun) {
		r.call("tableau_workbooks_list", args{"filter": "owner:like:jane"}, true)
		r.call("tableau_user_add_to_site", args{"name": "x@example.com", "site_role": "Admin"}, true)
		r.call("tableau_query_view", args{"datasource_luid": unknownID, "fields": []any{args{"fieldCaption": "Sales", "function": "SUM"}}}, true)
		r.expectedFailures = 3
	}},
}

func TestEverydayTasks(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Everyday tasks: what a model pays\n\n")
	b.WriteString("Measured by `go test ./server -run TestEverydayTasks` on the demo site through an in-process MCP client; ")
	b.WriteString("`UPDATE_AGENT_TASKS=true` rewrites this file. Bytes are the JSON of each result's content, what the model reads.\n\n")
	for _, c := range []struct {
		name string
		sel  tools.Selection
	}{{"every tool (stdio default)", tools.Selection{Toolsets: []string{"all"}}}, {"the catalogue's tools (all but the opt-in custom views and flows)", tools.Selection{Toolsets: catalogueToolsets()}}, {"HTTP default set", tools.Selection{}}} {
		res, n, _ := listTools(t, c.sel)
		fmt.Fprintf(&b, "- `tools/list`, %s: %d tools, %d bytes\n", c.name, len(res.Tools), n)
	}
	six, _ := demoSession(t)
	sixBytes := 0
	for _, c := range sixLists {
		sixBytes += len(Text(six.Call(c.tool, c.args)))
	}
	fmt.Fprintf(&b, "- the six everyday lists (workbooks, views, data sources, users: a page of 10; projects, jobs: all): %d bytes of text\n", sixBytes)
	b.WriteString("\nBefore the budget work (issue figures, same measures): `tools/list` 60,129 bytes for 56 tools, ")
	b.WriteString("36,447 for the HTTP default set's 31, `tableau_query_view` alone 8,092; the six lists 21,463.\n")
	b.WriteString("\n| task | calls | failures | bytes |\n| --- | ---: | ---: | ---: |\n")
	var calls, failures, bytes int
	for _, task := range everydayTasks {
		s, _ := demoSessionWith(t, func(o *server.Options) { o.AllowDestructive = true })
		r := &taskRun{s: s}
		task.run(r)
		if r.failures != r.expectedFailures {
			t.Errorf("%s: %d failures, %d expected", task.name, r.failures, r.expectedFailures)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", task.name, r.calls, r.failures, r.bytes)
		calls, failures, bytes = calls+r.calls, failures+r.failures, bytes+r.bytes
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %d |\n", calls, failures, bytes)
	t.Log("\n" + b.String())
	if os.Getenv("UPDATE_AGENT_TASKS") == "true" {
		if err := os.WriteFile("../docs/agent-tasks.md", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
