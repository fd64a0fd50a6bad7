package tools

import (
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// SiteArgs are the arguments of tableau_site_get.
type SiteArgs struct {
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty" jsonschema_description:"Also return the site's usage (number of users, storage used)."`
}

// SitesListArgs are the arguments of tableau_sites_list.
type SitesListArgs struct {
	Filter string `json:"filter,omitempty" check:"filter" jsonschema_description:"Tableau filter expression field:operator:value, e.g. name:eq:Finance or contentUrl:eq:finance."`
	Paging
}

var siteTools = []Tool{
	restTool(Tool{
		Name: "tableau_auth_signout", Title: "Sign out of Tableau", Kind: Write, Idempotent: true, Source: Seed, Toolset: "site",
		Description: "Sign out of Tableau, ending the current session token. Only needed to drop the session deliberately: the next tool call signs in again by itself. Returns {\"signedOut\":true}.",
	}, func(*NoArgs) backend.Request {
		return send(http.MethodPost, backend.APIScope, "/auth/signout", nil)
	}),
	restTool(Tool{
		Name: "tableau_session_get", Title: "Current session", Kind: Read, Idempotent: true, Source: Seed, Toolset: "site",
		Description: "Return the signed-in session: the site (session.site.id is the site LUID, name, contentUrl) and the user (session.user.id, name, siteRole). Call it first to learn which site and user the tools act as.",
	}, func(*NoArgs) backend.Request {
		return get(backend.APIScope, "/sessions/current", nil)
	}),
	restTool(Tool{
		Name: "tableau_site_get", Title: "Get the site", Kind: Read, Idempotent: true, Source: Seed, Toolset: "site",
		Description: "Return the current site's settings: name, contentUrl, adminMode, state, user and storage quotas; with include_usage_statistics also its usage. Returns {\"site\":{...}}.",
	}, func(a *SiteArgs) backend.Request {
		return get(backend.SiteScope, "", usage(nil, a.IncludeUsageStatistics))
	}),
	restTool(Tool{
		Name: "tableau_sites_list", Title: "List sites", Kind: Read, Idempotent: true, Source: SK, Toolset: "site",
		Description: "List the sites on the Tableau server that the signed-in user can see (on Tableau Cloud usually just the one). Returns sites.site[] with id, name, contentUrl, state, plus pagination.",
	}, func(a *SitesListArgs) backend.Request {
		q := a.Paging.query(nil)
		if a.Filter != "" {
			q.Set("filter", a.Filter)
		}
		return get(backend.APIScope, "/sites", q)
	}),
}
