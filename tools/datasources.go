package tools

import (
	"fmt"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// DatasourceID names one published data source.
type DatasourceRef struct {
	DatasourceID string `json:"datasource_id" jsonschema:"required" jsonschema_description:"From tableau_datasources_list."`
}

// DatasourceUpdateArgs are the arguments of tableau_datasource_update.
type DatasourceUpdateArgs struct {
	DatasourceRef
	Name              string `json:"name,omitempty"`
	IsCertified       *bool  `json:"is_certified,omitempty"`
	CertificationNote string `json:"certification_note,omitempty" jsonschema_description:"Note shown with the certification."`
	Relocation
}

// Validate requires something to change.
func (a *DatasourceUpdateArgs) Validate() error {
	if a.Name == "" && a.IsCertified == nil && a.CertificationNote == "" && a.NewOwnerID == "" && a.NewProjectID == "" {
		return fmt.Errorf("nothing to update: give at least one of name, is_certified, certification_note, new_owner_id, new_project_id")
	}
	return nil
}

// DatasourceRefreshArgs are the arguments of tableau_datasource_refresh.
type DatasourceRefreshArgs struct {
	DatasourceRef
	RefreshArgs
}

func datasourcePath(id string, rest ...string) string {
	return backend.Segments(append([]string{"datasources", id}, rest...)...)
}

func datasourceTools() []Tool {
	return []Tool{
		listTool[ListArgs, cDatasource](Tool{
			Name: "tableau_datasources_list", Title: "List data sources", Kind: Read, Idempotent: true, Source: Seed, Toolset: "datasources",
			Description: "List published data sources: id (the datasource_luid to query), name, type, certified, project, owner.",
		}, shape{"datasources", "datasource", "datasources", "id,name,type,description,isCertified,hasExtracts,updatedAt,project.id,project.name,owner.name,tags"}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/datasources", a.query())
		}),
		getTool[DatasourceRef, cDatasource](Tool{
			Name: "tableau_datasource_get", Title: "Get a data source", Kind: Read, Idempotent: true, Source: Seed, Toolset: "datasources",
			Description: "Get one published data source: name, type, description, certification, extract, project, owner, tags.",
		}, "datasource", func(a *DatasourceRef) backend.Request {
			return get(backend.SiteScope, datasourcePath(a.DatasourceID), nil)
		}),
		restTool(Tool{
			Name: "tableau_datasource_update", Title: "Update a data source", Kind: Write, Idempotent: true, Source: SK, Toolset: "datasources",
			Description: "Rename a data source or change its certification, owner or project; give only what changes.",
		}, func(a *DatasourceUpdateArgs) backend.Request {
			ds := map[string]any{}
			putIf(ds, "name", a.Name)
			putIf(ds, "isCertified", a.IsCertified)
			putIf(ds, "certificationNote", a.CertificationNote)
			a.Relocation.fill(ds)
			return send(http.MethodPut, backend.SiteScope, datasourcePath(a.DatasourceID), map[string]any{"datasource": ds})
		}),
		restTool(Tool{
			Name: "tableau_datasource_delete", Title: "Delete a data source", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "datasources",
			Description: "Permanently delete a published data source; workbooks using it lose their data.",
		}, func(a *DatasourceRef) backend.Request {
			return send(http.MethodDelete, backend.SiteScope, datasourcePath(a.DatasourceID), nil)
		}),
		restTool(Tool{
			Name: "tableau_datasource_refresh", Title: "Refresh a data source's extract", Kind: Write, Idempotent: false, Source: SK, Toolset: "datasources",
			Description: "Refresh a data source's extract now. Returns the job; follow it with tableau_job_get.",
		}, func(a *DatasourceRefreshArgs) backend.Request {
			return send(http.MethodPost, backend.SiteScope, datasourcePath(a.DatasourceID, "refresh"), refreshBody(a.IncrementalExtract))
		}),
	}
}
