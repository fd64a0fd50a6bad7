package tools

import (
	"os"
	"strings"
	"testing"
)

const resultsDocHead = `# Compact results

By default (` + "`TABLEAU_MCP_RESULTS=compact`" + `) the list and get tools answer with the
fields an agent uses, names beside IDs, instead of Tableau's whole JSON. List
methods that take Tableau's ` + "`fields=`" + ` parameter are asked for the names
(owner, project, a view's workbook) in the same single request. A member
marked ` + "`?`" + ` appears only when it has a value; an empty list is ` + "`[]`" + `.
` + "`TABLEAU_MCP_RESULTS=tableau`" + ` returns Tableau's JSON unchanged.

Generated from the code by ` + "`go test ./tools`" + ` (` + "`UPDATE_README=true`" + ` rewrites it).

`

// TestResultsDocIsCurrent keeps docs/results.md equal to the code.
func TestResultsDocIsCurrent(t *testing.T) {
	want := resultsDocHead + ResultsMarkdown()
	got, _ := os.ReadFile("../docs/results.md")
	if string(got) == want {
		return
	}
	if os.Getenv("UPDATE_README") == "true" {
		if err := os.WriteFile("../docs/results.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/results.md is out of date; run UPDATE_README=true go test ./tools")
}

// TestEveryListAndGetToolIsDocumented: the compact shape of each content
// list names what it references.
func TestEveryListAndGetToolIsDocumented(t *testing.T) {
	doc := ResultsMarkdown()
	for _, name := range []string{"tableau_workbooks_list", "tableau_views_list", "tableau_datasources_list", "tableau_projects_list", "tableau_users_list", "tableau_jobs_list", "tableau_list_views", "tableau_workbook_get", "tableau_view_get"} {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("%s's compact answer is not documented", name)
		}
	}
	for _, want := range []string{"owner?{id?,name?}", "workbook?{id?,name?}", "project?{id?,name?}"} {
		if !strings.Contains(doc, want) {
			t.Errorf("compact answers do not show %s", want)
		}
	}
}
