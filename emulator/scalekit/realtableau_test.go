package scalekitemu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	vizqlemu "github.com/tableau-mcp/tableau-mcp/emulator/vizql"
)

// realEnv puts the emulator in front of the project's Tableau emulator
// (with the VizQL Data Service mounted), signed in with its default PAT.
func realEnv(t *testing.T) (*env, *tableauemu.Emulator) {
	t.Helper()
	var tab *tableauemu.Emulator
	vds := vizqlemu.New(func(ctx context.Context, luid string) (string, bool) { return tab.DatasourceNameOnSite(ctx, luid) })
	tab = tableauemu.New(tableauemu.Config{VizQL: vds})
	ts := httptest.NewServer(tab)
	t.Cleanup(ts.Close)
	emu := New(Config{ClientID: testClientID, ClientSecret: testClientSecret, TableauURL: ts.URL})
	pat := tab.DefaultPAT()
	emu.AddAccount(Account{Identifier: testIdentifier, PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	e := &env{t: t, emu: emu, srv: srv}
	e.token = e.fetchToken()
	return e, tab
}

func (e *env) ok(tool string, params map[string]any) map[string]any {
	e.t.Helper()
	status, b := e.tool(tool, params)
	if status != 200 {
		e.t.Fatalf("%s: %d %s", tool, status, b)
	}
	return mustJSON(e.t, b)
}

func firstOf(t *testing.T, v any, path ...string) map[string]any {
	t.Helper()
	list, _ := dig(v, path...).([]any)
	if len(list) == 0 {
		t.Fatalf("%v is empty in %v", path, v)
	}
	m, _ := list[0].(map[string]any)
	return m
}

func TestAgainstTableauEmulator(t *testing.T) {
	e, tab := realEnv(t)

	sess := e.ok("tableau_session_get", nil)
	siteID, _ := dig(sess, "data", "session", "site", "id").(string)
	if siteID == "" {
		t.Fatalf("no site id: %v", sess)
	}

	wbs := e.ok("tableau_workbooks_list", map[string]any{"sort": "name:asc", "page_size": 5})
	list, _ := dig(wbs, "data", "workbooks", "workbook").([]any)
	if len(list) != 5 || dig(wbs, "data", "pagination", "pageSize") != "5" {
		t.Fatalf("workbooks page: %d items, %v", len(list), dig(wbs, "data", "pagination"))
	}

	found := e.ok("tableau_workbook_search", map[string]any{"name": "Superstore Sales"})
	wb := firstOf(t, found, "data", "workbooks", "workbook")
	wbID, _ := wb["id"].(string)
	if wb["name"] != "Superstore Sales" {
		t.Fatalf("search found %v", wb)
	}
	views := e.ok("tableau_workbook_views_list", map[string]any{"workbook_id": wbID})
	if v := firstOf(t, views, "data", "views", "view"); v["id"] == "" {
		t.Errorf("views %v", views)
	}
	e.ok("tableau_workbook_update", map[string]any{"workbook_id": wbID, "description": "updated through Scalekit", "show_tabs": true})
	got := e.ok("tableau_workbook_get", map[string]any{"workbook_id": wbID})
	if dig(got, "data", "workbook", "description") != "updated through Scalekit" {
		t.Errorf("update not applied: %v", dig(got, "data", "workbook"))
	}
	if refresh := e.ok("tableau_workbook_refresh", map[string]any{"workbook_id": wbID, "incremental_extract": true}); dig(refresh, "data", "job", "id") == nil {
		t.Errorf("refresh answered %v", refresh)
	}

	// Permissions: add with both capability forms, then delete one rule.
	users := e.ok("tableau_users_list", map[string]any{"filter": "name:eq:vic.viewer@example.com"})
	userID := firstOf(t, users, "data", "users", "user")["id"].(string)
	e.ok("tableau_workbook_permissions_add", map[string]any{"workbook_id": wbID, "grantee_id": userID, "grantee_type": "user",
		"capabilities": []any{map[string]any{"name": "Read", "mode": "Allow"}, "Filter:Allow"}})
	e.ok("tableau_workbook_permission_delete", map[string]any{"workbook_id": wbID, "grantee_id": userID, "grantee_type": "user",
		"capability_name": "Filter", "capability_mode": "Allow"})
	perms := e.ok("tableau_workbook_permissions_list", map[string]any{"workbook_id": wbID})
	raw, _ := json.Marshal(perms)
	if !strings.Contains(string(raw), userID) {
		t.Errorf("permissions do not mention the user: %s", raw)
	}

	// Projects, users, groups, schedules.
	proj := e.ok("tableau_project_create", map[string]any{"name": "Made via Scalekit", "content_permissions": "LockedToProject"})
	projID, _ := dig(proj, "data", "project", "id").(string)
	if projID == "" {
		t.Fatalf("project create: %v", proj)
	}
	e.ok("tableau_project_update", map[string]any{"project_id": projID, "description": "d"})
	e.ok("tableau_project_delete", map[string]any{"project_id": projID})
	added := e.ok("tableau_user_add_to_site", map[string]any{"name": "new.person@example.com", "site_role": "Viewer"})
	newUser, _ := dig(added, "data", "user", "id").(string)
	grp := e.ok("tableau_group_create", map[string]any{"name": "Scalekit Group", "minimum_site_role": "Viewer"})
	grpID, _ := dig(grp, "data", "group", "id").(string)
	e.ok("tableau_group_add_user", map[string]any{"group_id": grpID, "user_id": newUser})
	e.ok("tableau_group_remove_user", map[string]any{"group_id": grpID, "user_id": newUser})
	e.ok("tableau_user_update", map[string]any{"user_id": newUser, "site_role": "Explorer"})
	e.ok("tableau_user_remove_from_site", map[string]any{"user_id": newUser})
	e.ok("tableau_schedules_list", nil)

	// A missing workbook is Tableau's 404, as a tool error.
	status, b := e.tool("tableau_workbook_get", map[string]any{"workbook_id": "00000000-0000-4000-8000-000000000000"})
	we := expectError(t, status, b, 404, 5, "TOOL_ERROR")
	if info := we.Details[0].ToolErrorInfo; info == nil || !strings.HasPrefix(info.ToolErrorCode, "404") {
		t.Errorf("tool_error_info %s", b)
	}

	// VizQL Data Service query with the seed's string parameters.
	dss := e.ok("tableau_datasources_list", map[string]any{"filter": "name:eq:Superstore Orders"})
	dsID := firstOf(t, dss, "data", "datasources", "datasource")["id"].(string)
	q := e.ok("tableau_query_view", map[string]any{
		"datasource_luid": dsID,
		"fields":          `[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`,
		"sort":            `[{"fieldCaption":"Sales","sortDirection":"DESC"}]`,
		"max_rows":        2,
	})
	rows, _ := dig(q, "data", "data").([]any)
	if len(rows) != 2 || dig(rows[0], "Region") == nil || dig(rows[0], "SUM(Sales)") == nil {
		t.Fatalf("query rows %v", rows)
	}
	if a, b := dig(rows[0], "SUM(Sales)").(float64), dig(rows[1], "SUM(Sales)").(float64); a < b {
		t.Errorf("rows not sorted by SUM(Sales) desc: %v", rows)
	}
	status, b = e.tool("tableau_query_view", map[string]any{"datasource_luid": dsID, "fields": `[{"fieldCaption":"Nope"}]`})
	if status < 400 || decodeError(t, b).Details[0].ErrorCode != "TOOL_ERROR" {
		t.Errorf("unknown field: %d %s", status, b)
	}

	// The Tableau session ends: one fresh sign-in, then the call succeeds.
	before := tab.Stats().SignIns
	tab.ExpireSessions()
	e.ok("tableau_views_list", map[string]any{"page_size": 1})
	if n := tab.Stats().SignIns - before; n != 1 {
		t.Errorf("%d sign-ins after session expiry, want 1", n)
	}

	// Proxy: a JSON call under the site LUID from tableau_session_get.
	hdr := map[string]string{"connection_name": "tableau", "identifier": testIdentifier}
	status, h, body := e.call(http.MethodGet, "/proxy/api/3.28/sites/"+siteID+"/workbooks?"+
		url.Values{"filter": {"name:eq:Superstore Sales"}}.Encode(), e.token, hdr, nil)
	if status != 200 || !strings.Contains(h.Get("Content-Type"), "json") || !strings.Contains(string(body), wbID) {
		t.Errorf("proxy list: %d %s %s", status, h.Get("Content-Type"), body)
	}

	// Sign out: the next call signs in again.
	before = tab.Stats().SignIns
	e.ok("tableau_auth_signout", nil)
	if tab.Stats().SignOuts != 1 {
		t.Errorf("sign-outs %d", tab.Stats().SignOuts)
	}
	e.ok("tableau_site_get", map[string]any{"include_usage_statistics": true})
	if n := tab.Stats().SignIns - before; n != 1 {
		t.Errorf("%d sign-ins after signout, want 1", n)
	}
}
