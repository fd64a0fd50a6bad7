package tools

import (
	"fmt"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// UserID names one user.
type UserRef struct {
	UserID string `json:"user_id" jsonschema:"required" jsonschema_description:"LUID of the user, from tableau_users_list (users.user[].id)."`
}

// UserAddArgs are the arguments of tableau_user_add_to_site.
type UserAddArgs struct {
	Name        string `json:"name" jsonschema:"required" jsonschema_description:"User name to add, e.g. jane.doe or jane.doe@example.com (on Tableau Cloud an email address)."`
	SiteRole    string `json:"site_role" jsonschema:"required,enum=Creator,enum=Explorer,enum=ExplorerCanPublish,enum=Guest,enum=ServerAdministrator,enum=SiteAdministratorCreator,enum=SiteAdministratorExplorer,enum=SupportUser,enum=Unlicensed,enum=Viewer" jsonschema_description:"Site role to give: Creator, Explorer, ExplorerCanPublish, SiteAdministratorCreator, SiteAdministratorExplorer, Viewer, Unlicensed, and so on."`
	AuthSetting string `json:"auth_setting,omitempty" jsonschema_description:"How the user signs in, e.g. ServerDefault, SAML, OpenID or TableauIDWithMFA (Tableau Cloud)."`
}

// UserUpdateArgs are the arguments of tableau_user_update.
type UserUpdateArgs struct {
	UserRef
	FullName string `json:"full_name,omitempty" jsonschema_description:"New display name."`
	Email    string `json:"email,omitempty" jsonschema_description:"New email address."`
	SiteRole string `json:"site_role,omitempty" jsonschema:"enum=Creator,enum=Explorer,enum=ExplorerCanPublish,enum=Guest,enum=ServerAdministrator,enum=SiteAdministratorCreator,enum=SiteAdministratorExplorer,enum=SupportUser,enum=Unlicensed,enum=Viewer" jsonschema_description:"New site role."`
}

// Validate requires something to change.
func (a *UserUpdateArgs) Validate() error {
	if a.FullName == "" && a.Email == "" && a.SiteRole == "" {
		return fmt.Errorf("nothing to update: give at least one of full_name, email, site_role")
	}
	return nil
}

var userTools = []Tool{
	restTool(Tool{
		Name: "tableau_users_list", Title: "List users", Kind: Read, Idempotent: true, Source: Seed, Toolset: "users",
		Description: "List the users of the site, with optional filter (e.g. siteRole:eq:Viewer, name:eq:jane@example.com), sort and paging. Returns users.user[] (id, name, fullName, email, siteRole, authSetting, lastLogin) and pagination.",
	}, func(a *ListArgs) backend.Request {
		return get(backend.SiteScope, "/users", a.query())
	}),
	restTool(Tool{
		Name: "tableau_user_get", Title: "Get a user", Kind: Read, Idempotent: true, Source: Seed, Toolset: "users",
		Description: "Return one user of the site: name, fullName, email, siteRole, authSetting, lastLogin, locale, language.",
	}, func(a *UserRef) backend.Request {
		return get(backend.SiteScope, backend.Segments("users", a.UserID), nil)
	}),
	restTool(Tool{
		Name: "tableau_user_add_to_site", Title: "Add a user to the site", Kind: Write, Idempotent: false, Source: Seed, Toolset: "users",
		Description: "Add a user to the site with a site role (this may use a license). Returns the new user (user.id). A user already on the site gives a conflict error.",
	}, func(a *UserAddArgs) backend.Request {
		u := map[string]any{"name": a.Name, "siteRole": a.SiteRole}
		putIf(u, "authSetting", a.AuthSetting)
		return send(http.MethodPost, backend.SiteScope, "/users", map[string]any{"user": u})
	}),
	restTool(Tool{
		Name: "tableau_user_update", Title: "Update a user", Kind: Write, Idempotent: true, Source: SK, Toolset: "users",
		Description: "Change a user's display name, email or site role. Give only what should change. Returns the updated user.",
	}, func(a *UserUpdateArgs) backend.Request {
		u := map[string]any{}
		putIf(u, "fullName", a.FullName)
		putIf(u, "email", a.Email)
		putIf(u, "siteRole", a.SiteRole)
		return send(http.MethodPut, backend.SiteScope, backend.Segments("users", a.UserID), map[string]any{"user": u})
	}),
	restTool(Tool{
		Name: "tableau_user_remove_from_site", Title: "Remove a user from the site", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "users",
		Description: "Remove a user from the site; they can no longer sign in to it. Returns {} on success.",
	}, func(a *UserRef) backend.Request {
		return send(http.MethodDelete, backend.SiteScope, backend.Segments("users", a.UserID), nil)
	}),
}
