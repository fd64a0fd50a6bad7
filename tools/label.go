package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Label names the content a destructive call acts on, for the question a
// person is asked before it runs: "project 'Agent Test' (in 'Default')".
// It reads the item through the backend (one request); "" when the tool
// has no such item or it cannot be read, and the question then shows IDs.
func Label(ctx context.Context, env *Env, tool string, args any) string {
	p := params(args)
	id := func(k string) string { s, _ := p[k].(string); return s }
	read := func(path string, q url.Values, into any) bool {
		raw, err := env.Backend.Invoke(ctx, backend.Call{Tool: tool, Request: get(backend.SiteScope, path, q)})
		return err == nil && json.Unmarshal(raw, into) == nil
	}
	switch tool {
	case "tableau_project_delete":
		var ans struct {
			Projects struct {
				Project []struct{ ID, Name, ParentProjectID string } `json:"project"`
			} `json:"projects"`
		}
		if !read("/projects", url.Values{"pageSize": {"1000"}, "fields": {"id,name,parentProjectId"}}, &ans) {
			return ""
		}
		names := map[string]string{}
		for _, x := range ans.Projects.Project {
			names[x.ID] = x.Name
		}
		for _, x := range ans.Projects.Project {
			if x.ID == id("project_id") {
				if parent := names[x.ParentProjectID]; parent != "" {
					return fmt.Sprintf("project '%s' (in '%s')", x.Name, parent)
				}
				return fmt.Sprintf("project '%s' (top level)", x.Name)
			}
		}
	case "tableau_workbook_delete", "tableau_datasource_delete":
		kind, key, param := "workbook", "workbooks", "workbook_id"
		if tool == "tableau_datasource_delete" {
			kind, key, param = "datasource", "datasources", "datasource_id"
		}
		var ans map[string]*struct {
			Name    string                `json:"name"`
			Project struct{ Name string } `json:"project"`
		}
		if read(backend.Segments(key, id(param)), nil, &ans) && ans[kind] != nil {
			what := map[string]string{"workbook": "workbook", "datasource": "data source"}[kind]
			return fmt.Sprintf("%s '%s' (in '%s')", what, ans[kind].Name, ans[kind].Project.Name)
		}
	case "tableau_user_remove_from_site":
		var ans struct{ User struct{ Name string } }
		if read(backend.Segments("users", id("user_id")), nil, &ans) && ans.User.Name != "" {
			return fmt.Sprintf("user '%s'", ans.User.Name)
		}
	}
	return ""
}
