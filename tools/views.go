package tools

import (
	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ViewID names one view.
type ViewRef struct {
	ViewID string `json:"view_id" jsonschema:"required" jsonschema_description:"From tableau_views_list."`
}

// ViewsListArgs are the arguments of tableau_views_list.
type ViewsListArgs struct {
	ListArgs
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return view counts."`
}

// WorkbookViewsArgs are the arguments of tableau_list_views.
type WorkbookViewsArgs struct {
	WorkbookRef
	Filter                 string `json:"filter,omitempty" check:"filter" jsonschema_description:"field:op:value, e.g. name:eq:Overview."`
	IncludeUsageStatistics bool   `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return view counts."`
	Paging
}

// ViewGetArgs are the arguments of tableau_view_get.
type ViewGetArgs struct {
	ViewRef
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return its view count."`
}

var viewTools = []Tool{
	restTool(Tool{
		Name: "tableau_views_list", Title: "List views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "List views across the site: id, name, type, workbook, project, owner.",
	}, func(a *ViewsListArgs) backend.Request {
		return get(backend.SiteScope, "/views", usage(a.ListArgs.query(), a.IncludeUsageStatistics))
	}),
	restTool(Tool{
		Name: "tableau_list_views", Title: "List a workbook's views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "List the views of one workbook: id, name, type.",
	}, func(a *WorkbookViewsArgs) backend.Request {
		q := usage(a.Paging.query(nil), a.IncludeUsageStatistics)
		if a.Filter != "" {
			q.Set("filter", a.Filter)
		}
		return get(backend.SiteScope, workbookPath(a.WorkbookID, "views"), q)
	}),
	restTool(Tool{
		Name: "tableau_view_get", Title: "Get a view", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
		Description: "Get one view: name, type, workbook, project, owner, tags.",
	}, func(a *ViewGetArgs) backend.Request {
		return get(backend.SiteScope, backend.Segments("views", a.ViewID), usage(nil, a.IncludeUsageStatistics))
	}),
}
