package server_test

import (
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

type args = map[string]any

func demoSession(t *testing.T) (*Session, *tableauemu.Emulator) {
	t.Helper()
	// Destructive tools run without asking: this client has no elicitation.
	return demoSessionWith(t, func(o *server.Options) {
		o.AllowDestructive = true
		o.Exports.ImportDir = walkImportDir(t)
	})
}

const unknownID = "00000000-0000-4000-8000-00000000beef"

// TestEveryToolEndToEnd walks the whole catalogue the way an agent would:
// discover IDs with the list tools, then read, change and delete, through a
// real MCP client, against the emulated site.
func TestEveryToolEndToEnd(t *testing.T) {
	s, emu := demoSession(t)
	walkEveryTool(t, s)
	if st := emu.Stats(); st.SignIns != 2 || st.SignOuts != 1 {
		t.Errorf("emulator saw %d sign-ins and %d sign-outs; want 2 and 1", st.SignIns, st.SignOuts)
	}
}

// walkEveryTool calls every registered tool with IDs discovered from the
// answers, checking what each returns as an agent would read it.
func walkEveryTool(t *testing.T, s *Session) {

	lt, err := s.C.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.Tools) != len(tools.All()) {
		t.Fatalf("%d tools listed, %d declared", len(lt.Tools), len(tools.All()))
	}

	// Session and site: the demo says it is sample data.
	sess := s.OK("tableau_session_get", nil)
	if !strings.Contains(Str(sess, "session", "site", "name"), "sample data") {
		t.Errorf("demo site name %q does not say it is sample data", Str(sess, "session", "site", "name"))
	}
	siteID := Str(sess, "session", "site", "id")
	site := s.OK("tableau_site_get", args{"include_usage_statistics": true})
	if Str(site, "site", "id") != siteID {
		t.Errorf("site_get id %q, session site %q", Str(site, "site", "id"), siteID)
	}
	if len(List(s.OK("tableau_sites_list", nil), "sites", "site")) == 0 {
		t.Error("no sites listed")
	}

	// Workbooks and views.
	wbs := s.OK("tableau_workbooks_list", args{"sort": "name:asc", "page_size": 100})
	wbList := List(wbs, "workbooks", "workbook")
	if len(wbList) < 10 || Dig(wbs, "page", "total") == nil {
		t.Fatalf("workbooks list: %d workbooks, page %v", len(wbList), wbs["page"])
	}
	page := List(s.OK("tableau_workbooks_list", args{"page_size": 3, "page_number": 2}), "workbooks", "workbook")
	if len(page) != 3 || page[0]["id"] == wbList[0]["id"] {
		t.Errorf("paging gave %d workbooks", len(page))
	}
	wb := wbList[0]
	wbID, wbName := wb["id"].(string), wb["name"].(string)
	found := List(s.OK("tableau_workbook_search", args{"name": wbName}), "workbooks", "workbook")
	if len(found) != 1 || found[0]["id"] != wbID {
		t.Errorf("search %q found %v", wbName, found)
	}
	filtered := List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:" + wbName}), "workbooks", "workbook")
	if len(filtered) != 1 {
		t.Errorf("filter name:eq:%s gave %d", wbName, len(filtered))
	}
	got := s.OK("tableau_workbook_get", args{"workbook_id": wbID})
	views := List(got, "workbook", "views", "view")
	if Str(got, "workbook", "name") != wbName || len(views) == 0 {
		t.Fatalf("workbook_get: %v", got)
	}
	s.OK("tableau_workbook_connections_list", args{"workbook_id": wbID})
	if hits := List(s.OK("tableau_content_search", args{"terms": wbName, "type": "workbook"}), "hits"); len(hits) == 0 || hits[0]["name"] != wbName {
		t.Errorf("content search for %q found %v", wbName, hits)
	}
	wv := List(s.OK("tableau_list_views", args{"workbook_id": wbID, "include_usage_statistics": true}), "views", "view")
	if len(wv) != len(views) {
		t.Errorf("list_views gave %d views, workbook_get %d", len(wv), len(views))
	}
	viewID := wv[0]["id"].(string)
	if Str(s.OK("tableau_view_get", args{"view_id": viewID}), "view", "id") != viewID {
		t.Error("view_get returned another view")
	}
	if len(List(s.OK("tableau_views_list", args{"page_size": 5}), "views", "view")) != 5 {
		t.Error("views_list page_size 5")
	}

	// People.
	users := List(s.OK("tableau_users_list", args{"sort": "name:asc"}), "users", "user")
	if len(users) < 5 {
		t.Fatalf("%d users", len(users))
	}
	userID := users[0]["id"].(string)
	s.OK("tableau_user_get", args{"user_id": userID})
	newUser := s.OK("tableau_user_add_to_site", args{"name": "new.analyst@example.com", "site_role": "Viewer"})
	newUserID := Str(newUser, "user", "id")
	s.Fail("tableau_user_add_to_site", args{"name": "new.analyst@example.com", "site_role": "Viewer"}, "409", "conflicts")
	if Str(s.OK("tableau_user_update", args{"user_id": newUserID, "site_role": "Explorer", "full_name": "New Analyst"}), "user", "siteRole") != "Explorer" {
		t.Error("user_update did not change the site role")
	}
	groups := List(s.OK("tableau_groups_list", nil), "groups", "group")
	if len(groups) < 2 {
		t.Fatalf("%d groups", len(groups))
	}
	g := s.OK("tableau_group_create", args{"name": "Agents", "minimum_site_role": "Viewer"})
	groupID := Str(g, "group", "id")
	s.OK("tableau_group_add_user", args{"group_id": groupID, "user_id": newUserID})
	members := List(s.OK("tableau_group_users_list", args{"group_id": groupID}), "users", "user")
	if len(members) != 1 || members[0]["id"] != newUserID {
		t.Errorf("group members %v", members)
	}
	s.OK("tableau_group_remove_user", args{"group_id": groupID, "user_id": newUserID})
	if len(List(s.OK("tableau_group_users_list", args{"group_id": groupID}), "users", "user")) != 0 {
		t.Error("user still in group after removal")
	}

	// Permissions.
	s.OK("tableau_workbook_permissions_list", args{"workbook_id": wbID})
	s.OK("tableau_workbook_permissions_add", args{"workbook_id": wbID, "grantee_id": groupID, "grantee_type": "group",
		"capabilities": []any{args{"name": "Read", "mode": "Allow"}, args{"name": "ExportData", "mode": "Deny"}}})
	perms := s.OK("tableau_workbook_permissions_list", args{"workbook_id": wbID})
	if !strings.Contains(mustJSON(perms), groupID) {
		t.Error("added permission not listed")
	}
	s.OK("tableau_workbook_permission_delete", args{"workbook_id": wbID, "grantee_id": groupID, "grantee_type": "group", "capability_name": "ExportData", "capability_mode": "Deny"})
	if caps := granted(s.OK("tableau_workbook_permissions_list", args{"workbook_id": wbID}), groupID); caps != "Read:Allow" {
		t.Errorf("after removing ExportData:Deny the group has %q, want Read:Allow", caps)
	}

	// Projects.
	projects := List(s.OK("tableau_projects_list", nil), "projects", "project")
	if len(projects) < 3 {
		t.Fatalf("%d projects", len(projects))
	}
	p := s.OK("tableau_project_create", args{"name": "Agent Sandbox", "description": "made by a test", "content_permissions": "ManagedByOwner"})
	projectID := Str(p, "project", "id")
	child := s.OK("tableau_project_create", args{"name": "Nested", "parent_project_id": projectID})
	if Str(child, "project", "parentProjectId") != projectID {
		t.Errorf("nested project parent %v", child)
	}
	if Str(s.OK("tableau_project_update", args{"project_id": projectID, "name": "Agent Sandbox 2"}), "project", "name") != "Agent Sandbox 2" {
		t.Error("project_update did not rename")
	}
	s.OK("tableau_project_permissions_list", args{"project_id": projectID})
	s.OK("tableau_project_permissions_add", args{"project_id": projectID, "grantee_id": userID, "grantee_type": "user", "capabilities": []any{args{"name": "Read", "mode": "Allow"}}})
	s.OK("tableau_workbook_update", args{"workbook_id": wbID, "new_project_id": projectID, "description": "moved by a test", "show_tabs": true})
	if Str(s.OK("tableau_workbook_get", args{"workbook_id": wbID}), "workbook", "project", "id") != projectID {
		t.Error("workbook_update did not move the workbook")
	}

	// Data sources.
	dss := List(s.OK("tableau_datasources_list", nil), "datasources", "datasource")
	if len(dss) < 4 {
		t.Fatalf("%d data sources", len(dss))
	}
	var dsID string
	for _, d := range dss {
		if d["hasExtracts"] == true || d["hasExtracts"] == "true" {
			dsID = d["id"].(string)
		}
	}
	if dsID == "" {
		t.Fatal("no data source with an extract")
	}
	s.OK("tableau_datasource_get", args{"datasource_id": dsID})
	s.OK("tableau_datasource_permissions_list", args{"datasource_id": dsID})
	upd := s.OK("tableau_datasource_update", args{"datasource_id": dsID, "is_certified": true, "certification_note": "checked"})
	if Dig(upd, "datasource", "isCertified") != true && Dig(upd, "datasource", "isCertified") != "true" {
		t.Errorf("datasource_update certification: %v", upd)
	}

	// Querying data: from a data source's name to an answer.
	qid := findSuperstore(t, s)
	if len(List(s.OK("tableau_datasource_metadata_get", args{"datasource_luid": qid}), "fields")) == 0 {
		t.Error("metadata_get listed no fields")
	}
	byRegion := List(s.OK("tableau_query_view", args{"datasource_luid": qid,
		"fields": []any{args{"fieldCaption": "Region"}, args{"fieldCaption": "Sales", "function": "SUM"}}}), "rows")
	if len(byRegion) != 4 || byRegion[0]["SUM(Sales)"] == nil {
		t.Errorf("sales by region: %v", byRegion)
	}
	// Exports of a view, the workbook and the data source.
	walkExports(t, s, viewID, wbID, dsID)
	walkCustomViews(t, s)
	walkFlows(t, s)
	walkPulse(t, s)

	// Jobs, refreshes, tasks.
	job := s.OK("tableau_workbook_refresh", args{"workbook_id": wbID})
	jobID := Str(job, "job", "id")
	if jobID == "" {
		t.Fatalf("refresh returned no job: %v", job)
	}
	s.OK("tableau_job_get", args{"job_id": jobID})
	s.OK("tableau_job_cancel", args{"job_id": jobID})
	s.OK("tableau_datasource_refresh", args{"datasource_id": dsID, "incremental_extract": true})
	jobs := List(s.OK("tableau_jobs_list", args{"filter": "status:eq:Success"}), "jobs")
	if len(jobs) == 0 {
		t.Error("no successful jobs listed")
	}
	for _, j := range jobs {
		if j["status"] != "Success" {
			t.Errorf("filter status:eq:Success returned %v", j["status"])
		}
	}
	s.Fail("tableau_job_cancel", args{"job_id": jobs[0]["id"]}, "409")
	tasks := List(s.OK("tableau_extract_refresh_tasks_list", nil), "tasks", "task")
	if len(tasks) == 0 {
		t.Fatal("no extract refresh tasks")
	}
	taskID := Str(tasks[0], "id")
	if Str(s.OK("tableau_extract_refresh_task_run", args{"task_id": taskID}), "job", "id") == "" {
		t.Error("task run returned no job")
	}

	// Schedules.
	if len(List(s.OK("tableau_schedules_list", nil), "schedules", "schedule")) == 0 {
		t.Error("no schedules")
	}
	sc := s.OK("tableau_schedule_create", args{"name": "Nightly agent refresh", "frequency": "Daily", "schedule_type": "Extract", "priority": 40, "execution_order": "Parallel",
		"frequency_details": args{"start": "02:00:00", "intervals": []any{args{"weekDay": "Monday"}}}})
	schedID := Str(sc, "schedule", "id")
	if Str(s.OK("tableau_schedule_update", args{"schedule_id": schedID, "state": "Suspended"}), "schedule", "state") != "Suspended" {
		t.Error("schedule_update did not suspend")
	}
	s.OK("tableau_schedule_delete", args{"schedule_id": schedID})

	// Publishing: a packaged workbook from the import directory lands in
	// the project and is listed; the same name again without overwrite is
	// Tableau's conflict.
	pubProject := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	pub := s.OK("tableau_workbook_publish", args{"file": "Walk.twbx", "project_id": pubProject, "name": "Walked Workbook"})
	if Str(pub, "workbook", "id") == "" {
		t.Errorf("publish answered no workbook id: %v", pub)
	}
	if len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Walked Workbook"}), "workbooks", "workbook")) != 1 {
		t.Error("the published workbook is not listed")
	}
	s.Fail("tableau_workbook_publish", args{"file": "Walk.twbx", "project_id": pubProject, "name": "Walked Workbook"}, "409")
	s.OK("tableau_datasource_publish", args{"file": "Walk.tdsx", "project_id": pubProject, "name": "Walked Orders"})
	if len(List(s.OK("tableau_datasources_list", args{"filter": "name:eq:Walked Orders"}), "datasources", "datasource")) != 1 {
		t.Error("the published data source is not listed")
	}

	// Deletes change what later lists return.
	s.OK("tableau_workbook_delete", args{"workbook_id": wbID})
	s.Fail("tableau_workbook_get", args{"workbook_id": wbID}, "404", "tableau_workbooks_list")
	s.OK("tableau_datasource_delete", args{"datasource_id": dsID})
	s.Fail("tableau_datasource_get", args{"datasource_id": dsID}, "404", "tableau_datasources_list")
	s.OK("tableau_user_remove_from_site", args{"user_id": newUserID})
	s.Fail("tableau_user_get", args{"user_id": newUserID}, "404")
	s.OK("tableau_project_delete", args{"project_id": projectID})

	// Sign-out drops the session; the next call signs in again by itself.
	s.OK("tableau_auth_signout", nil)
	if Str(s.OK("tableau_session_get", nil), "session", "site", "id") != siteID {
		t.Error("no session after signing out and in again")
	}
	for _, tool := range tools.All() {
		if !s.Called[tool.Name] {
			t.Errorf("%s was not exercised", tool.Name)
		}
	}
}

func TestErrorsReachTheModelAsToolResults(t *testing.T) {
	s, emu := demoSession(t)
	s.Fail("tableau_workbook_get", args{"workbook_id": unknownID}, "404", "tableau_workbooks_list or tableau_workbook_search")
	s.Fail("tableau_view_get", args{"view_id": "not-an-id"}, "not a Tableau LUID", "tableau_views_list")
	s.Fail("tableau_workbooks_list", args{"filter": "name:contains:x"}, "operator")
	s.Fail("tableau_workbooks_list", args{"page_size": 0.5}, "integer")
	before := emu.Stats().Requests
	s.Fail("tableau_group_add_user", args{"group_id": "../../../sites", "user_id": unknownID}, "group_id")
	if emu.Stats().Requests != before {
		t.Error("an invalid ID reached Tableau")
	}
	for i := 0; i < 3; i++ { // a read is tried three times
		emu.FailNext("GET", "/workbooks", 429, "429000")
	}
	s.Fail("tableau_workbooks_list", nil, "429", "rate limiting", "tried 3 times")
	emu.FailNext("GET", "/users", 403, "403133")
	s.Fail("tableau_users_list", nil, "403133", "permission")
}

func TestExpiredSessionIsRenewedTransparently(t *testing.T) {
	s, emu := demoSession(t)
	s.OK("tableau_workbooks_list", nil)
	emu.ExpireSessions()
	s.OK("tableau_workbooks_list", nil)
	if st := emu.Stats(); st.SignIns != 2 {
		t.Errorf("%d sign-ins, want 2", st.SignIns)
	}
}
