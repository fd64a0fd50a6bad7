package tools

import (
	"fmt"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ProjectID names one project.
type ProjectRef struct {
	ProjectID string `json:"project_id" jsonschema:"required" jsonschema_description:"From tableau_projects_list."`
}

// ProjectFields are the settable fields of a project.
type ProjectFields struct {
	Description        string `json:"description,omitempty"`
	ParentProjectID    string `json:"parent_project_id,omitempty" jsonschema_description:"Parent project LUID; omit for top level."`
	ContentPermissions string `json:"content_permissions,omitempty" jsonschema:"enum=ManagedByOwner,enum=LockedToProject,enum=LockedToProjectWithoutNested"`
}

// ProjectCreateArgs are the arguments of tableau_project_create.
type ProjectCreateArgs struct {
	Name string `json:"name" jsonschema:"required" jsonschema_description:"Name, unique under its parent."`
	ProjectFields
}

// ProjectUpdateArgs are the arguments of tableau_project_update.
type ProjectUpdateArgs struct {
	ProjectRef
	Name string `json:"name,omitempty"`
	ProjectFields
}

// Validate requires something to change.
func (a *ProjectUpdateArgs) Validate() error {
	if a.Name == "" && a.ProjectFields == (ProjectFields{}) {
		return fmt.Errorf("nothing to update: give at least one of name, description, parent_project_id, content_permissions")
	}
	return nil
}

func (f ProjectFields) body(name string) map[string]any {
	p := map[string]any{}
	putIf(p, "name", name)
	putIf(p, "description", f.Description)
	putIf(p, "parentProjectId", f.ParentProjectID)
	putIf(p, "contentPermissions", f.ContentPermissions)
	return map[string]any{"project": p}
}

func projectPath(id string, rest ...string) string {
	return backend.Segments(append([]string{"projects", id}, rest...)...)
}

func projectTools() []Tool {
	return []Tool{
		listTool[ListArgs, cProject](Tool{
			Name: "tableau_projects_list", Title: "List projects", Kind: Read, Idempotent: true, Source: Seed, Toolset: "projects",
			Description: "List projects: id, name, description, parent, owner.",
		}, shape{"projects", "project", "projects", "id,name,description,parentProjectId,owner.name"}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/projects", a.query())
		}),
		restTool(Tool{
			Name: "tableau_project_create", Title: "Create a project", Kind: Write, Idempotent: false, Source: Seed, Toolset: "projects",
			Description: "Create a project, top-level or under parent_project_id.",
		}, func(a *ProjectCreateArgs) backend.Request {
			return send(http.MethodPost, backend.SiteScope, "/projects", a.ProjectFields.body(a.Name))
		}),
		restTool(Tool{
			Name: "tableau_project_update", Title: "Update a project", Kind: Write, Idempotent: true, Source: Seed, Toolset: "projects",
			Description: "Rename a project, change its description or permissions mode, or move it; give only what changes.",
		}, func(a *ProjectUpdateArgs) backend.Request {
			return send(http.MethodPut, backend.SiteScope, projectPath(a.ProjectID), a.ProjectFields.body(a.Name))
		}),
		restTool(Tool{
			Name: "tableau_project_delete", Title: "Delete a project", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "projects",
			Description: "Permanently delete a project with all the content and projects in it.",
		}, func(a *ProjectRef) backend.Request {
			return send(http.MethodDelete, backend.SiteScope, projectPath(a.ProjectID), nil)
		}),
	}
}
