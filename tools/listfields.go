package tools

import (
	"sort"
	"strings"
)

// The fields each collection can be filtered and sorted on, as Tableau's
// REST reference (Filtering and Sorting) lists them, so that a bad filter
// can be answered with the names that work.
type collectionFields struct {
	filter, sort []string
}

var listFields = map[string]collectionFields{
	"workbooks": {
		filter: strings.Fields("name contentUrl createdAt updatedAt tags ownerName ownerEmail ownerDomain projectName hasExtracts hasAlerts displayTabs sheetCount size favoritesTotal subscriptionsTotal"),
		sort:   strings.Fields("name contentUrl createdAt updatedAt ownerName ownerEmail ownerDomain projectName hasExtracts sheetCount size favoritesTotal subscriptionsTotal"),
	},
	"views": {
		filter: strings.Fields("name viewUrlName createdAt updatedAt tags ownerName ownerEmail ownerDomain projectName workbookName workbookDescription sheetType sheetNumber hitsTotal favoritesTotal title caption contentUrl"),
		sort:   strings.Fields("name viewUrlName createdAt updatedAt ownerName ownerEmail ownerDomain projectName workbookName sheetType sheetNumber hitsTotal favoritesTotal title caption"),
	},
	"datasources": {
		filter: strings.Fields("name contentUrl createdAt updatedAt tags type ownerName ownerEmail ownerDomain projectName isCertified hasExtracts isConnectable isPublished description databaseName serverName size favoritesTotal"),
		sort:   strings.Fields("name contentUrl createdAt updatedAt type ownerName ownerEmail ownerDomain projectName isCertified hasExtracts size favoritesTotal"),
	},
	"projects": {
		filter: strings.Fields("name createdAt updatedAt ownerName ownerEmail ownerDomain parentProjectId topLevelProject"),
		sort:   strings.Fields("name createdAt updatedAt ownerName ownerEmail ownerDomain parentProjectId topLevelProject"),
	},
	"users": {
		filter: strings.Fields("name friendlyName siteRole lastLogin domainName isLocal luid"),
		sort:   strings.Fields("name friendlyName siteRole lastLogin domainName"),
	},
	"groups": {
		filter: strings.Fields("name minimumSiteRole userCount domainName domainNickname isLocal luid"),
		sort:   strings.Fields("name minimumSiteRole userCount domainName domainNickname isLocal"),
	},
	"jobs": {
		filter: strings.Fields("status jobType createdAt startedAt completedAt priority progress title subtitle notes args"),
		sort:   strings.Fields("createdAt startedAt completedAt priority progress status jobType title subtitle"),
	},
	"flows": {
		filter: strings.Fields("name projectName projectId ownerName createdAt updatedAt"),
		sort:   strings.Fields("name projectName ownerName createdAt updatedAt"),
	},
	"sites": {
		filter: strings.Fields("name contentUrl"),
		sort:   strings.Fields("name contentUrl"),
	},
}

// listFieldTools maps each list tool to its collection.
func listFieldTools() map[string]string {
	return map[string]string{
		"tableau_workbooks_list":   "workbooks",
		"tableau_views_list":       "views",
		"tableau_datasources_list": "datasources",
		"tableau_projects_list":    "projects",
		"tableau_users_list":       "users",
		"tableau_group_users_list": "users",
		"tableau_groups_list":      "groups",
		"tableau_jobs_list":        "jobs",
		"tableau_sites_list":       "sites",
		"tableau_flows_list":       "flows",
	}
}

// operatorHelp explains the filter operators.
const operatorHelp = "eq (equals), cieq (equals, ignoring case), has (contains the text: a substring match, e.g. name:has:Sales), " +
	"in (one of a list: tags:in:[finance,ops]), gt gte lt lte (after or before, for times and numbers: updatedAt:gt:2025-01-01T00:00:00Z)."

// filterHelp is what a bad filter or sort on tool's collection is answered
// with: the fields that work, and the operators.
func filterHelp(tool string) string {
	col, ok := listFieldTools()[tool]
	if !ok {
		return "Filters are field:operator:value; operators: " + operatorHelp
	}
	lf := listFields[col]
	return "Fields to filter " + col + " on: " + strings.Join(sorted(lf.filter), ", ") +
		". Fields to sort on: " + strings.Join(sorted(lf.sort), ", ") +
		". Operators: " + operatorHelp + " Join terms with commas, no spaces."
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// siteRoles are Tableau's site roles.
var siteRoles = strings.Fields("Creator Explorer ExplorerCanPublish Guest ServerAdministrator SiteAdministratorCreator SiteAdministratorExplorer SupportUser Unlicensed Viewer")
