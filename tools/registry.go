package tools

import (
	"fmt"
	"sort"
	"strings"
)

// All returns every tool the server offers, in a stable order.
func All() []Tool {
	var all []Tool
	for _, group := range [][]Tool{
		siteTools, workbookTools, viewTools, datasourceTools, permissionTools,
		projectTools, userTools, groupTools, jobTools, scheduleTools, queryTools, exportTools, searchTools,
		customViewTools, flowTools, pulseTools, publishTools,
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
	var names []string
	for _, t := range All() {
		names = append(names, t.Name)
	}
	hint := ""
	if s := suggest(name, names); len(s) > 0 {
		hint = " did you mean " + strings.Join(s, " or ") + "?"
	}
	return Tool{}, fmt.Errorf("no tool named %q;%s run `tableau-mcp tools` to list them", name, hint)
}
