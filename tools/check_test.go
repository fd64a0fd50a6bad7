package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// recorder is a backend that records calls and answers a canned result.
type recorder struct {
	calls  []backend.Call
	answer json.RawMessage
	err    error
}

func (r *recorder) Name() string { return "test" }
func (r *recorder) Invoke(_ context.Context, c backend.Call) (json.RawMessage, error) {
	r.calls = append(r.calls, c)
	if r.err != nil {
		return nil, r.err
	}
	return r.answer, nil
}
func (r *recorder) Open(context.Context, backend.Request) (*http.Response, error) {
	return nil, r.err
}

func callTool(t *testing.T, name, args string, b *recorder) *mcp.CallToolResult {
	t.Helper()
	return callToolIn(t, &Env{Backend: b}, name, args)
}

func callToolIn(t *testing.T, env *Env, name, args string) *mcp.CallToolResult {
	t.Helper()
	tool, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tool.Handle(context.Background(), env, json.RawMessage(args))
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

const wb = "3f1c2b8e-5d4a-4e6f-9a1b-2c3d4e5f6a7b"

func TestBadInputNeverReachesTheBackend(t *testing.T) {
	cases := []struct{ tool, args, want string }{
		{"tableau_workbook_get", `{}`, `"workbook_id" is required; get one from tableau_workbooks_list`},
		{"tableau_workbook_get", `{"workbook_id":"../../users"}`, `workbook_id "../../users" is not a Tableau LUID`},
		{"tableau_workbook_get", `{"workbook_id":"` + wb + `?x=1"}`, "is not a Tableau LUID"},
		{"tableau_workbook_get", `{"workbookId":"` + wb + `"}`, `has no parameter "workbookId"; its parameters are: workbook_id, include_usage_statistics`},
		{"tableau_workbooks_list", `{"page_size":5000}`, "page_size must be between 1 and 1000"},
		{"tableau_workbooks_list", `{"page_size":"10"}`, `parameter "page_size" must be an integer`},
		{"tableau_workbooks_list", `{"filter":"name=Sales"}`, "is not field:operator:value"},
		{"tableau_workbooks_list", `{"filter":"name:like:Sales"}`, `operator "like" is not one of`},
		{"tableau_workbooks_list", `{"filter":"name:eq:A&B"}`, "may not contain '&'"},
		{"tableau_workbooks_list", `{"filter":"tags:in:finance"}`, "the in operator takes a list"},
		{"tableau_workbooks_list", `{"sort":"name:up"}`, "is not field:asc or field:desc"},
		{"tableau_user_add_to_site", `{"name":"a","site_role":"Admin"}`, `site_role "Admin" is not one of: Creator`},
		{"tableau_workbook_search", `{"name":"A,B"}`, "filter name:has"},
		{"tableau_workbook_update", `{"workbook_id":"` + wb + `"}`, "nothing to update"},
		{"tableau_workbook_permission_delete", `{"workbook_id":"` + wb + `","grantee_id":"` + wb + `","grantee_type":"user","capability_name":"Read/../x","capability_mode":"Allow"}`, "is not a capability name"},
		{"tableau_schedule_create", `{"name":"n","frequency":"Daily","frequency_details":{"start":"25:00:00"}}`, "must be a time HH:MM:SS"},
		{"tableau_group_add_user", `{"group_id":"` + wb + `","user_id":"bob"}`, "get a valid one from tableau_users_list"},
	}
	for _, c := range cases {
		b := &recorder{answer: json.RawMessage(`{}`)}
		res := callTool(t, c.tool, c.args, b)
		if !res.IsError {
			t.Errorf("%s %s: expected an error result", c.tool, c.args)
		}
		if got := text(res); !strings.Contains(got, c.want) {
			t.Errorf("%s %s:\n got %q\nwant it to contain %q", c.tool, c.args, got, c.want)
		}
		if len(b.calls) != 0 {
			t.Errorf("%s %s: bad input reached the backend", c.tool, c.args)
		}
	}
}

func TestGoodFiltersPass(t *testing.T) {
	for _, f := range []string{
		"name:eq:Sales Overview", "tags:in:[finance,ops],ownerName:eq:jane@example.com",
		"updatedAt:gt:2025-01-01T00:00:00Z", "name:cieq:sales", "hasExtracts:eq:true",
	} {
		if err := CheckFilter(f); err != nil {
			t.Errorf("%q: %v", f, err)
		}
	}
}

func TestRequestsAreBuiltFromArguments(t *testing.T) {
	cases := []struct {
		tool, args   string
		method, path string
		query, body  string
		forward      bool
		scope        backend.Scope
	}{
		{"tableau_workbooks_list", `{"filter":"name:eq:X","sort":"name:asc","page_size":5,"page_number":2}`, "GET", "/workbooks", "filter=name%3Aeq%3AX&pageNumber=2&pageSize=5&sort=name%3Aasc", "", true, backend.SiteScope},
		{"tableau_workbook_search", `{"name":"Superstore Sales"}`, "GET", "/workbooks", "filter=name%3Aeq%3ASuperstore+Sales", "", true, backend.SiteScope},
		{"tableau_workbook_get", `{"workbook_id":"` + wb + `","include_usage_statistics":true}`, "GET", "/workbooks/" + wb, "includeUsageStatistics=true", "", true, backend.SiteScope},
		{"tableau_workbook_update", `{"workbook_id":"` + wb + `","show_tabs":false,"new_project_id":"` + wb + `"}`, "PUT", "/workbooks/" + wb, "", `{"workbook":{"project":{"id":"` + wb + `"},"showTabs":false}}`, true, backend.SiteScope},
		{"tableau_workbook_permission_delete", `{"workbook_id":"` + wb + `","grantee_id":"` + wb + `","grantee_type":"group","capability_name":"Read","capability_mode":"Deny"}`, "DELETE", "/workbooks/" + wb + "/permissions/groups/" + wb + "/Read/Deny", "", "", true, backend.SiteScope},
		{"tableau_group_users_list", `{"group_id":"` + wb + `"}`, "GET", "/groups/" + wb + "/users", "", "", false, backend.SiteScope},
		{"tableau_schedules_list", `{}`, "GET", "/schedules", "", "", true, backend.APIScope},
		{"tableau_session_get", `{}`, "GET", "/sessions/current", "", "", true, backend.APIScope},
		{"tableau_project_create", `{"name":"P","parent_project_id":"` + wb + `","content_permissions":"LockedToProject"}`, "POST", "/projects", "", `{"project":{"contentPermissions":"LockedToProject","name":"P","parentProjectId":"` + wb + `"}}`, true, backend.SiteScope},
		{"tableau_schedule_create", `{"name":"N","frequency":"Weekly","frequency_details":{"start":"06:00:00","intervals":[{"weekDay":"Monday"}]}}`, "POST", "/schedules", "", `{"schedule":{"frequency":"Weekly","frequencyDetails":{"start":"06:00:00","intervals":{"interval":[{"weekDay":"Monday"}]}},"name":"N","type":"Extract"}}`, true, backend.APIScope},
	}
	for _, c := range cases {
		// Tableau's JSON comes back unchanged in the tableau results mode.
		b := &recorder{answer: json.RawMessage(`{"ok":true}`)}
		res := callToolIn(t, &Env{Backend: b, Results: ResultsTableau}, c.tool, c.args)
		if res.IsError || len(b.calls) != 1 {
			t.Fatalf("%s: %s", c.tool, text(res))
		}
		call := b.calls[0]
		r := call.Request
		body := ""
		if r.Body != nil {
			bb, _ := json.Marshal(r.Body)
			body = string(bb)
		}
		if r.Method != c.method || r.Path != c.path || r.Query.Encode() != c.query || body != c.body || r.Scope != c.scope {
			t.Errorf("%s: got %s %v %s ?%s %s", c.tool, r.Method, r.Scope, r.Path, r.Query.Encode(), body)
		}
		if call.Forward != c.forward || call.Tool != c.tool {
			t.Errorf("%s: forward=%v tool=%s", c.tool, call.Forward, call.Tool)
		}
		if text(res) != `{"ok":true}` {
			t.Errorf("%s: result %q", c.tool, text(res))
		}
	}
}

// A call Scalekit's connector runs as its own tool (here the list in the
// tableau results mode) carries the arguments by their catalogue names; the
// compact list, which needs fields= and so goes as a REST request, carries
// none.
func TestParamsKeepCatalogueNames(t *testing.T) {
	b := &recorder{answer: json.RawMessage(`{}`)}
	callToolIn(t, &Env{Backend: b, Results: ResultsTableau}, "tableau_workbooks_list", `{"page_size":5,"filter":"name:eq:X"}`)
	p := b.calls[0].Params
	if !b.calls[0].Forward || p["page_size"] != float64(5) || p["filter"] != "name:eq:X" || len(p) != 2 {
		t.Errorf("forward %v, params %v", b.calls[0].Forward, p)
	}
	callTool(t, "tableau_workbooks_list", `{"page_size":5,"filter":"name:eq:X"}`, b)
	if c := b.calls[1]; c.Forward || c.Params != nil || c.Request.Query.Get("fields") == "" {
		t.Errorf("compact list: forward %v, params %v, query %v", c.Forward, c.Params, c.Request.Query)
	}
}

func TestUpstreamErrorsAreTranslated(t *testing.T) {
	cases := []struct {
		err  error
		want []string
	}{
		{&backend.APIError{Status: 404, Code: "404006", Summary: "Resource Not Found", Detail: "Workbook 'x' could not be found."}, []string{"404006", "could not be found", "tableau_workbooks_list"}},
		{&backend.APIError{Status: 403, Code: "403133", Summary: "Forbidden"}, []string{"403133", "lacks the permission"}},
		{&backend.APIError{Status: 409, Code: "409000", Summary: "Conflict"}, []string{"409000", "conflicts"}},
		{&backend.APIError{Status: 429, Code: "429000"}, []string{"rate limiting"}},
	}
	for _, c := range cases {
		res := callTool(t, "tableau_workbook_get", `{"workbook_id":"`+wb+`"}`, &recorder{err: c.err})
		if !res.IsError {
			t.Fatalf("expected an error result")
		}
		for _, w := range c.want {
			if !strings.Contains(text(res), w) {
				t.Errorf("%q lacks %q", text(res), w)
			}
		}
	}
}
