package scalekitemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"sort"
	"strings"
)

// kind is the JSON type a tool parameter must have.
type kind int

const (
	kString kind = iota
	kInt
	kBool
	kObject
	// kCapabilities is an array whose items are {"name","mode"} objects or
	// "Name:Mode" strings.
	kCapabilities
)

// param is one tool parameter and where its value goes in the Tableau call.
type param struct {
	name     string
	kind     kind
	required bool
	desc     string
	pathVar  bool   // substituted for {name} in the path
	query    string // query parameter name
	prefix   string // prepended to the query value
	body     string // dotted key inside the body wrapper, e.g. "project.id"
}

func ps(name, desc string) param { return param{name: name, kind: kString, desc: desc} }
func pi(name, desc string) param { return param{name: name, kind: kInt, desc: desc} }
func pb(name, desc string) param { return param{name: name, kind: kBool, desc: desc} }

func (p param) req() param          { p.required = true; return p }
func (p param) path() param         { p.pathVar = true; return p }
func (p param) q(key string) param  { p.query = key; return p }
func (p param) in(key string) param { p.body = key; return p }
func (p param) pre(s string) param  { p.prefix = s; return p }
func (p param) typed(k kind) param  { p.kind = k; return p }

// toolDef maps one Scalekit tool onto one Tableau call.
type toolDef struct {
	name   string
	desc   string
	method string
	// path follows /api/{version}; {site} is the signed-in site LUID and
	// {param} a path parameter (URL-escaped).
	path string
	// wrap names the body element ({"workbook":{...}}); "" sends no body
	// unless emptyBody is set, which sends {}.
	wrap      string
	emptyBody bool
	params    []param
	// special marks tools with their own code: "signout", "query_view",
	// "permissions_add", "permission_delete".
	special string
}

func (t *toolDef) param(name string) (param, bool) {
	for _, p := range t.params {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

// Shared parameter groups.
func filterP(example string) param {
	return ps("filter", "Tableau filter expression field:operator:value, several joined by commas, e.g. "+example).q("filter")
}

func sortP() param {
	return ps("sort", "Tableau sort expression field:asc|desc, several joined by commas, e.g. name:asc").q("sort")
}

func pagingP() []param {
	return []param{
		pi("page_number", "1-based page number").q("pageNumber"),
		pi("page_size", "items per page, at most 1000 (default 100)").q("pageSize"),
	}
}

func usageP() param {
	return pb("include_usage_statistics", "include usage statistics (view counts)").q("includeUsageStatistics")
}

func listParams(example string, withSort bool) []param {
	out := []param{filterP(example)}
	if withSort {
		out = append(out, sortP())
	}
	return append(out, pagingP()...)
}

func idP(name, what string) param {
	return ps(name, "LUID of the "+what).req().path()
}

func join(groups ...[]param) []param {
	var out []param
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func permissionsAddParams(idName, what string) []param {
	return []param{
		idP(idName, what),
		ps("grantee_id", "LUID of the user or group receiving the capabilities").req(),
		ps("grantee_type", "user or group").req(),
		param{name: "capabilities", kind: kCapabilities, required: true,
			desc: `capabilities to set: objects {"name":"Read","mode":"Allow"} or strings "Read:Allow"`},
	}
}

// toolTable lists the tools of Scalekit's Tableau connector that the
// emulator runs. Tools outside it answer "tool not found".
var toolTable = lazy.Value[[]toolDef]{Build: func() []toolDef {
	return []toolDef{
		{name: "tableau_auth_signout", desc: "Sign the connected account's Tableau session out. The next call signs in again.",
			method: "POST", path: "/auth/signout", special: "signout"},
		{name: "tableau_session_get", desc: "Show the current Tableau session: site (id, name, contentUrl) and signed-in user.",
			method: "GET", path: "/sessions/current"},
		{name: "tableau_site_get", desc: "Get the signed-in Tableau site: name, content URL, state, quotas.",
			method: "GET", path: "/sites/{site}", params: []param{usageP()}},
		{name: "tableau_sites_list", desc: "List the sites of the Tableau server the user can see.",
			method: "GET", path: "/sites", params: listParams("name:eq:Finance", false)},

		{name: "tableau_workbooks_list", desc: "List workbooks on the site, with filter, sort and paging.",
			method: "GET", path: "/sites/{site}/workbooks", params: listParams("name:eq:Sales", true)},
		{name: "tableau_workbook_search", desc: "Find workbooks by exact name.",
			method: "GET", path: "/sites/{site}/workbooks", params: join(
				[]param{ps("name", "workbook name to match exactly").req().q("filter").pre("name:eq:")}, pagingP())},
		{name: "tableau_workbook_get", desc: "Get one workbook with its project, owner, tags and views.",
			method: "GET", path: "/sites/{site}/workbooks/{workbook_id}", params: []param{idP("workbook_id", "workbook"), usageP()}},
		{name: "tableau_workbook_update", desc: "Change a workbook's description, tabs, project or owner.",
			method: "PUT", path: "/sites/{site}/workbooks/{workbook_id}", wrap: "workbook", params: []param{
				idP("workbook_id", "workbook"),
				ps("description", "new description").in("description"),
				ps("new_owner_id", "LUID of the new owner").in("owner.id"),
				ps("new_project_id", "LUID of the project to move the workbook to").in("project.id"),
				pb("show_tabs", "show views as tabs").in("showTabs"),
			}},
		{name: "tableau_workbook_delete", desc: "Delete a workbook. Permanent.",
			method: "DELETE", path: "/sites/{site}/workbooks/{workbook_id}", params: []param{idP("workbook_id", "workbook")}},
		// Where Tableau wants the incremental flag is not confirmed; the
		// emulator sends it as a query parameter.
		{name: "tableau_workbook_refresh", desc: "Start an extract refresh of a workbook; answers the job.",
			method: "POST", path: "/sites/{site}/workbooks/{workbook_id}/refresh", emptyBody: true, params: []param{
				idP("workbook_id", "workbook"), pb("incremental_extract", "incremental instead of full refresh").q("incremental"),
			}},
		{name: "tableau_workbook_connections_list", desc: "List a workbook's data connections.",
			method: "GET", path: "/sites/{site}/workbooks/{workbook_id}/connections", params: []param{idP("workbook_id", "workbook")}},
		{name: "tableau_workbook_permissions_list", desc: "List the explicit permissions on a workbook.",
			method: "GET", path: "/sites/{site}/workbooks/{workbook_id}/permissions", params: []param{idP("workbook_id", "workbook")}},
		{name: "tableau_workbook_permissions_add", desc: "Grant or deny capabilities on a workbook to a user or group.",
			method: "PUT", path: "/sites/{site}/workbooks/{workbook_id}/permissions", special: "permissions_add",
			params: permissionsAddParams("workbook_id", "workbook")},
		{name: "tableau_workbook_permission_delete", desc: "Remove one capability rule from a workbook.",
			method: "DELETE", path: "/sites/{site}/workbooks/{workbook_id}/permissions/{grantee_kind}/{grantee_id}/{capability_name}/{capability_mode}",
			special: "permission_delete", params: []param{
				idP("workbook_id", "workbook"),
				ps("grantee_id", "LUID of the user or group").req().path(),
				ps("grantee_type", "user or group").req(),
				ps("capability_name", "capability, e.g. Read").req().path(),
				ps("capability_mode", "Allow or Deny").req().path(),
			}},

		{name: "tableau_views_list", desc: "List views (sheets and dashboards) on the site.",
			method: "GET", path: "/sites/{site}/views", params: join(
				[]param{filterP("name:eq:Overview"), sortP(), usageP()}, pagingP())},
		{name: "tableau_list_views", desc: "List the views of one workbook.",
			method: "GET", path: "/sites/{site}/workbooks/{workbook_id}/views", params: join(
				[]param{idP("workbook_id", "workbook"), filterP("name:eq:Overview"), usageP()}, pagingP())},
		{name: "tableau_view_get", desc: "Get one view.",
			method: "GET", path: "/sites/{site}/views/{view_id}", params: []param{idP("view_id", "view"), usageP()}},
		{name: "tableau_view_image_get", desc: "Render a view as an image.",
			method: "GET", path: "/sites/{site}/views/{view_id}/image", params: []param{
				idP("view_id", "view"),
				ps("format", "PNG (default) or SVG").q("format"),
				pi("max_age", "minutes a cached rendering may be old").q("maxAge"),
				ps("resolution", "high for a high-resolution image").q("resolution"),
			}},
		{name: "tableau_view_pdf_get", desc: "Render a view as PDF.",
			method: "GET", path: "/sites/{site}/views/{view_id}/pdf", params: []param{
				idP("view_id", "view"),
				ps("type", "page size, e.g. a4 or letter").q("type"),
				ps("orientation", "portrait or landscape").q("orientation"),
				pi("max_age", "minutes a cached rendering may be old").q("maxAge"),
				pi("viz_width", "width in pixels").q("vizWidth"),
				pi("viz_height", "height in pixels").q("vizHeight"),
			}},
		{name: "tableau_view_data_get", desc: "Get the data behind a view as CSV.",
			method: "GET", path: "/sites/{site}/views/{view_id}/data", params: []param{
				idP("view_id", "view"),
				pi("max_age", "minutes cached data may be old").q("maxAge"),
			}},

		{name: "tableau_datasources_list", desc: "List published data sources on the site.",
			method: "GET", path: "/sites/{site}/datasources", params: listParams("name:eq:Superstore", true)},
		{name: "tableau_datasource_get", desc: "Get one published data source.",
			method: "GET", path: "/sites/{site}/datasources/{datasource_id}", params: []param{idP("datasource_id", "data source")}},
		{name: "tableau_datasource_update", desc: "Rename, certify, move or re-own a data source.",
			method: "PUT", path: "/sites/{site}/datasources/{datasource_id}", wrap: "datasource", params: []param{
				idP("datasource_id", "data source"),
				ps("name", "new name").in("name"),
				pb("is_certified", "mark as certified").in("isCertified"),
				ps("certification_note", "note shown with the certification").in("certificationNote"),
				ps("new_owner_id", "LUID of the new owner").in("owner.id"),
				ps("new_project_id", "LUID of the project to move to").in("project.id"),
			}},
		{name: "tableau_datasource_delete", desc: "Delete a published data source. Permanent.",
			method: "DELETE", path: "/sites/{site}/datasources/{datasource_id}", params: []param{idP("datasource_id", "data source")}},
		{name: "tableau_datasource_refresh", desc: "Start an extract refresh of a data source; answers the job.",
			method: "POST", path: "/sites/{site}/datasources/{datasource_id}/refresh", emptyBody: true, params: []param{
				idP("datasource_id", "data source"), pb("incremental_extract", "incremental instead of full refresh").q("incremental"),
			}},
		{name: "tableau_datasource_permissions_list", desc: "List the explicit permissions on a data source.",
			method: "GET", path: "/sites/{site}/datasources/{datasource_id}/permissions", params: []param{idP("datasource_id", "data source")}},
		{name: "tableau_query_view", desc: "Query a published data source through the VizQL Data Service.",
			method: "POST", path: "/api/v1/vizql-data-service/query-datasource", special: "query_view", params: []param{
				ps("datasource_luid", "LUID of the published data source").req(),
				ps("fields", `JSON array (as a string) of fields, e.g. [{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`).req(),
				ps("filters", "JSON array (as a string) of VizQL Data Service filters"),
				ps("sort", `JSON array (as a string) of {"fieldCaption","sortDirection","sortPriority"}`),
				pi("max_rows", "maximum number of rows"),
			}},

		{name: "tableau_projects_list", desc: "List projects on the site.",
			method: "GET", path: "/sites/{site}/projects", params: listParams("name:eq:Finance", true)},
		{name: "tableau_project_create", desc: "Create a project, optionally inside a parent project.",
			method: "POST", path: "/sites/{site}/projects", wrap: "project", params: []param{
				ps("name", "project name").req().in("name"),
				ps("description", "description").in("description"),
				ps("parent_project_id", "LUID of the parent project").in("parentProjectId"),
				ps("content_permissions", "ManagedByOwner, LockedToProject or LockedToProjectWithoutNested").in("contentPermissions"),
			}},
		{name: "tableau_project_update", desc: "Rename, describe, move or re-lock a project.",
			method: "PUT", path: "/sites/{site}/projects/{project_id}", wrap: "project", params: []param{
				idP("project_id", "project"),
				ps("name", "new name").in("name"),
				ps("description", "new description").in("description"),
				ps("parent_project_id", "LUID of the new parent project").in("parentProjectId"),
				ps("content_permissions", "ManagedByOwner, LockedToProject or LockedToProjectWithoutNested").in("contentPermissions"),
			}},
		{name: "tableau_project_delete", desc: "Delete a project. Permanent.",
			method: "DELETE", path: "/sites/{site}/projects/{project_id}", params: []param{idP("project_id", "project")}},
		{name: "tableau_project_permissions_list", desc: "List the explicit permissions on a project.",
			method: "GET", path: "/sites/{site}/projects/{project_id}/permissions", params: []param{idP("project_id", "project")}},
		{name: "tableau_project_permissions_add", desc: "Grant or deny capabilities on a project to a user or group.",
			method: "PUT", path: "/sites/{site}/projects/{project_id}/permissions", special: "permissions_add",
			params: permissionsAddParams("project_id", "project")},

		{name: "tableau_users_list", desc: "List users on the site.",
			method: "GET", path: "/sites/{site}/users", params: listParams("siteRole:eq:Creator", true)},
		{name: "tableau_user_get", desc: "Get one user.",
			method: "GET", path: "/sites/{site}/users/{user_id}", params: []param{idP("user_id", "user")}},
		{name: "tableau_user_add_to_site", desc: "Add a user to the site with a site role.",
			method: "POST", path: "/sites/{site}/users", wrap: "user", params: []param{
				ps("name", "user name, e.g. jane@example.com").req().in("name"),
				ps("site_role", "site role, e.g. Viewer, Explorer, Creator").req().in("siteRole"),
				ps("auth_setting", "ServerDefault, SAML or OpenID").in("authSetting"),
			}},
		{name: "tableau_user_update", desc: "Change a user's full name, email or site role.",
			method: "PUT", path: "/sites/{site}/users/{user_id}", wrap: "user", params: []param{
				idP("user_id", "user"),
				ps("full_name", "display name").in("fullName"),
				ps("email", "email address").in("email"),
				ps("site_role", "new site role").in("siteRole"),
			}},
		{name: "tableau_user_remove_from_site", desc: "Remove a user from the site.",
			method: "DELETE", path: "/sites/{site}/users/{user_id}", params: []param{idP("user_id", "user")}},

		{name: "tableau_groups_list", desc: "List groups on the site.",
			method: "GET", path: "/sites/{site}/groups", params: listParams("name:eq:Analysts", true)},
		{name: "tableau_group_create", desc: "Create a local group.",
			method: "POST", path: "/sites/{site}/groups", wrap: "group", params: []param{
				ps("name", "group name").req().in("name"),
				ps("minimum_site_role", "site role given to members").in("minimumSiteRole"),
			}},
		{name: "tableau_group_add_user", desc: "Add a site user to a group.",
			method: "POST", path: "/sites/{site}/groups/{group_id}/users", wrap: "user", params: []param{
				idP("group_id", "group"),
				ps("user_id", "LUID of the user").req().in("id"),
			}},
		{name: "tableau_group_remove_user", desc: "Remove a user from a group.",
			method: "DELETE", path: "/sites/{site}/groups/{group_id}/users/{user_id}", params: []param{
				idP("group_id", "group"), idP("user_id", "user"),
			}},

		{name: "tableau_jobs_list", desc: "List background jobs on the site.",
			method: "GET", path: "/sites/{site}/jobs", params: listParams("status:eq:InProgress", true)},
		{name: "tableau_job_get", desc: "Get one job's status and progress.",
			method: "GET", path: "/sites/{site}/jobs/{job_id}", params: []param{idP("job_id", "job")}},
		{name: "tableau_job_cancel", desc: "Cancel a queued or running job.",
			method: "PUT", path: "/sites/{site}/jobs/{job_id}", params: []param{idP("job_id", "job")}},
		{name: "tableau_extract_refresh_tasks_list", desc: "List scheduled extract refresh tasks.",
			method: "GET", path: "/sites/{site}/tasks/extractRefreshes", params: listParams("priority:gt:50", true)},
		{name: "tableau_extract_refresh_task_run", desc: "Run an extract refresh task now; answers the job.",
			method: "POST", path: "/sites/{site}/tasks/extractRefreshes/{task_id}/runNow", emptyBody: true,
			params: []param{idP("task_id", "extract refresh task")}},

		{name: "tableau_schedules_list", desc: "List server schedules (Tableau Server).",
			method: "GET", path: "/schedules", params: pagingP()},
		{name: "tableau_schedule_create", desc: "Create a server schedule (Tableau Server).",
			method: "POST", path: "/schedules", wrap: "schedule", params: []param{
				ps("name", "schedule name").req().in("name"),
				ps("frequency", "Hourly, Daily, Weekly or Monthly").req().in("frequency"),
				ps("frequency_details", `object like {"start":"07:00:00","intervals":{"interval":[{"weekDay":"Monday"}]}}`).
					typed(kObject).req().in("frequencyDetails"),
				ps("schedule_type", "Extract, Flow, Subscription or DataAcceleration").in("type"),
				pi("priority", "1 (highest) to 100").in("priority"),
				ps("execution_order", "Parallel or Serial").in("executionOrder"),
			}},
		{name: "tableau_schedule_update", desc: "Change a server schedule (Tableau Server).",
			method: "PUT", path: "/schedules/{schedule_id}", wrap: "schedule", params: []param{
				idP("schedule_id", "schedule"),
				ps("frequency", "Hourly, Daily, Weekly or Monthly").in("frequency"),
				ps("frequency_details", "frequency details object").typed(kObject).in("frequencyDetails"),
				pi("priority", "1 (highest) to 100").in("priority"),
				ps("execution_order", "Parallel or Serial").in("executionOrder"),
				ps("state", "Active or Suspended").in("state"),
			}},
		{name: "tableau_schedule_delete", desc: "Delete a server schedule (Tableau Server).",
			method: "DELETE", path: "/schedules/{schedule_id}", params: []param{idP("schedule_id", "schedule")}},
	}

}}

// toolAliases are older names the connector still answers to.
var toolAliases = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"tableau_workbook_views_list": "tableau_list_views",
	}

}}
var toolsByName = lazy.Value[map[string]*toolDef]{Build: func() map[string]*toolDef {
	table := toolTable.Get()
	m := make(map[string]*toolDef, len(table))
	for i := range table {
		m[table[i].name] = &table[i]
	}
	return m
}}

func findTool(name string) (*toolDef, bool) {
	if canon, ok := toolAliases.Get()[name]; ok {
		name = canon
	}
	t, ok := toolsByName.Get()[name]
	return t, ok
}

// ToolNames lists the tools the emulator runs, sorted.
func ToolNames() []string {
	out := make([]string, 0, len(toolTable.Get()))
	for _, t := range toolTable.Get() {
		out = append(out, t.name)
	}
	sort.Strings(out)
	return out
}

// inputSchema is a small JSON schema of a tool's parameters.
func (t *toolDef) inputSchema() map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, p := range t.params {
		var s map[string]any
		switch p.kind {
		case kString:
			s = map[string]any{"type": "string"}
		case kInt:
			s = map[string]any{"type": "integer"}
		case kBool:
			s = map[string]any{"type": "boolean"}
		case kObject:
			s = map[string]any{"type": "object"}
		case kCapabilities:
			s = map[string]any{"type": "array", "items": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"name": map[string]any{"type": "string"},
					"mode": map[string]any{"type": "string", "enum": []string{"Allow", "Deny"}},
				},
			}}
		}
		s["description"] = strings.TrimSpace(p.desc)
		props[p.name] = s
		if p.required {
			required = append(required, p.name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}
