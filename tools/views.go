package tools

import (
	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ViewID names one view.
type ViewRef struct {
	ViewID string `json:"view_id" jsonschema:"required" jsonschema_description:"LUID of the view, from tableau_views_list or tableau_list_views (views.view[].id)."`
}

// ViewsListArgs are the arguments of tableau_views_list.
type ViewsListArgs struct {
	ListArgs
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return each view's total view count (usage.totalViewCount)."`
}

// WorkbookViewsArgs are the arguments of tableau_list_views.
type WorkbookViewsArgs struct {
	WorkbookRef
	Filter                 string `json:"filter,omitempty" check:"filter" jsonschema_description:"Tableau filter expression field:operator:value, e.g. name:eq:Overview."`
	IncludeUsageStatistics bool   `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return each view's total view count (usage.totalViewCount)."`
	Paging
}

// ViewGetArgs are the arguments of tableau_view_get.
type ViewGetArgs struct {
	ViewRef
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return the view's total view count."`
}

var viewTools = []Tool{
	restTool(Tool{
		Name: "tableau_views_list", Title: "List views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "List the views (worksheets and dashboards) across the whole site, with optional filter, sort and paging. Returns views.view[] (id, name, contentUrl, viewUrlName, sheetType, workbook{id}, owner{id}, project{id}, tags) and pagination.",
	}, func(a *ViewsListArgs) backend.Request {
		return get(backend.SiteScope, "/views", usage(a.ListArgs.query(), a.IncludeUsageStatistics))
	}),
	restTool(Tool{
		Name: "tableau_list_views", Title: "List a workbook's views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "List the views (sheets and dashboards) of one workbook. Returns views.view[] with id, name, contentUrl, sheetType; use a view's id with tableau_view_get and the export tools.",
	}, func(a *WorkbookViewsArgs) backend.Request {
		q := usage(a.Paging.query(nil), a.IncludeUsageStatistics)
		if a.Filter != "" {
			q.Set("filter", a.Filter)
		}
		return get(backend.SiteScope, workbookPath(a.WorkbookID, "views"), q)
	}),
	restTool(Tool{
		Name: "tableau_view_get", Title: "Get a view", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "Return one view: name, contentUrl, sheetType, its workbook, owner and project, tags; with include_usage_statistics also its view count.",
	}, func(a *ViewGetArgs) backend.Request {
		return get(backend.SiteScope, backend.Segments("views", a.ViewID), usage(nil, a.IncludeUsageStatistics))
	}),
}
