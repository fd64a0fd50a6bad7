package tableauemu

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func body(root string, m map[string]any) map[string]any { return map[string]any{root: m} }

func idByName(t *testing.T, c *testClient, path, plural, singular, name string) string {
	t.Helper()
	a := c.do("GET", c.site(path+"?filter="+q("name:eq:"+name)), nil)
	wantStatus(t, a, 200)
	id := a.str(plural, singular, 0, "id")
	if id == "" {
		t.Fatalf("no %s named %q", singular, name)
	}
	return id
}

func TestNotFoundBodies(t *testing.T) {
	_, c := signedIn(t, Config{})
	const missing = "11111111-2222-3333-4444-555555555555"
	for path, code := range map[string]string{
		"workbooks/" + missing:                    "404006",
		"views/" + missing:                        "404004",
		"datasources/" + missing:                  "404011",
		"users/" + missing:                        "404002",
		"groups/" + missing + "/users":            "404012",
		"jobs/" + missing:                         "404031",
		"workbooks/" + missing + "/connections":   "404006",
		"datasources/" + missing + "/permissions": "404011",
		"projects/" + missing + "/permissions":    "404005",
	} {
		a := c.do("GET", c.site(path), nil)
		wantError(t, a, 404, code)
		if a.str("error", "summary") != "Resource Not Found" || !strings.Contains(a.str("error", "detail"), missing) {
			t.Fatalf("%s: %s", path, a.raw)
		}
	}
	wantError(t, c.do("GET", c.site("nothing-here"), nil), 404, "404003")
	wantError(t, c.do("GET", "schedules/"+missing, nil), 404, "404013")
	a := c.do("DELETE", c.site("views/"+missing), nil)
	wantError(t, a, 405, "405000")
	if a.header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", a.header.Get("Allow"))
	}
}

func TestWorkbookGetUpdateDelete(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := idByName(t, c, "workbooks", "workbooks", "workbook", "Superstore Sales")
	a := c.do("GET", c.site("workbooks/"+id+"?includeUsageStatistics=true"), nil)
	wantStatus(t, a, 200)
	views := a.list("workbook", "views", "view")
	if len(views) != 5 || a.str("workbook", "views", "view", 0, "contentUrl") != "SuperstoreSales/sheets/Overview" ||
		a.str("workbook", "defaultViewId") != a.str("workbook", "views", "view", 0, "id") ||
		a.str("workbook", "views", "view", 0, "usage", "totalViewCount") == "" {
		t.Fatalf("workbook views: %s", a.raw)
	}
	if a.str("workbook", "webpageUrl") == "" || a.str("workbook", "sheetCount") != "5" {
		t.Fatalf("workbook: %s", a.raw)
	}

	// Move it to Finance with a new description and tabs off.
	finance := idByName(t, c, "projects", "projects", "project", "Finance")
	felix := idByName(t, c, "users", "users", "user", "felix.finance@example.com")
	a = c.do("PUT", c.site("workbooks/"+id), body("workbook", map[string]any{
		"description": "moved", "showTabs": false, "project": map[string]any{"id": finance}, "owner": map[string]any{"id": felix}}))
	wantStatus(t, a, 200)
	if a.str("workbook", "description") != "moved" || a.get("workbook", "showTabs") != false ||
		a.str("workbook", "project", "id") != finance || a.str("workbook", "owner", "id") != felix {
		t.Fatalf("update answer: %s", a.raw)
	}
	a = c.do("GET", c.site("workbooks?filter=projectName:eq:Finance"), nil)
	if !contains(names(a, "workbooks", "workbook"), "Superstore Sales") {
		t.Fatalf("not moved: %s", a.raw)
	}
	a = c.do("GET", c.site("views?filter=workbookId:eq:"+id), nil)
	if a.str("views", "view", 0, "project", "id") != finance {
		t.Fatalf("views did not follow: %s", a.raw)
	}
	wantError(t, c.do("PUT", c.site("workbooks/"+id), body("workbook", map[string]any{"project": map[string]any{"id": "nope"}})), 404, "404005")
	wantError(t, c.do("PUT", c.site("workbooks/"+id), body("workbook", map[string]any{"showTabs": 3})), 400, "400000")
	wantError(t, c.do("PUT", c.site("workbooks/"+id), `{"workbook":`), 400, "400000")
	wantError(t, c.do("PUT", c.site("workbooks/"+id), `<tsRequest/>`), 400, "400000")

	// Delete: gone from lists, views too.
	wantStatus(t, c.do("DELETE", c.site("workbooks/"+id), nil), 204)
	wantError(t, c.do("GET", c.site("workbooks/"+id), nil), 404, "404006")
	a = c.do("GET", c.site("workbooks"), nil)
	if a.str("pagination", "totalAvailable") != "11" || contains(names(a, "workbooks", "workbook"), "Superstore Sales") {
		t.Fatalf("after delete: %s", a.raw)
	}
	a = c.do("GET", c.site("views?filter=workbookId:eq:"+id), nil)
	if a.str("pagination", "totalAvailable") != "0" || !strings.Contains(string(a.raw), `"views":{}`) {
		t.Fatalf("views after delete: %s", a.raw)
	}
	a = c.do("GET", c.site("tasks/extractRefreshes?filter=workbookId:eq:"+id), nil)
	if a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("tasks after delete: %s", a.raw)
	}
	wantError(t, c.do("DELETE", c.site("workbooks/"+id), nil), 404, "404006")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWorkbookViewsAndConnections(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := idByName(t, c, "workbooks", "workbooks", "workbook", "Regional Performance")
	a := c.do("GET", c.site("workbooks/"+id+"/views?includeUsageStatistics=true"), nil)
	wantStatus(t, a, 200)
	if got := names(a, "views", "view"); !reflect.DeepEqual(got, []string{"Region Scorecard", "State Detail", "Quantity by Region"}) {
		t.Fatalf("views %v", got)
	}
	if a.str("views", "view", 1, "sheetType") != "worksheet" || a.str("views", "view", 0, "viewUrlName") != "RegionScorecard" ||
		a.str("views", "view", 0, "workbook", "id") != id || a.str("views", "view", 0, "usage", "totalViewCount") == "" {
		t.Fatalf("view shape: %s", a.raw)
	}
	a = c.do("GET", c.site("workbooks/"+id+"/connections"), nil)
	wantStatus(t, a, 200)
	if a.str("connections", "connection", 0, "datasource", "name") != "Superstore Orders" ||
		a.str("connections", "connection", 0, "type") == "" || a.get("connections", "connection", 0, "embedPassword") != false {
		t.Fatalf("connections: %s", a.raw)
	}
	ds := idByName(t, c, "datasources", "datasources", "datasource", "Superstore Orders")
	a = c.do("GET", c.site("datasources/"+ds+"/connections"), nil)
	if a.str("connections", "connection", 0, "serverAddress") != "orders-db.example.com" || a.str("connections", "connection", 0, "serverPort") != "5432" {
		t.Fatalf("datasource connections: %s", a.raw)
	}
	a = c.do("GET", c.site("views?filter="+q("name:eq:State Detail")), nil)
	v := a.str("views", "view", 0, "id")
	a = c.do("GET", c.site("views/"+v), nil)
	wantStatus(t, a, 200)
	if a.str("view", "name") != "State Detail" || a.str("view", "contentUrl") != "RegionalPerformance/sheets/StateDetail" {
		t.Fatalf("view get: %s", a.raw)
	}
}

func TestDatasourceUpdateDelete(t *testing.T) {
	_, c := signedIn(t, Config{})
	id := idByName(t, c, "datasources", "datasources", "datasource", "Marketing Leads")
	a := c.do("GET", c.site("datasources/"+id), nil)
	wantStatus(t, a, 200)
	if a.get("datasource", "isCertified") != false || a.str("datasource", "project", "name") != "Marketing" {
		t.Fatalf("datasource: %s", a.raw)
	}
	a = c.do("PUT", c.site("datasources/"+id), body("datasource", map[string]any{
		"name": "Marketing Leads v2", "isCertified": true, "certificationNote": "checked"}))
	wantStatus(t, a, 200)
	if a.str("datasource", "name") != "Marketing Leads v2" || a.get("datasource", "isCertified") != true || a.str("datasource", "certificationNote") != "checked" {
		t.Fatalf("update: %s", a.raw)
	}
	a = c.do("GET", c.site("datasources?filter=isCertified:eq:true"), nil)
	if !contains(names(a, "datasources", "datasource"), "Marketing Leads v2") {
		t.Fatalf("certified list: %s", a.raw)
	}
	// Name taken in the same project.
	wantError(t, c.do("PUT", c.site("datasources/"+id), body("datasource", map[string]any{"name": "Web Analytics"})), 409, "409000")
	wantStatus(t, c.do("DELETE", c.site("datasources/"+id), nil), 204)
	a = c.do("GET", c.site("datasources"), nil)
	if a.str("pagination", "totalAvailable") != "4" {
		t.Fatalf("after delete: %s", a.raw)
	}
}

func TestProjectRoundTrip(t *testing.T) {
	_, c := signedIn(t, Config{})
	sales := idByName(t, c, "projects", "projects", "project", "Sales")
	a := c.do("POST", c.site("projects"), body("project", map[string]any{
		"name": "APAC", "description": "Asia Pacific", "contentPermissions": "LockedToProject", "parentProjectId": sales}))
	wantStatus(t, a, 201)
	id := a.str("project", "id")
	if id == "" || a.str("project", "parentProjectId") != sales || a.str("project", "contentPermissions") != "LockedToProject" ||
		a.get("project", "topLevelProject") != false || a.str("project", "owner", "id") != c.userID {
		t.Fatalf("create: %s", a.raw)
	}
	a = c.do("GET", c.site("projects?filter=parentProjectId:eq:"+sales+"&sort=name:asc"), nil)
	if got := names(a, "projects", "project"); !reflect.DeepEqual(got, []string{"Americas", "APAC", "EMEA"}) {
		t.Fatalf("children %v", got)
	}
	wantError(t, c.do("POST", c.site("projects"), body("project", map[string]any{"name": "apac", "parentProjectId": sales})), 409, "409000")
	wantError(t, c.do("POST", c.site("projects"), body("project", map[string]any{"name": "X", "contentPermissions": "Whatever"})), 400, "400000")
	wantError(t, c.do("POST", c.site("projects"), body("project", map[string]any{"description": "no name"})), 400, "400000")
	wantError(t, c.do("POST", c.site("projects"), body("project", map[string]any{"name": "X", "parentProjectId": "nope"})), 404, "404005")

	a = c.do("PUT", c.site("projects/"+id), body("project", map[string]any{"name": "Asia Pacific", "parentProjectId": ""}))
	wantStatus(t, a, 200)
	if a.str("project", "name") != "Asia Pacific" || a.get("project", "parentProjectId") != nil || a.get("project", "topLevelProject") != true {
		t.Fatalf("update: %s", a.raw)
	}
	// A project cannot move under its own child.
	emea := idByName(t, c, "projects", "projects", "project", "EMEA")
	wantError(t, c.do("PUT", c.site("projects/"+sales), body("project", map[string]any{"parentProjectId": emea})), 400, "400000")

	wantStatus(t, c.do("DELETE", c.site("projects/"+id), nil), 204)
	a = c.do("GET", c.site("projects?filter="+q("name:eq:Asia Pacific")), nil)
	if a.str("pagination", "totalAvailable") != "0" || !strings.Contains(string(a.raw), `"projects":{}`) {
		t.Fatalf("after delete: %s", a.raw)
	}

	// Deleting a project deletes its content.
	archive := idByName(t, c, "projects", "projects", "project", "Archive")
	wantStatus(t, c.do("DELETE", c.site("projects/"+archive), nil), 204)
	a = c.do("GET", c.site("workbooks?filter="+q("name:eq:Legacy KPIs 2019")), nil)
	if a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("content of a deleted project remains: %s", a.raw)
	}
	a = c.do("GET", c.site("views?filter="+q("workbookName:eq:Legacy KPIs 2019")), nil)
	if a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("views of a deleted project remain: %s", a.raw)
	}
	def := idByName(t, c, "projects", "projects", "project", "Default")
	wantError(t, c.do("DELETE", c.site("projects/"+def), nil), 403, "403000")
}

func TestUserRoundTrip(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("POST", c.site("users"), body("user", map[string]any{"name": "new.person@example.com", "siteRole": "Explorer", "authSetting": "SAML"}))
	wantStatus(t, a, 201)
	id := a.str("user", "id")
	if id == "" || a.str("user", "siteRole") != "Explorer" || a.str("user", "authSetting") != "SAML" || a.str("user", "name") != "new.person@example.com" {
		t.Fatalf("add: %s", a.raw)
	}
	wantError(t, c.do("POST", c.site("users"), body("user", map[string]any{"name": "x@example.com", "siteRole": "Boss"})), 400, "400013")
	wantError(t, c.do("POST", c.site("users"), body("user", map[string]any{"name": "NEW.person@example.com", "siteRole": "Viewer"})), 409, "409000")
	wantError(t, c.do("POST", c.site("users"), body("user", map[string]any{"siteRole": "Viewer"})), 400, "400000")

	a = c.do("GET", c.site("users?filter=siteRole:eq:Explorer"), nil)
	if !contains(names(a, "users", "user"), "new.person@example.com") {
		t.Fatalf("list: %s", a.raw)
	}
	// Everyone is in All Users.
	all := idByName(t, c, "groups", "groups", "group", "All Users")
	a = c.do("GET", c.site("groups/"+all+"/users?pageSize=1000"), nil)
	if !contains(names(a, "users", "user"), "new.person@example.com") {
		t.Fatalf("All Users: %s", a.raw)
	}

	a = c.do("PUT", c.site("users/"+id), body("user", map[string]any{"fullName": "New Person", "email": "np@example.com", "siteRole": "Creator"}))
	wantStatus(t, a, 200)
	if a.str("user", "fullName") != "New Person" || a.str("user", "email") != "np@example.com" || a.str("user", "siteRole") != "Creator" {
		t.Fatalf("update: %s", a.raw)
	}
	wantError(t, c.do("PUT", c.site("users/"+id), body("user", map[string]any{"siteRole": "Nope"})), 400, "400013")
	a = c.do("GET", c.site("users/"+id), nil)
	if a.str("user", "siteRole") != "Creator" || a.str("user", "domain", "name") != "local" {
		t.Fatalf("get: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", c.site("users/"+id), nil), 204)
	wantError(t, c.do("GET", c.site("users/"+id), nil), 404, "404002")
	a = c.do("GET", c.site("groups/"+all+"/users?pageSize=1000"), nil)
	if contains(names(a, "users", "user"), "new.person@example.com") {
		t.Fatalf("removed user still in All Users")
	}

	// A content owner needs mapAssetsTo.
	li := idByName(t, c, "users", "users", "user", "li.marketing@example.com")
	wantError(t, c.do("DELETE", c.site("users/"+li), nil), 409, "409000")
	wantStatus(t, c.do("DELETE", c.site("users/"+li+"?mapAssetsTo="+c.userID), nil), 204)
	a = c.do("GET", c.site("workbooks?filter="+q("name:eq:Marketing Funnel")), nil)
	if a.str("workbooks", "workbook", 0, "owner", "id") != c.userID {
		t.Fatalf("content not handed over: %s", a.raw)
	}
}

func TestGroupMembership(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("POST", c.site("groups"), body("group", map[string]any{"name": "Data Stewards", "minimumSiteRole": "Explorer"}))
	wantStatus(t, a, 201)
	g := a.str("group", "id")
	if a.str("group", "name") != "Data Stewards" || a.str("group", "minimumSiteRole") != "Explorer" || a.str("group", "userCount") != "0" {
		t.Fatalf("create: %s", a.raw)
	}
	wantError(t, c.do("POST", c.site("groups"), body("group", map[string]any{"name": "data stewards"})), 409, "409000")
	wantError(t, c.do("POST", c.site("groups"), body("group", map[string]any{"name": "G", "minimumSiteRole": "King"})), 400, "400013")

	a = c.do("GET", c.site("groups/"+g+"/users"), nil)
	wantStatus(t, a, 200)
	if !strings.Contains(string(a.raw), `"users":{}`) || a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("empty group: %s", a.raw)
	}
	erin := idByName(t, c, "users", "users", "user", "erin.explorer@example.com")
	a = c.do("POST", c.site("groups/"+g+"/users"), body("user", map[string]any{"id": erin}))
	wantStatus(t, a, 200)
	if a.str("user", "id") != erin {
		t.Fatalf("add member: %s", a.raw)
	}
	wantError(t, c.do("POST", c.site("groups/"+g+"/users"), body("user", map[string]any{"id": erin})), 409, "409011")
	wantError(t, c.do("POST", c.site("groups/"+g+"/users"), body("user", map[string]any{"id": "nobody"})), 404, "404002")
	a = c.do("GET", c.site("groups/"+g+"/users"), nil)
	if got := names(a, "users", "user"); !reflect.DeepEqual(got, []string{"erin.explorer@example.com"}) {
		t.Fatalf("members %v", got)
	}
	a = c.do("GET", c.site("groups?filter="+q("name:eq:Data Stewards")), nil)
	if a.str("groups", "group", 0, "userCount") != "1" {
		t.Fatalf("userCount: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", c.site("groups/"+g+"/users/"+erin), nil), 204)
	wantError(t, c.do("DELETE", c.site("groups/"+g+"/users/"+erin), nil), 404, "404002")
	a = c.do("GET", c.site("groups/"+g+"/users"), nil)
	if a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("after removal: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", c.site("groups/"+g), nil), 204)
	wantError(t, c.do("GET", c.site("groups/"+g+"/users"), nil), 404, "404012")
}

func TestPermissions(t *testing.T) {
	_, c := signedIn(t, Config{})
	wb := idByName(t, c, "workbooks", "workbooks", "workbook", "Customer Churn")
	a := c.do("GET", c.site("workbooks/"+wb+"/permissions"), nil)
	wantStatus(t, a, 200)
	if a.str("permissions", "workbook", "id") != wb || a.get("permissions", "granteeCapabilities") != nil {
		t.Fatalf("no grants yet: %s", a.raw)
	}
	erin := idByName(t, c, "users", "users", "user", "erin.explorer@example.com")
	mkt := idByName(t, c, "groups", "groups", "group", "Marketing")
	put := map[string]any{"permissions": map[string]any{"granteeCapabilities": []any{
		map[string]any{"user": map[string]any{"id": erin}, "capabilities": map[string]any{"capability": []any{
			map[string]any{"name": "Read", "mode": "Allow"}, map[string]any{"name": "ExportData", "mode": "Deny"}}}},
		map[string]any{"group": map[string]any{"id": mkt}, "capabilities": map[string]any{"capability": []any{
			map[string]any{"name": "Write", "mode": "Allow"}}}},
	}}}
	a = c.do("PUT", c.site("workbooks/"+wb+"/permissions"), put)
	wantStatus(t, a, 200)
	if len(a.list("permissions", "granteeCapabilities")) != 2 {
		t.Fatalf("put answer: %s", a.raw)
	}
	a = c.do("GET", c.site("workbooks/"+wb+"/permissions"), nil)
	gc := a.list("permissions", "granteeCapabilities")
	if len(gc) != 2 || a.str("permissions", "granteeCapabilities", 0, "user", "id") != erin ||
		a.str("permissions", "granteeCapabilities", 1, "group", "id") != mkt ||
		len(a.list("permissions", "granteeCapabilities", 0, "capabilities", "capability")) != 2 {
		t.Fatalf("list after put: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", c.site("workbooks/"+wb+"/permissions/users/"+erin+"/Read/Allow"), nil), 204)
	wantError(t, c.do("DELETE", c.site("workbooks/"+wb+"/permissions/users/"+erin+"/Read/Allow"), nil), 404, "404001")
	wantError(t, c.do("DELETE", c.site("workbooks/"+wb+"/permissions/users/"+erin+"/Read/Maybe"), nil), 400, "400009")
	wantError(t, c.do("DELETE", c.site("workbooks/"+wb+"/permissions/robots/"+erin+"/Read/Allow"), nil), 404, "404003")
	a = c.do("GET", c.site("workbooks/"+wb+"/permissions"), nil)
	caps := a.list("permissions", "granteeCapabilities", 0, "capabilities", "capability")
	if len(caps) != 1 || caps[0].(map[string]any)["name"] != "ExportData" {
		t.Fatalf("after delete: %s", a.raw)
	}

	bad := func(name, mode string) map[string]any {
		return map[string]any{"permissions": map[string]any{"granteeCapabilities": []any{
			map[string]any{"user": map[string]any{"id": erin}, "capabilities": map[string]any{"capability": []any{
				map[string]any{"name": name, "mode": mode}}}}}}}
	}
	wantError(t, c.do("PUT", c.site("workbooks/"+wb+"/permissions"), bad("Read", "Sometimes")), 400, "400009")
	wantError(t, c.do("PUT", c.site("workbooks/"+wb+"/permissions"), bad("Teleport", "Allow")), 400, "400009")
	wantError(t, c.do("PUT", c.site("projects/"+idByName(t, c, "projects", "projects", "project", "Sales")+"/permissions"), bad("ExportData", "Allow")), 400, "400009")

	// Data sources and projects answer the same shape.
	ds := idByName(t, c, "datasources", "datasources", "datasource", "Superstore Orders")
	a = c.do("GET", c.site("datasources/"+ds+"/permissions"), nil)
	if a.str("permissions", "datasource", "id") != ds || len(a.list("permissions", "granteeCapabilities")) == 0 {
		t.Fatalf("datasource permissions: %s", a.raw)
	}
	sales := idByName(t, c, "projects", "projects", "project", "Sales")
	a = c.do("PUT", c.site("projects/"+sales+"/permissions"), map[string]any{"permissions": map[string]any{"granteeCapabilities": map[string]any{
		"group": map[string]any{"id": mkt}, "capabilities": map[string]any{"capability": map[string]any{"name": "ProjectLeader", "mode": "Allow"}}}}})
	wantStatus(t, a, 200)
	a = c.do("GET", c.site("projects/"+sales+"/permissions"), nil)
	if a.str("permissions", "project", "id") != sales || !strings.Contains(string(a.raw), "ProjectLeader") {
		t.Fatalf("project permissions: %s", a.raw)
	}
}

func TestJobsRefreshAndCancel(t *testing.T) {
	clk := newClock()
	_, c := signedIn(t, Config{Now: clk.Now})
	a := c.do("GET", c.site("jobs?filter=status:eq:Failed"), nil)
	failed := a.str("backgroundJobs", "backgroundJob", 0, "id")
	if a.str("backgroundJobs", "backgroundJob", 0, "jobType") != "refresh_extracts" || a.str("backgroundJobs", "backgroundJob", 0, "endedAt") == "" ||
		a.str("backgroundJobs", "backgroundJob", 0, "priority") != "50" {
		t.Fatalf("failed job in list: %s", a.raw)
	}
	a = c.do("GET", c.site("jobs/"+failed), nil)
	wantStatus(t, a, 200)
	if a.str("job", "finishCode") != "1" || a.str("job", "mode") != "Asynchronous" || a.str("job", "type") != "RefreshExtract" ||
		a.str("job", "completedAt") == "" || a.str("job", "extractRefreshJob", "datasource", "name") != "HR Headcount" ||
		len(a.list("job", "statusNotes", "statusNote")) != 1 {
		t.Fatalf("failed job: %s", a.raw)
	}
	wantError(t, c.do("PUT", c.site("jobs/"+failed), nil), 409, "409000")

	a = c.do("GET", c.site("jobs?filter=status:eq:Pending"), nil)
	pending := a.str("backgroundJobs", "backgroundJob", 0, "id")
	a = c.do("PUT", c.site("jobs/"+pending), nil)
	wantStatus(t, a, 200)
	a = c.do("GET", c.site("jobs/"+pending), nil)
	if a.str("job", "finishCode") != "2" {
		t.Fatalf("cancelled job: %s", a.raw)
	}
	a = c.do("GET", c.site("jobs?filter=status:eq:Cancelled"), nil)
	if a.str("pagination", "totalAvailable") != "2" {
		t.Fatalf("cancelled jobs: %s", a.raw)
	}

	// Refresh answers 202 with a job that moves along with the clock.
	ds := idByName(t, c, "datasources", "datasources", "datasource", "Superstore Orders")
	a = c.do("POST", c.site("datasources/"+ds+"/refresh"), map[string]any{})
	wantStatus(t, a, 202)
	job := a.str("job", "id")
	if job == "" || a.str("job", "type") != "RefreshExtract" || a.str("job", "mode") != "Asynchronous" || a.str("job", "createdAt") == "" {
		t.Fatalf("refresh: %s", a.raw)
	}
	a = c.do("GET", c.site("jobs?filter=status:eq:Pending"), nil)
	if !containsID(a.list("backgroundJobs", "backgroundJob"), job) {
		t.Fatalf("new job not pending: %s", a.raw)
	}
	clk.Add(3 * time.Second)
	if a = c.do("GET", c.site("jobs/"+job), nil); a.str("job", "startedAt") == "" || a.get("job", "finishCode") != nil {
		t.Fatalf("running job: %s", a.raw)
	}
	clk.Add(time.Minute)
	if a = c.do("GET", c.site("jobs/"+job), nil); a.str("job", "finishCode") != "0" || a.str("job", "progress") != "100" {
		t.Fatalf("finished job: %s", a.raw)
	}

	// Live data sources cannot be refreshed; incremental refresh is marked.
	live := idByName(t, c, "datasources", "datasources", "datasource", "Web Analytics")
	wantError(t, c.do("POST", c.site("datasources/"+live+"/refresh"), `{}`), 400, "400000")
	wb := idByName(t, c, "workbooks", "workbooks", "workbook", "Customer Churn")
	a = c.do("POST", c.site("workbooks/"+wb+"/refresh"), `{"incremental":true}`)
	wantStatus(t, a, 202)
	if a.str("job", "type") != "IncrementExtract" || a.str("job", "extractRefreshJob", "workbook", "id") != wb {
		t.Fatalf("incremental: %s", a.raw)
	}
	wantError(t, c.do("POST", c.site("workbooks/"+wb+"/refresh"), `{"incremental":`), 400, "400000")
}

func containsID(list []any, id string) bool {
	for _, it := range list {
		if m, ok := it.(map[string]any); ok && m["id"] == id {
			return true
		}
	}
	return false
}

func TestTasksAndRunNow(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", c.site("tasks/extractRefreshes"), nil)
	wantStatus(t, a, 200)
	tasks := a.list("tasks", "task")
	if len(tasks) != 5 {
		t.Fatalf("tasks: %s", a.raw)
	}
	er := a.get("tasks", "task", 0, "extractRefresh").(map[string]any)
	for _, k := range []string{"id", "priority", "consecutiveFailedCount", "type"} {
		if _, ok := er[k].(string); !ok {
			t.Fatalf("extractRefresh.%s: %v", k, er)
		}
	}
	if a.str("tasks", "task", 0, "extractRefresh", "schedule", "frequency") != "Daily" ||
		a.str("tasks", "task", 0, "extractRefresh", "datasource", "id") == "" ||
		a.str("tasks", "task", 2, "extractRefresh", "workbook", "id") == "" {
		t.Fatalf("task shape: %s", a.raw)
	}
	task := a.str("tasks", "task", 0, "extractRefresh", "id")
	a = c.do("POST", c.site("tasks/extractRefreshes/"+task+"/runNow"), `{}`)
	wantStatus(t, a, 200)
	if a.str("job", "id") == "" || a.str("job", "extractRefreshJob", "datasource", "name") != "Superstore Orders" {
		t.Fatalf("runNow: %s", a.raw)
	}
	wantError(t, c.do("POST", c.site("tasks/extractRefreshes/nope/runNow"), `{}`), 404, "404016")
}

func TestSchedules(t *testing.T) {
	clk := newClock() // Tuesday 2026-02-10 12:00 UTC
	_, c := signedIn(t, Config{Now: clk.Now})
	a := c.do("GET", "schedules", nil)
	wantStatus(t, a, 200)
	if a.str("pagination", "totalAvailable") != "6" {
		t.Fatalf("schedules: %s", a.raw)
	}
	first := a.get("schedules", "schedule", 0).(map[string]any)
	for _, k := range []string{"id", "name", "state", "priority", "createdAt", "updatedAt", "type", "frequency", "nextRunAt"} {
		if _, ok := first[k].(string); !ok {
			t.Fatalf("schedule.%s missing: %v", k, first)
		}
	}
	a = c.do("GET", "schedules?filter=state:eq:Suspended", nil)
	if names(a, "schedules", "schedule")[0] != "Paused Nightly" || a.get("schedules", "schedule", 0, "nextRunAt") != nil {
		t.Fatalf("suspended: %s", a.raw)
	}

	create := map[string]any{"schedule": map[string]any{
		"name": "Fridays", "priority": 40, "type": "Extract", "frequency": "Weekly", "executionOrder": "Serial",
		"frequencyDetails": map[string]any{"start": "18:30:00", "intervals": map[string]any{"interval": []any{map[string]any{"weekDay": "Friday"}}}}}}
	a = c.do("POST", "schedules", create)
	wantStatus(t, a, 201)
	id := a.str("schedule", "id")
	if a.str("schedule", "nextRunAt") != "2026-02-13T18:30:00Z" || a.str("schedule", "priority") != "40" ||
		a.str("schedule", "frequencyDetails", "intervals", "interval", 0, "weekDay") != "Friday" || a.str("schedule", "executionOrder") != "Serial" {
		t.Fatalf("create: %s", a.raw)
	}
	wantError(t, c.do("POST", "schedules", create), 409, "409000")
	for _, bad := range []map[string]any{
		{"name": "A", "frequency": "Sometimes", "frequencyDetails": map[string]any{"start": "01:00:00"}},
		{"name": "B", "frequency": "Weekly", "frequencyDetails": map[string]any{"start": "01:00:00"}},
		{"name": "C", "frequency": "Daily", "frequencyDetails": map[string]any{"start": "25:00:00"}},
		{"name": "D", "frequency": "Hourly", "frequencyDetails": map[string]any{"start": "01:00:00", "end": "05:00:00",
			"intervals": map[string]any{"interval": map[string]any{"hours": "3"}}}},
		{"name": "E", "frequency": "Daily", "priority": 500, "frequencyDetails": map[string]any{"start": "01:00:00"}},
		{"frequency": "Daily", "frequencyDetails": map[string]any{"start": "01:00:00"}},
	} {
		wantError(t, c.do("POST", "schedules", map[string]any{"schedule": bad}), 400, "400000")
	}
	a = c.do("PUT", "schedules/"+id, map[string]any{"schedule": map[string]any{"state": "Suspended", "frequency": "Monthly",
		"frequencyDetails": map[string]any{"start": "03:00:00", "intervals": map[string]any{"interval": []any{map[string]any{"monthDay": "LastDay"}}}}}})
	wantStatus(t, a, 200)
	if a.str("schedule", "state") != "Suspended" || a.str("schedule", "frequency") != "Monthly" || a.str("schedule", "name") != "Fridays" {
		t.Fatalf("update: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", "schedules/"+id, nil), 204)
	wantError(t, c.do("GET", "schedules/"+id, nil), 404, "404013")

	// Deleting a schedule drops its tasks.
	daily := ""
	a = c.do("GET", "schedules?filter="+q("name:eq:Daily 2 AM"), nil)
	daily = a.str("schedules", "schedule", 0, "id")
	if a.str("schedules", "schedule", 0, "nextRunAt") != "2026-02-11T02:00:00Z" {
		t.Fatalf("daily next run: %s", a.raw)
	}
	wantStatus(t, c.do("DELETE", "schedules/"+daily, nil), 204)
	a = c.do("GET", c.site("tasks/extractRefreshes?filter=scheduleId:eq:"+daily), nil)
	if a.str("pagination", "totalAvailable") != "0" {
		t.Fatalf("tasks of a deleted schedule: %s", a.raw)
	}
}

func TestNonAdminIsDenied(t *testing.T) {
	e, srv := startEmu(t, Config{})
	viewer, _ := e.UserIDByName("demo", "vic.viewer@example.com")
	if err := e.AddPAT(PAT{Name: "v", Secret: "v", SiteContentURL: "demo", UserID: viewer}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	c.signIn(PAT{Name: "v", Secret: "v", SiteContentURL: "demo"})
	wb := idByName(t, c, "workbooks", "workbooks", "workbook", "Superstore Sales")
	wantError(t, c.do("DELETE", c.site("workbooks/"+wb), nil), 403, "403133")
	wantError(t, c.do("POST", c.site("users"), body("user", map[string]any{"name": "x", "siteRole": "Viewer"})), 403, "403133")
	wantError(t, c.do("GET", c.site("jobs"), nil), 403, "403133")
	wantStatus(t, c.do("GET", c.site("workbooks/"+wb), nil), 200)

	una, _ := e.UserIDByName("demo", "una.unlicensed@example.com")
	if err := e.AddPAT(PAT{Name: "u", Secret: "u", SiteContentURL: "demo", UserID: una}); err != nil {
		t.Fatal(err)
	}
	wantError(t, c.do("POST", "auth/signin", signInBody("u", "u", "demo")), 401, "401001")
}
