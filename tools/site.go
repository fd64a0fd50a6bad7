package tools

import (
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// SiteArgs are the arguments of tableau_site_get.
type SiteArgs struct {
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty"`
}

// SitesListArgs are the arguments of tableau_sites_list.
type SitesListArgs struct {
	Filter string `json:"filter,omitempty" check:"filter" jsonschema_description:"field:op:value, e.g. name:eq:Finance."`
	Paging
}

func siteTools() []Tool {
	return []Tool{
		restTool(Tool{
			Name: "tableau_auth_signout", Title: "Sign out of Tableau", Kind: Write, Idempotent: true, Source: Seed, Toolset: "site",
			Description: "End the Tableau session; the next call signs in again.",
		}, func(*NoArgs) backend.Request {
			return send(http.MethodPost, backend.APIScope, "/auth/signout", nil)
		}),
		restTool(Tool{
			Name: "tableau_session_get", Title: "Current session", Kind: Read, Idempotent: true, Source: Seed, Toolset: "site",
			Description: "Get the signed-in site and user, with their IDs.",
		}, func(*NoArgs) backend.Request {
			return get(backend.APIScope, "/sessions/current", nil)
		}),
		restTool(Tool{
			Name: "tableau_site_get", Title: "Get the site", Kind: Read, Idempotent: true, Source: Seed, Toolset: "site",
			Description: "Get the site's settings and quotas, optionally its usage.",
		}, func(a *SiteArgs) backend.Request {
			return get(backend.SiteScope, "", usage(nil, a.IncludeUsageStatistics))
		}),
		listTool[SitesListArgs, cSite](Tool{
			Name: "tableau_sites_list", Title: "List sites", Kind: Read, Idempotent: true, Source: SK, Toolset: "site",
			Description: "List the sites the signed-in user can see.",
		}, shape{"sites", "site", "sites", ""}, func(a *SitesListArgs) backend.Request {
			q := a.Paging.query(nil)
			if a.Filter != "" {
				q.Set("filter", a.Filter)
			}
			return get(backend.APIScope, "/sites", q)
		}),
	}
}
