package tableauemu

import (
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func q(s string) string { return url.QueryEscape(s) }

func TestPaginationNumbersAreStrings(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", c.site("workbooks?pageSize=5&pageNumber=3"), nil)
	wantStatus(t, a, 200)
	want := map[string]any{"pageNumber": "3", "pageSize": "5", "totalAvailable": "12"}
	if !reflect.DeepEqual(a.get("pagination"), want) {
		t.Fatalf("pagination %v", a.get("pagination"))
	}
	if got := names(a, "workbooks", "workbook"); len(got) != 2 {
		t.Fatalf("page 3 of 5: %v", got)
	}
	a = c.do("GET", c.site("workbooks"), nil)
	if a.str("pagination", "pageSize") != "100" || a.str("pagination", "pageNumber") != "1" || len(a.list("workbooks", "workbook")) != 12 {
		t.Fatalf("defaults: %v", a.get("pagination"))
	}
	// Past the end: an empty collection is {}.
	a = c.do("GET", c.site("workbooks?pageSize=100&pageNumber=9"), nil)
	wantStatus(t, a, 200)
	if !strings.Contains(string(a.raw), `"workbooks":{}`) || a.str("pagination", "totalAvailable") != "12" {
		t.Fatalf("empty page: %s", a.raw)
	}
}

func TestEmptyTagsAndUsageStrings(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", c.site("workbooks?filter="+q("name:eq:Segment Analysis")), nil)
	wantStatus(t, a, 200)
	wb := a.get("workbooks", "workbook", 0).(map[string]any)
	if tags, ok := wb["tags"].(map[string]any); !ok || len(tags) != 0 {
		t.Fatalf("tags of an untagged workbook: %v", wb["tags"])
	}
	for _, k := range []string{"showTabs", "hasExtracts", "encryptExtracts"} {
		if _, ok := wb[k].(bool); !ok {
			t.Fatalf("%s is not a boolean: %v", k, wb[k])
		}
	}
	for _, k := range []string{"size", "sheetCount"} {
		if _, ok := wb[k].(string); !ok {
			t.Fatalf("%s is not a string: %v", k, wb[k])
		}
	}
	if wb["project"].(map[string]any)["name"] != "Americas" || wb["owner"].(map[string]any)["name"] != "casey.creator@example.com" {
		t.Fatalf("project/owner: %v %v", wb["project"], wb["owner"])
	}
	a = c.do("GET", c.site("workbooks?filter="+q("name:eq:Superstore Sales")), nil)
	tags := a.list("workbooks", "workbook", 0, "tags", "tag")
	if len(tags) != 2 || tags[0].(map[string]any)["label"] != "sales" {
		t.Fatalf("tags: %v", tags)
	}

	a = c.do("GET", c.site("views?includeUsageStatistics=true&pageSize=3"), nil)
	for i := range a.list("views", "view") {
		if _, ok := a.get("views", "view", i, "usage", "totalViewCount").(string); !ok {
			t.Fatalf("totalViewCount not a string: %s", a.raw)
		}
	}
	a = c.do("GET", c.site("views?pageSize=3"), nil)
	if a.get("views", "view", 0, "usage") != nil {
		t.Fatalf("usage without includeUsageStatistics: %s", a.raw)
	}
}

func TestPageSizeLimits(t *testing.T) {
	_, c := signedIn(t, Config{})
	wantError(t, c.do("GET", c.site("workbooks?pageSize=1001"), nil), 403, "403014")
	wantStatus(t, c.do("GET", c.site("workbooks?pageSize=1000"), nil), 200)
	for _, bad := range []string{"0", "-1", "abc", ""} {
		wantError(t, c.do("GET", c.site("users?pageSize="+bad), nil), 400, "400007")
	}
	wantError(t, c.do("GET", c.site("users?pageNumber=0"), nil), 400, "400006")
	wantError(t, c.do("GET", c.site("users?pageNumber=x"), nil), 400, "400006")
	wantStatus(t, c.do("GET", c.site("users?pageNumber=999999999999999999"), nil), 200)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestFilterOperators(t *testing.T) {
	_, c := signedIn(t, Config{})
	cases := []struct {
		path, filter string
		want         []string
	}{
		{"workbooks", "name:eq:Superstore Sales", []string{"Superstore Sales"}},
		{"workbooks", "name:cieq:superstore SALES", []string{"Superstore Sales"}},
		{"workbooks", "name:eq:superstore sales", nil},
		{"workbooks", "name:in:[Customer Churn,Finance P&L,Nope]", []string{"Customer Churn", "Finance P&L"}},
		{"workbooks", "tags:eq:finance", []string{"Budget vs Actuals", "Finance P&L"}},
		{"workbooks", "tags:has:fin", []string{"Budget vs Actuals", "Finance P&L"}},
		{"workbooks", "tags:in:[emea,archive]", []string{"Legacy KPIs 2019", "Regional Performance"}},
		{"workbooks", "projectName:eq:Finance,hasExtracts:eq:true", []string{"Budget vs Actuals", "Finance P&L"}},
		{"workbooks", "hasExtracts:eq:false", []string{"Legacy KPIs 2019", "Marketing Funnel"}},
		{"workbooks", "ownerName:eq:li.marketing@example.com", []string{"Customer Churn", "Marketing Funnel"}},
		{"workbooks", "createdAt:gte:2024-11-06T00:00:00Z", []string{"Legacy KPIs 2019", "Product Profitability", "Segment Analysis"}},
		{"workbooks", "createdAt:lt:2024-09-10T00:00:00Z", []string{"Superstore Sales"}},
		{"datasources", "isCertified:eq:true", []string{"Finance GL", "Superstore Orders"}},
		{"datasources", "type:eq:postgres", []string{"Marketing Leads", "Superstore Orders"}},
		{"users", "siteRole:eq:Viewer", []string{"vic.viewer@example.com"}},
		{"users", "siteRole:in:[Guest,Unlicensed]", []string{"guest", "una.unlicensed@example.com"}},
		{"users", "name:has:FINANCE", []string{"felix.finance@example.com"}},
		{"groups", "name:eq:Contractors", []string{"Contractors"}},
		{"projects", "topLevelProject:eq:false", []string{"Americas", "EMEA"}},
		{"views", "sheetType:eq:dashboard,workbookName:eq:Superstore Sales", []string{"Overview"}},
	}
	plural := map[string][2]string{"workbooks": {"workbooks", "workbook"}, "datasources": {"datasources", "datasource"},
		"users": {"users", "user"}, "groups": {"groups", "group"}, "projects": {"projects", "project"}, "views": {"views", "view"}}
	for _, tc := range cases {
		a := c.do("GET", c.site(tc.path+"?filter="+q(tc.filter)), nil)
		wantStatus(t, a, 200)
		p := plural[tc.path]
		got := sorted(names(a, p[0], p[1]))
		if !reflect.DeepEqual(got, sorted(tc.want)) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s filter %q: got %v, want %v", tc.path, tc.filter, got, tc.want)
		}
		if a.str("pagination", "totalAvailable") != itoa(len(tc.want)) {
			t.Errorf("%s filter %q: totalAvailable %q", tc.path, tc.filter, a.str("pagination", "totalAvailable"))
		}
	}
	// parentProjectId filters by LUID.
	a := c.do("GET", c.site("projects?filter=name:eq:Sales"), nil)
	sales := a.str("projects", "project", 0, "id")
	a = c.do("GET", c.site("projects?filter=parentProjectId:eq:"+sales), nil)
	if got := sorted(names(a, "projects", "project")); !reflect.DeepEqual(got, []string{"Americas", "EMEA"}) {
		t.Fatalf("children of Sales: %v", got)
	}
	// Jobs by status.
	for _, st := range []string{"Pending", "InProgress", "Success", "Failed", "Cancelled"} {
		a := c.do("GET", c.site("jobs?filter=status:eq:"+st), nil)
		if len(a.list("backgroundJobs", "backgroundJob")) == 0 {
			t.Errorf("no %s job: %s", st, a.raw)
		}
	}
}

func TestBadFilterAndSort(t *testing.T) {
	_, c := signedIn(t, Config{})
	for _, f := range []string{
		"color:eq:red",            // unknown field
		"name:like:Sales",         // unknown operator
		"name",                    // no operator
		"name:eq",                 // no value
		"name:in:Sales",           // in without brackets
		"hasExtracts:eq:yes",      // not a boolean
		"hasExtracts:gt:true",     // operator not for booleans
		"createdAt:gte:yesterday", // not a date
		"createdAt:has:2025",      // has on a date
	} {
		a := c.do("GET", c.site("workbooks?filter="+q(f)), nil)
		wantError(t, a, 400, "400065")
	}
	a := c.do("GET", c.site("workbooks?filter="+q("color:eq:red")), nil)
	if !strings.Contains(a.str("error", "detail"), "color") {
		t.Fatalf("detail should name the field: %s", a.raw)
	}
	for _, s := range []string{"color:asc", "name:up", "name"} {
		wantError(t, c.do("GET", c.site("workbooks?sort="+q(s)), nil), 400, "400066")
	}
}

func TestSort(t *testing.T) {
	_, c := signedIn(t, Config{})
	a := c.do("GET", c.site("workbooks?sort=name:asc"), nil)
	got := names(a, "workbooks", "workbook")
	want := append([]string(nil), got...)
	sort.Slice(want, func(i, j int) bool { return strings.ToLower(want[i]) < strings.ToLower(want[j]) })
	if !reflect.DeepEqual(got, want) || len(got) != 12 {
		t.Fatalf("name:asc %v", got)
	}
	a = c.do("GET", c.site("workbooks?sort=name:desc&pageSize=1"), nil)
	if names(a, "workbooks", "workbook")[0] != "Superstore Sales" {
		t.Fatalf("name:desc first: %s", a.raw)
	}
	a = c.do("GET", c.site("workbooks?sort=createdAt:desc&pageSize=2"), nil)
	if got := names(a, "workbooks", "workbook"); !reflect.DeepEqual(got, []string{"Legacy KPIs 2019", "Segment Analysis"}) {
		t.Fatalf("createdAt:desc %v", got)
	}
	// Two keys: project first, then name descending.
	a = c.do("GET", c.site("workbooks?filter=projectName:in:[Finance,Marketing]&sort=projectName:asc,name:desc"), nil)
	if got := names(a, "workbooks", "workbook"); !reflect.DeepEqual(got, []string{"Finance P&L", "Budget vs Actuals", "Marketing Funnel", "Customer Churn"}) {
		t.Fatalf("two keys %v", got)
	}
	a = c.do("GET", c.site("users?sort=lastLogin:desc&pageSize=1"), nil)
	wantStatus(t, a, 200)
}
