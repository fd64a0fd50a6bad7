package tools

import (
	"net/url"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Custom views are views a user saved with their own filters and settings
// (REST 3.18; their data 3.23). They are listed site-wide and exported
// like views.

// CustomViewRef names one custom view.
type CustomViewRef struct {
	CustomViewID string `json:"custom_view_id" jsonschema:"required" jsonschema_description:"From tableau_custom_views_list; not the view's id."`
}

// CustomViewsListArgs are the arguments of tableau_custom_views_list.
type CustomViewsListArgs struct {
	ViewID     string `json:"view_id,omitempty" jsonschema_description:"Only those saved from this view."`
	WorkbookID string `json:"workbook_id,omitempty" jsonschema_description:"Only those of this workbook."`
	OwnerID    string `json:"owner_id,omitempty" jsonschema_description:"Only those this user owns."`
	Paging
}

func (a *CustomViewsListArgs) query() url.Values {
	var terms []string
	for _, t := range []struct{ field, v string }{{"viewId", a.ViewID}, {"workbookId", a.WorkbookID}, {"ownerId", a.OwnerID}} {
		if t.v != "" {
			terms = append(terms, t.field+":eq:"+t.v)
		}
	}
	q := a.Paging.query(nil)
	if len(terms) > 0 {
		q.Set("filter", strings.Join(terms, ","))
	}
	return q
}

// CustomViewImageArgs are the arguments of tableau_custom_view_image_get.
type CustomViewImageArgs struct {
	CustomViewRef
	Resolution string `json:"resolution,omitempty" jsonschema:"enum=standard,enum=high"`
	VizWidth   int    `json:"viz_width,omitempty" jsonschema:"minimum=100,maximum=4000"`
	VizHeight  int    `json:"viz_height,omitempty" jsonschema:"minimum=100,maximum=4000"`
	ViewFilterArgs
}

// CustomViewDataArgs are the arguments of tableau_custom_view_data_get.
type CustomViewDataArgs struct {
	CustomViewRef
	ViewFilterArgs
}

func (a *CustomViewImageArgs) export() exportSpec {
	o := newOptions()
	if a.Resolution == "high" {
		o.set("resolution", "resolution", "high", "high resolution")
	}
	o.set("vizWidth", "viz_width", itoa(a.VizWidth), "")
	o.set("vizHeight", "viz_height", itoa(a.VizHeight), "")
	o.filters(a.ViewFilters)
	return exportSpec{kind: kindImage, tool: "tableau_custom_view_image_get", what: "the image of custom view " + a.CustomViewID,
		req:     get(backend.SiteScope, backend.Segments("customviews", a.CustomViewID, "image"), o.rest),
		uri:     resourceURI("customviews", a.CustomViewID, "image", o.uri),
		formats: []format{fmtPNG}, fallback: "customview-" + a.CustomViewID, notes: o.notes,
		filters: o.vf, target: filterTarget{"customviews", a.CustomViewID}}
}

func (a *CustomViewDataArgs) export() exportSpec {
	o := newOptions()
	o.filters(a.ViewFilters)
	return exportSpec{kind: kindCSV, tool: "tableau_custom_view_data_get", what: "the data of custom view " + a.CustomViewID,
		req:     get(backend.SiteScope, backend.Segments("customviews", a.CustomViewID, "data"), o.rest),
		uri:     resourceURI("customviews", a.CustomViewID, "data", o.uri),
		formats: []format{fmtCSV}, fallback: "customview-" + a.CustomViewID, notes: o.notes,
		filters: o.vf, target: filterTarget{"customviews", a.CustomViewID}}
}

func customViewTools() []Tool {
	return []Tool{
		listTool[CustomViewsListArgs, cCustomView](Tool{
			Name: "tableau_custom_views_list", Title: "List custom views", Kind: Read, Idempotent: true, Source: New, Toolset: "customviews",
			Description: "List custom views (users' saved views) across the site: id, name, shared, view, workbook, owner.",
		}, shape{"customViews", "customView", "customViews", ""}, func(a *CustomViewsListArgs) backend.Request {
			return get(backend.SiteScope, "/customviews", a.query())
		}),
		getTool[CustomViewRef, cCustomView](Tool{
			Name: "tableau_custom_view_get", Title: "Get a custom view", Kind: Read, Idempotent: true, Source: New, Toolset: "customviews",
			Description: "Get one custom view: name, shared, view, workbook, owner.",
		}, "customView", func(a *CustomViewRef) backend.Request {
			return get(backend.SiteScope, backend.Segments("customviews", a.CustomViewID), nil)
		}),
		exportTool[CustomViewImageArgs](Tool{
			Name: "tableau_custom_view_image_get", Title: "Get a custom view as an image", Kind: Read, Idempotent: true, Source: New, Toolset: "customviews",
			Description: "Render a custom view, with its saved filters, as a PNG, with a resource link.",
		}),
		exportTool[CustomViewDataArgs](Tool{
			Name: "tableau_custom_view_data_get", Title: "Get a custom view's data as CSV", Kind: Read, Idempotent: true, Source: New, Toolset: "customviews",
			Description: "Get a custom view's data, with its saved filters, as CSV; long data is cut, the whole stays a resource.",
		}),
	}
}
