package tools

import (
	"fmt"
	"sort"
)

// All returns every tool the server offers, in a stable order.
func All() []Tool {
	var all []Tool
	for _, group := range [][]Tool{
		siteTools, workbookTools, viewTools, datasourceTools, permissionTools,
		projectTools, userTools, groupTools, jobTools, scheduleTools, queryTools, exportTools,
	} {
		all = append(all, group...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// ByName finds a tool.
func ByName(name string) (Tool, error) {
	for _, t := range All() {
		if t.Name == name {
			return t, nil
		}
	}
	return Tool{}, fmt.Errorf("no tool named %q; run `tableau-mcp tools` to list them", name)
}
