package tools

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Capability is one permission rule: a capability name and Allow or Deny.
type Capability struct {
	Name string `json:"name" jsonschema:"required" jsonschema_description:"Capability, e.g. Read, Write, ExportData, Connect."`
	Mode string `json:"mode" jsonschema:"required,enum=Allow,enum=Deny"`
}

// Grantee names the user or group a rule applies to.
type Grantee struct {
	GranteeID   string `json:"grantee_id" jsonschema:"required" jsonschema_description:"User or group LUID."`
	GranteeType string `json:"grantee_type" jsonschema:"required,enum=user,enum=group"`
}

// PermissionsAdd is the body of the permissions-add tools.
type PermissionsAdd struct {
	Grantee
	Capabilities []Capability `json:"capabilities" jsonschema:"required,minItems=1" jsonschema_description:"Rules to add, e.g. [{\"name\":\"Read\",\"mode\":\"Allow\"}]."`
}

// Validate checks each rule.
func (a *PermissionsAdd) Validate() error {
	for i, c := range a.Capabilities {
		if c.Name == "" || strings.ContainsAny(c.Name, "/?#% ") {
			return fmt.Errorf("capabilities[%d].name %q is not a capability name such as Read or ExportData", i, c.Name)
		}
		if c.Mode != "Allow" && c.Mode != "Deny" {
			return fmt.Errorf("capabilities[%d].mode %q must be Allow or Deny", i, c.Mode)
		}
	}
	return nil
}

func (a *PermissionsAdd) body() map[string]any {
	caps := make([]map[string]any, 0, len(a.Capabilities))
	for _, c := range a.Capabilities {
		caps = append(caps, map[string]any{"name": c.Name, "mode": c.Mode})
	}
	return map[string]any{"permissions": map[string]any{"granteeCapabilities": []any{map[string]any{
		a.GranteeType:  ref(a.GranteeID),
		"capabilities": map[string]any{"capability": caps},
	}}}}
}

// WorkbookPermissionsAddArgs are the arguments of tableau_workbook_permissions_add.
type WorkbookPermissionsAddArgs struct {
	WorkbookRef
	PermissionsAdd
}

// ProjectPermissionsAddArgs are the arguments of tableau_project_permissions_add.
type ProjectPermissionsAddArgs struct {
	ProjectRef
	PermissionsAdd
}

// WorkbookPermissionDeleteArgs are the arguments of tableau_workbook_permission_delete.
type WorkbookPermissionDeleteArgs struct {
	WorkbookRef
	Grantee
	CapabilityName string `json:"capability_name" jsonschema:"required" jsonschema_description:"Capability of the rule, e.g. Read."`
	CapabilityMode string `json:"capability_mode" jsonschema:"required,enum=Allow,enum=Deny"`
}

// Validate keeps the capability name to a plain word: it becomes a path segment.
func (a *WorkbookPermissionDeleteArgs) Validate() error {
	for _, r := range a.CapabilityName {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("capability_name %q is not a capability name such as Read or ExportData", clip(a.CapabilityName))
		}
	}
	return nil
}

func permissionTools() []Tool {
	return []Tool{
		restTool(Tool{
			Name: "tableau_workbook_permissions_list", Title: "List a workbook's permissions", Kind: Read, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "List the explicit permission rules on a workbook: grantee and capabilities (Allow or Deny).",
		}, func(a *WorkbookRef) backend.Request {
			return get(backend.SiteScope, workbookPath(a.WorkbookID, "permissions"), nil)
		}),
		restTool(Tool{
			Name: "tableau_workbook_permissions_add", Title: "Add workbook permissions", Kind: Write, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "Add permission rules for a user or group on a workbook; existing rules stay.",
		}, func(a *WorkbookPermissionsAddArgs) backend.Request {
			return send(http.MethodPut, backend.SiteScope, workbookPath(a.WorkbookID, "permissions"), a.PermissionsAdd.body())
		}),
		restTool(Tool{
			Name: "tableau_workbook_permission_delete", Title: "Remove a workbook permission", Kind: Destructive, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "Remove one permission rule (capability and mode, for a user or group) from a workbook.",
		}, func(a *WorkbookPermissionDeleteArgs) backend.Request {
			return send(http.MethodDelete, backend.SiteScope,
				workbookPath(a.WorkbookID, "permissions", a.GranteeType+"s", a.GranteeID, a.CapabilityName, a.CapabilityMode), nil)
		}),
		restTool(Tool{
			Name: "tableau_datasource_permissions_list", Title: "List a data source's permissions", Kind: Read, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "List the explicit permission rules on a data source: grantee and capabilities.",
		}, func(a *DatasourceRef) backend.Request {
			return get(backend.SiteScope, datasourcePath(a.DatasourceID, "permissions"), nil)
		}),
		restTool(Tool{
			Name: "tableau_project_permissions_list", Title: "List a project's permissions", Kind: Read, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "List the explicit permission rules on a project: grantee and capabilities.",
		}, func(a *ProjectRef) backend.Request {
			return get(backend.SiteScope, projectPath(a.ProjectID, "permissions"), nil)
		}),
		restTool(Tool{
			Name: "tableau_project_permissions_add", Title: "Add project permissions", Kind: Write, Idempotent: true, Source: SK, Toolset: "permissions",
			Description: "Add permission rules for a user or group on a project; existing rules stay.",
		}, func(a *ProjectPermissionsAddArgs) backend.Request {
			return send(http.MethodPut, backend.SiteScope, projectPath(a.ProjectID, "permissions"), a.PermissionsAdd.body())
		}),
	}
}
