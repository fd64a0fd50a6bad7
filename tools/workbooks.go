package tools

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// WorkbookID names one workbook.
type WorkbookRef struct {
	WorkbookID string `json:"workbook_id" jsonschema:"required" jsonschema_description:"From tableau_workbooks_list."`
}

// WorkbookSearchArgs are the arguments of tableau_workbook_search.
type WorkbookSearchArgs struct {
	Name string `json:"name" jsonschema:"required" jsonschema_description:"Exact name, case-sensitive."`
	Paging
}

// Validate refuses names Tableau's filter syntax cannot carry.
func (a *WorkbookSearchArgs) Validate() error {
	if strings.ContainsAny(a.Name, ",&") {
		return fmt.Errorf("name %q contains ',' or '&', which Tableau filters cannot match; search with tableau_workbooks_list and filter name:has:<part of the name> instead", clip(a.Name))
	}
	return nil
}

// WorkbookGetArgs are the arguments of tableau_workbook_get.
type WorkbookGetArgs struct {
	WorkbookRef
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty"`
}

// WorkbookUpdateArgs are the arguments of tableau_workbook_update.
type WorkbookUpdateArgs struct {
	WorkbookRef
	Description string `json:"description,omitempty"`
	Relocation
	ShowTabs *bool `json:"show_tabs,omitempty" jsonschema_description:"Show views as tabs."`
}

// Relocation gives content a new owner or moves it to another project.
type Relocation struct {
	NewOwnerID   string `json:"new_owner_id,omitempty" jsonschema_description:"LUID of the new owner."`
	NewProjectID string `json:"new_project_id,omitempty" jsonschema_description:"LUID of the project to move it to."`
}

// fill sets project{id} and owner{id} in an update body when given.
func (r Relocation) fill(m map[string]any) {
	if r.NewProjectID != "" {
		m["project"] = ref(r.NewProjectID)
	}
	if r.NewOwnerID != "" {
		m["owner"] = ref(r.NewOwnerID)
	}
}

// Validate requires something to change.
func (a *WorkbookUpdateArgs) Validate() error {
	if a.Description == "" && a.NewOwnerID == "" && a.NewProjectID == "" && a.ShowTabs == nil {
		return fmt.Errorf("nothing to update: give at least one of description, new_owner_id, new_project_id, show_tabs")
	}
	return nil
}

// RefreshArgs are the arguments of the extract refresh tools.
type RefreshArgs struct {
	IncrementalExtract bool `json:"incremental_extract,omitempty"`
}

func refreshBody(incremental bool) map[string]any {
	if incremental {
		return map[string]any{"extractRefresh": map[string]any{"incremental": true}}
	}
	return map[string]any{}
}

// WorkbookRefreshArgs are the arguments of tableau_workbook_refresh.
type WorkbookRefreshArgs struct {
	WorkbookRef
	RefreshArgs
}

func workbookPath(id string, rest ...string) string {
	return backend.Segments(append([]string{"workbooks", id}, rest...)...)
}

func workbookTools() []Tool {
	return []Tool{
		listTool[ListArgs, cWorkbook](Tool{
			Name: "tableau_workbooks_list", Title: "List workbooks", Kind: Read, Idempotent: true, Source: Seed, Toolset: "workbooks",
			Description: "List workbooks: id, name, project, owner, tags, updated.",
		}, shape{"workbooks", "workbook", "workbooks", "id,name,description,updatedAt,project.id,project.name,owner.name,tags"}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/workbooks", a.query())
		}),
		listTool[WorkbookSearchArgs, cWorkbook](Tool{
			Name: "tableau_workbook_search", Title: "Find workbooks by name", Kind: Read, Idempotent: true, Source: Seed, Toolset: "workbooks",
			Description: "Find workbooks by exact name; if none, filter tableau_workbooks_list with name:has:<part>.",
		}, shape{"workbooks", "workbook", "workbooks", "id,name,description,updatedAt,project.id,project.name,owner.name,tags"}, func(a *WorkbookSearchArgs) backend.Request {
			q := a.Paging.query(url.Values{})
			q.Set("filter", "name:eq:"+a.Name)
			return get(backend.SiteScope, "/workbooks", q)
		}),
		getTool[WorkbookGetArgs, cWorkbook](Tool{
			Name: "tableau_workbook_get", Title: "Get a workbook", Kind: Read, Idempotent: true, Source: Seed, Toolset: "workbooks",
			Description: "Get one workbook with its project, owner, tags and views.",
		}, "workbook", func(a *WorkbookGetArgs) backend.Request {
			return get(backend.SiteScope, workbookPath(a.WorkbookID), usage(nil, a.IncludeUsageStatistics))
		}),
		restTool(Tool{
			Name: "tableau_workbook_update", Title: "Update a workbook", Kind: Write, Idempotent: true, Source: SK, Toolset: "workbooks",
			Description: "Change a workbook's description, owner, project or tabs; give only what changes.",
		}, func(a *WorkbookUpdateArgs) backend.Request {
			wb := map[string]any{}
			putIf(wb, "description", a.Description)
			putIf(wb, "showTabs", a.ShowTabs)
			a.Relocation.fill(wb)
			return send(http.MethodPut, backend.SiteScope, workbookPath(a.WorkbookID), map[string]any{"workbook": wb})
		}),
		restTool(Tool{
			Name: "tableau_workbook_delete", Title: "Delete a workbook", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "workbooks",
			Description: "Permanently delete a workbook and its views.",
		}, func(a *WorkbookRef) backend.Request {
			return send(http.MethodDelete, backend.SiteScope, workbookPath(a.WorkbookID), nil)
		}),
		restTool(Tool{
			Name: "tableau_workbook_refresh", Title: "Refresh a workbook's extracts", Kind: Write, Idempotent: false, Source: SK, Toolset: "workbooks",
			Description: "Refresh a workbook's extracts now. Returns the job; follow it with tableau_job_get.",
		}, func(a *WorkbookRefreshArgs) backend.Request {
			return send(http.MethodPost, backend.SiteScope, workbookPath(a.WorkbookID, "refresh"), refreshBody(a.IncrementalExtract))
		}),
		restTool(Tool{
			Name: "tableau_workbook_connections_list", Title: "List a workbook's connections", Kind: Read, Idempotent: true, Source: Seed, Toolset: "workbooks",
			Description: "List a workbook's data connections and their data sources.",
		}, func(a *WorkbookRef) backend.Request {
			return get(backend.SiteScope, workbookPath(a.WorkbookID, "connections"), nil)
		}),
	}
}
