package tableau

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"sort"
)

// JWT access scopes (Tableau connected apps, "scp"): what a session signed
// in with a connected-app JWT may call. Each REST method's reference page
// names its scope; GETs of content share tableau:content:read, downloads and
// the VizQL Data Service have their own, admin reads and every write name
// their resource and action (tableau:<resource>:<action>).
const (
	scopeContentRead   = "tableau:content:read"
	scopeViewsDownload = "tableau:views:download"
	scopeVDSRead       = "tableau:viz_data_service:read"
)

// toolScopes is the scope set each tool's REST calls need. Every tool in the
// catalogue has an entry (checked by a test); a connected-app session carries
// the union for the tools served, nothing wider.
var toolScopes = lazy.Value[map[string][]string]{Build: func() map[string][]string {
	return map[string][]string{
		"tableau_auth_signout": {scopeContentRead},
		"tableau_session_get":  {scopeContentRead},
		"tableau_site_get":     {scopeContentRead},
		"tableau_sites_list":   {scopeContentRead},

		"tableau_workbooks_list":            {scopeContentRead},
		"tableau_content_search":            {scopeContentRead},
		"tableau_workbook_search":           {scopeContentRead},
		"tableau_workbook_get":              {scopeContentRead},
		"tableau_workbook_connections_list": {scopeContentRead},
		"tableau_workbook_update":           {"tableau:workbooks:update"},
		"tableau_workbook_delete":           {"tableau:workbooks:delete"},
		"tableau_workbook_refresh":          {"tableau:workbooks:update"},
		"tableau_workbook_download":         {"tableau:workbooks:download"},

		"tableau_views_list":        {scopeContentRead},
		"tableau_list_views":        {scopeContentRead},
		"tableau_view_get":          {scopeContentRead},
		"tableau_view_image_get":    {scopeViewsDownload},
		"tableau_view_pdf_get":      {scopeViewsDownload},
		"tableau_view_data_get":     {scopeViewsDownload},
		"tableau_view_crosstab_get": {scopeViewsDownload},

		"tableau_datasources_list":        {scopeContentRead},
		"tableau_datasource_get":          {scopeContentRead},
		"tableau_datasource_update":       {"tableau:datasources:update"},
		"tableau_datasource_delete":       {"tableau:datasources:delete"},
		"tableau_datasource_refresh":      {"tableau:datasources:update"},
		"tableau_datasource_download":     {"tableau:datasources:download"},
		"tableau_datasource_metadata_get": {scopeVDSRead, scopeContentRead},
		"tableau_query_view":              {scopeVDSRead, scopeContentRead},

		"tableau_projects_list":  {scopeContentRead},
		"tableau_project_create": {"tableau:projects:create"},
		"tableau_project_update": {"tableau:projects:update"},
		"tableau_project_delete": {"tableau:projects:delete"},

		"tableau_workbook_permissions_list":   {"tableau:permissions:read"},
		"tableau_datasource_permissions_list": {"tableau:permissions:read"},
		"tableau_project_permissions_list":    {"tableau:permissions:read"},
		"tableau_workbook_permissions_add":    {"tableau:permissions:update"},
		"tableau_project_permissions_add":     {"tableau:permissions:update"},
		"tableau_workbook_permission_delete":  {"tableau:permissions:delete"},

		"tableau_users_list":            {"tableau:users:read"},
		"tableau_user_get":              {"tableau:users:read"},
		"tableau_user_add_to_site":      {"tableau:users:create"},
		"tableau_user_update":           {"tableau:users:update"},
		"tableau_user_remove_from_site": {"tableau:users:delete"},

		"tableau_groups_list":       {"tableau:groups:read"},
		"tableau_group_users_list":  {"tableau:groups:read"},
		"tableau_group_create":      {"tableau:groups:create"},
		"tableau_group_add_user":    {"tableau:groups:update"},
		"tableau_group_remove_user": {"tableau:groups:update"},

		"tableau_jobs_list":                  {"tableau:jobs:read"},
		"tableau_job_get":                    {"tableau:jobs:read"},
		"tableau_job_cancel":                 {"tableau:jobs:update"},
		"tableau_extract_refresh_tasks_list": {"tableau:tasks:read"},
		"tableau_extract_refresh_task_run":   {"tableau:tasks:run"},

		"tableau_custom_views_list":     {scopeContentRead},
		"tableau_custom_view_get":       {scopeContentRead},
		"tableau_custom_view_image_get": {"tableau:views:download"},
		"tableau_custom_view_data_get":  {"tableau:views:download"},

		"tableau_flows_list":      {"tableau:flows:read"},
		"tableau_flow_get":        {"tableau:flows:read"},
		"tableau_flow_runs_list":  {"tableau:flow_runs:read"},
		"tableau_flow_run":        {"tableau:flows:run"},
		"tableau_flow_tasks_list": {"tableau:flow_tasks:read"},

		"tableau_workbook_publish":   {"tableau:workbooks:create", "tableau:file_uploads:create"},
		"tableau_datasource_publish": {"tableau:datasources:create", "tableau:file_uploads:create"},

		"tableau_pulse_definitions_list":   {"tableau:insight_definitions_metrics:read"},
		"tableau_pulse_metrics_list":       {"tableau:insight_definitions_metrics:read", "tableau:insight_metrics:read"},
		"tableau_pulse_subscriptions_list": {"tableau:metric_subscriptions:read"},
		"tableau_pulse_insights_get":       {"tableau:insight_definitions_metrics:read", "tableau:insight_metrics:read", "tableau:insights:read"},

		"tableau_schedules_list":  {"tableau:schedules:read"},
		"tableau_schedule_create": {"tableau:schedules:create"},
		"tableau_schedule_update": {"tableau:schedules:update"},
		"tableau_schedule_delete": {"tableau:schedules:delete"},
	}

}}

// ToolScopes returns the JWT scopes the named tools need together, sorted.
// An unknown tool is an error: its calls would be refused by Tableau.
func ToolScopes(tools []string) ([]string, error) {
	set := map[string]bool{}
	for _, t := range tools {
		s, ok := toolScopes.Get()[t]
		if !ok {
			return nil, fmt.Errorf("no connected-app scopes are known for the tool %s", t)
		}
		for _, x := range s {
			set[x] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{scopeContentRead}
	}
	return out, nil
}
