package tools

import (
	"fmt"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ProjectID names one project.
type ProjectRef struct {
	ProjectID string `json:"project_id" jsonschema:"required" jsonschema_description:"LUID of the project, from tableau_projects_list (projects.project[].id)."`
}

// ProjectFields are the settable fields of a project.
type ProjectFields struct {
	Description        string `json:"description,omitempty" jsonschema_description:"Description of the project."`
	ParentProjectID    string `json:"parent_project_id,omitempty" jsonschema_description:"LUID of the parent project to nest it under, from tableau_projects_list; omit for a top-level project."`
	ContentPermissions string `json:"content_permissions,omitempty" jsonschema:"enum=ManagedByOwner,enum=LockedToProject,enum=LockedToProjectWithoutNested" jsonschema_description:"Who manages permissions of the content: ManagedByOwner, LockedToProject or LockedToProjectWithoutNested."`
}

// ProjectCreateArgs are the arguments of tableau_project_create.
type ProjectCreateArgs struct {
	Name string `json:"name" jsonschema:"required" jsonschema_description:"Name of the new project (unique under its parent)."`
	ProjectFields
}

// ProjectUpdateArgs are the arguments of tableau_project_update.
type ProjectUpdateArgs struct {
	ProjectRef
	Name string `json:"name,omitempty" jsonschema_description:"New name."`
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

var projectTools = []Tool{
	restTool(Tool{
		Name: "tableau_projects_list", Title: "List projects", Kind: Read, Idempotent: true, Source: Seed, Toolset: "projects",
		Description: "List the projects (folders of content) on the site, with optional filter, sort and paging; nested projects carry parentProjectId. Returns projects.project[] (id, name, description, parentProjectId, contentPermissions, owner{id}) and pagination. Filter by parent with parentProjectId:eq:<id>.",
	}, func(a *ListArgs) backend.Request {
		return get(backend.SiteScope, "/projects", a.query())
	}),
	restTool(Tool{
		Name: "tableau_project_create", Title: "Create a project", Kind: Write, Idempotent: false, Source: Seed, Toolset: "projects",
		Description: "Create a project, top-level or nested under parent_project_id. Returns the new project (project.id).",
	}, func(a *ProjectCreateArgs) backend.Request {
		return send(http.MethodPost, backend.SiteScope, "/projects", a.ProjectFields.body(a.Name))
	}),
	restTool(Tool{
		Name: "tableau_project_update", Title: "Update a project", Kind: Write, Idempotent: true, Source: Seed, Toolset: "projects",
		Description: "Rename a project, change its description or content permissions, or move it under another parent. Give only what should change. Returns the updated project.",
	}, func(a *ProjectUpdateArgs) backend.Request {
		return send(http.MethodPut, backend.SiteScope, projectPath(a.ProjectID), a.ProjectFields.body(a.Name))
	}),
	restTool(Tool{
		Name: "tableau_project_delete", Title: "Delete a project", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "projects",
		Description: "Permanently delete a project together with the workbooks, data sources and nested projects in it. This cannot be undone. Returns {} on success.",
	}, func(a *ProjectRef) backend.Request {
		return send(http.MethodDelete, backend.SiteScope, projectPath(a.ProjectID), nil)
	}),
}
