package tools

import (
	"slices"
	"strings"
	"testing"
)

func names(ts []Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func TestEveryToolHasAKnownToolset(t *testing.T) {
	for _, tool := range All() {
		if !slices.Contains(Toolsets, tool.Toolset) {
			t.Errorf("%s has toolset %q, not one of %v", tool.Name, tool.Toolset, Toolsets)
		}
	}
}

func TestDefaultSelectionLeavesAdministrationOut(t *testing.T) {
	got, err := Select(All(), Selection{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range got {
		if !slices.Contains(DefaultToolsets, tool.Toolset) {
			t.Errorf("%s (%s) is served by default", tool.Name, tool.Toolset)
		}
	}
	for _, want := range []string{"tableau_workbooks_list", "tableau_view_get", "tableau_datasources_list", "tableau_projects_list", "tableau_session_get"} {
		if !slices.Contains(names(got), want) {
			t.Errorf("default selection lacks %s", want)
		}
	}
	for _, admin := range []string{"tableau_users_list", "tableau_group_create", "tableau_workbook_permissions_add", "tableau_jobs_list", "tableau_schedule_delete"} {
		if slices.Contains(names(got), admin) {
			t.Errorf("default selection serves %s", admin)
		}
	}
	all, _ := Select(All(), Selection{Toolsets: []string{"all"}})
	if len(all) != len(All()) {
		t.Errorf("all: %d of %d tools", len(all), len(All()))
	}
}

func TestReadOnlyKeepsOnlyReadTools(t *testing.T) {
	got, err := Select(All(), Selection{Toolsets: []string{"all"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, tool := range All() {
		if tool.Kind == Read {
			reads++
		}
	}
	if len(got) != reads || reads == 0 {
		t.Errorf("read-only serves %d tools, %d are read tools", len(got), reads)
	}
	for _, tool := range got {
		if tool.Kind != Read {
			t.Errorf("read-only serves %s (%s)", tool.Name, tool.Kind)
		}
	}
	if _, err := Select(All(), Selection{ReadOnly: true, Include: []string{"tableau_workbook_delete"}}); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("including a destructive tool under read-only: %v", err)
	}
}

func TestIncludeAndExclude(t *testing.T) {
	got, err := Select(All(), Selection{Toolsets: []string{"views", " workbooks "}, Include: []string{"tableau_users_list"}, Exclude: []string{"tableau_workbook_delete"}})
	if err != nil {
		t.Fatal(err)
	}
	n := names(got)
	if !slices.Contains(n, "tableau_users_list") || slices.Contains(n, "tableau_workbook_delete") || !slices.Contains(n, "tableau_list_views") || slices.Contains(n, "tableau_datasources_list") {
		t.Errorf("selected %v", n)
	}
	// Exclude wins over Include.
	got, _ = Select(All(), Selection{Toolsets: []string{"users"}, Include: []string{"tableau_users_list"}, Exclude: []string{"tableau_users_list"}})
	if slices.Contains(names(got), "tableau_users_list") {
		t.Error("an excluded tool was served")
	}
}

func TestUnknownNamesListTheValidOnes(t *testing.T) {
	_, err := Select(All(), Selection{Toolsets: []string{"workbooks", "dashboards"}})
	if err == nil || !strings.Contains(err.Error(), `"dashboards"`) || !strings.Contains(err.Error(), "permissions") {
		t.Errorf("unknown toolset: %v", err)
	}
	_, err = Select(All(), Selection{Include: []string{"tableau_nope"}})
	if err == nil || !strings.Contains(err.Error(), "tableau_workbooks_list") {
		t.Errorf("unknown tool: %v", err)
	}
	_, err = Select(All(), Selection{Exclude: []string{"nope"}})
	if err == nil {
		t.Error("unknown excluded tool accepted")
	}
}
