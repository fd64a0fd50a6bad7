package tools

import (
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// GroupID names one group.
type GroupRef struct {
	GroupID string `json:"group_id" jsonschema:"required" jsonschema_description:"From tableau_groups_list."`
}

// GroupCreateArgs are the arguments of tableau_group_create.
type GroupCreateArgs struct {
	Name            string `json:"name" jsonschema:"required" jsonschema_description:"Name, unique on the site."`
	MinimumSiteRole string `json:"minimum_site_role,omitempty" jsonschema:"enum=Creator,enum=Explorer,enum=ExplorerCanPublish,enum=SiteAdministratorCreator,enum=SiteAdministratorExplorer,enum=Unlicensed,enum=Viewer" jsonschema_description:"Site role members get on sign-in."`
}

// GroupUsersArgs are the arguments of tableau_group_users_list.
type GroupUsersArgs struct {
	GroupRef
	Paging
}

// GroupMemberArgs name a group and a user.
type GroupMemberArgs struct {
	GroupRef
	UserRef
}

func groupPath(id string, rest ...string) string {
	return backend.Segments(append([]string{"groups", id}, rest...)...)
}

func groupTools() []Tool {
	return []Tool{
		listTool[ListArgs, cGroup](Tool{
			Name: "tableau_groups_list", Title: "List groups", Kind: Read, Idempotent: true, Source: Seed, Toolset: "groups",
			Description: "List the site's groups: id, name, minimum site role, user count.",
		}, shape{"groups", "group", "groups", ""}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/groups", a.query())
		}),
		restTool(Tool{
			Name: "tableau_group_create", Title: "Create a group", Kind: Write, Idempotent: false, Source: Seed, Toolset: "groups",
			Description: "Create a local group on the site, optionally with a minimum site role.",
		}, func(a *GroupCreateArgs) backend.Request {
			g := map[string]any{"name": a.Name}
			putIf(g, "minimumSiteRole", a.MinimumSiteRole)
			return send(http.MethodPost, backend.SiteScope, "/groups", map[string]any{"group": g})
		}),
		listTool[GroupUsersArgs, cUser](Tool{
			Name: "tableau_group_users_list", Title: "List a group's members", Kind: Read, Idempotent: true, Source: New, Toolset: "groups",
			Description: "List the members of a group: id, name, site role.",
		}, shape{"users", "user", "users", ""}, func(a *GroupUsersArgs) backend.Request {
			return get(backend.SiteScope, groupPath(a.GroupID, "users"), a.Paging.query(nil))
		}),
		restTool(Tool{
			Name: "tableau_group_add_user", Title: "Add a user to a group", Kind: Write, Idempotent: true, Source: Seed, Toolset: "groups",
			Description: "Add a site user to a group; one already in it is a conflict.",
		}, func(a *GroupMemberArgs) backend.Request {
			return send(http.MethodPost, backend.SiteScope, groupPath(a.GroupID, "users"), map[string]any{"user": ref(a.UserID)})
		}),
		restTool(Tool{
			Name: "tableau_group_remove_user", Title: "Remove a user from a group", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "groups",
			Description: "Remove a user from a group; the user stays on the site.",
		}, func(a *GroupMemberArgs) backend.Request {
			return send(http.MethodDelete, backend.SiteScope, groupPath(a.GroupID, "users", a.UserID), nil)
		}),
	}
}
