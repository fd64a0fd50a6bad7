package tools

import (
	"fmt"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// UserID names one user.
type UserRef struct {
	UserID string `json:"user_id" jsonschema:"required" jsonschema_description:"From tableau_users_list."`
}

// UserAddArgs are the arguments of tableau_user_add_to_site.
type UserAddArgs struct {
	Name        string `json:"name" jsonschema:"required" jsonschema_description:"User name (an email on Tableau Cloud)."`
	SiteRole    string `json:"site_role" jsonschema:"required,enum=Creator,enum=Explorer,enum=ExplorerCanPublish,enum=Guest,enum=ServerAdministrator,enum=SiteAdministratorCreator,enum=SiteAdministratorExplorer,enum=SupportUser,enum=Unlicensed,enum=Viewer" jsonschema_description:"Site role."`
	AuthSetting string `json:"auth_setting,omitempty" jsonschema_description:"Sign-in method, e.g. ServerDefault, SAML, OpenID."`
}

// UserUpdateArgs are the arguments of tableau_user_update.
type UserUpdateArgs struct {
	UserRef
	FullName string `json:"full_name,omitempty"`
	Email    string `json:"email,omitempty"`
	SiteRole string `json:"site_role,omitempty" jsonschema:"enum=Creator,enum=Explorer,enum=ExplorerCanPublish,enum=Guest,enum=ServerAdministrator,enum=SiteAdministratorCreator,enum=SiteAdministratorExplorer,enum=SupportUser,enum=Unlicensed,enum=Viewer" jsonschema_description:"New site role."`
}

// Validate requires something to change.
func (a *UserUpdateArgs) Validate() error {
	if a.FullName == "" && a.Email == "" && a.SiteRole == "" {
		return fmt.Errorf("nothing to update: give at least one of full_name, email, site_role")
	}
	return nil
}

func userTools() []Tool {
	return []Tool{
		listTool[ListArgs, cUser](Tool{
			Name: "tableau_users_list", Title: "List users", Kind: Read, Idempotent: true, Source: Seed, Toolset: "users",
			Description: "List the site's users, e.g. filter siteRole:eq:Viewer: id, name, full name, email, site role, last login.",
		}, shape{"users", "user", "users", "id,name,fullName,email,siteRole,lastLogin"}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/users", a.query())
		}),
		getTool[UserRef, cUser](Tool{
			Name: "tableau_user_get", Title: "Get a user", Kind: Read, Idempotent: true, Source: Seed, Toolset: "users",
			Description: "Get one user: name, full name, email, site role, sign-in method, last login.",
		}, "user", func(a *UserRef) backend.Request {
			return get(backend.SiteScope, backend.Segments("users", a.UserID), nil)
		}),
		restTool(Tool{
			Name: "tableau_user_add_to_site", Title: "Add a user to the site", Kind: Write, Idempotent: false, Source: Seed, Toolset: "users",
			Description: "Add a user to the site with a site role (may use a license).",
		}, func(a *UserAddArgs) backend.Request {
			u := map[string]any{"name": a.Name, "siteRole": a.SiteRole}
			putIf(u, "authSetting", a.AuthSetting)
			return send(http.MethodPost, backend.SiteScope, "/users", map[string]any{"user": u})
		}),
		restTool(Tool{
			Name: "tableau_user_update", Title: "Update a user", Kind: Write, Idempotent: true, Source: SK, Toolset: "users",
			Description: "Change a user's display name, email or site role; give only what changes.",
		}, func(a *UserUpdateArgs) backend.Request {
			u := map[string]any{}
			putIf(u, "fullName", a.FullName)
			putIf(u, "email", a.Email)
			putIf(u, "siteRole", a.SiteRole)
			return send(http.MethodPut, backend.SiteScope, backend.Segments("users", a.UserID), map[string]any{"user": u})
		}),
		restTool(Tool{
			Name: "tableau_user_remove_from_site", Title: "Remove a user from the site", Kind: Destructive, Idempotent: true, Source: Seed, Toolset: "users",
			Description: "Remove a user from the site; they can no longer sign in to it.",
		}, func(a *UserRef) backend.Request {
			return send(http.MethodDelete, backend.SiteScope, backend.Segments("users", a.UserID), nil)
		}),
	}
}
