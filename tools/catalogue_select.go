package tools

import (
	"fmt"
	"sort"
	"strings"
)

// Toolsets are the domains tools are grouped by, in the order they are
// documented. "query" and "exports" hold the data query and export tools.
var Toolsets = []string{
	"site", "workbooks", "views", "datasources", "query", "exports", "projects",
	"users", "groups", "permissions", "jobs", "schedules",
	"customviews", "flows", "pulse", "publish",
}

// BeyondToolsets hold what goes past the REST catalogue the project began
// with (custom views, ...). They are opt-in over HTTP like the
// administration toolsets, and carry their own context budget.
var BeyondToolsets = []string{"customviews", "flows", "pulse", "publish"}

// DefaultToolsets serve content discovery, querying and exports. The
// administration toolsets (users, groups, permissions, jobs, schedules) are
// opt-in so that a model's context is not spent on tools it rarely needs.
var DefaultToolsets = []string{"site", "workbooks", "views", "datasources", "query", "exports", "projects"}

// Selection chooses which tools a server registers.
type Selection struct {
	// Toolsets to serve; empty means DefaultToolsets, "all" means every one.
	Toolsets []string
	// Include adds tools by name, whatever their toolset.
	Include []string
	// Exclude removes tools by name (it wins over Include).
	Exclude []string
	// ReadOnly drops every write and destructive tool.
	ReadOnly bool
}

// Select applies sel to all (normally All()) and returns the tools to
// register, in all's order. Unknown toolset or tool names are an error that
// lists the valid ones, and so is naming a write tool in Include under
// ReadOnly: a setting that cannot take effect is refused, not ignored.
func Select(all []Tool, sel Selection) ([]Tool, error) {
	byName := func(name string) (Tool, bool) {
		for _, t := range all {
			if t.Name == name {
				return t, true
			}
		}
		return Tool{}, false
	}
	known := map[string]bool{}
	for _, s := range Toolsets {
		known[s] = true
	}
	sets := map[string]bool{}
	names := clean(sel.Toolsets)
	if len(names) == 0 {
		names = DefaultToolsets
	}
	for _, s := range names {
		s = strings.ToLower(s)
		switch {
		case s == "all":
			for k := range known {
				sets[k] = true
			}
		case known[s]:
			sets[s] = true
		default:
			return nil, fmt.Errorf("unknown toolset %q; toolsets are: all, %s", s, strings.Join(Toolsets, ", "))
		}
	}
	include := map[string]bool{}
	for _, n := range clean(sel.Include) {
		t, ok := byName(n)
		if !ok {
			return nil, unknownTool(n, all)
		}
		if sel.ReadOnly && t.Kind != Read {
			return nil, fmt.Errorf("%s changes Tableau content and the server is read-only; drop it from the tools to include or turn read-only off", n)
		}
		include[n] = true
	}
	exclude := map[string]bool{}
	for _, n := range clean(sel.Exclude) {
		if _, ok := byName(n); !ok {
			return nil, unknownTool(n, all)
		}
		exclude[n] = true
	}
	out := make([]Tool, 0, len(all))
	for _, t := range all {
		if exclude[t.Name] || (sel.ReadOnly && t.Kind != Read) {
			continue
		}
		if sets[t.Toolset] || include[t.Name] {
			out = append(out, t)
		}
	}
	return out, nil
}

func unknownTool(name string, all []Tool) error {
	names := make([]string, 0, len(all))
	for _, t := range all {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	if near := Closest(name, names); near != "" {
		return fmt.Errorf("unknown tool %q; did you mean %s? Tools are: %s", name, near, strings.Join(names, ", "))
	}
	return fmt.Errorf("unknown tool %q; tools are: %s", name, strings.Join(names, ", "))
}

// clean trims names and drops empty ones (as from "a, b,").
func clean(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Closest returns the name in names nearest to name: one that contains it
// or is contained in it, else the one fewest edits away when that is under
// half its length; "" when none is near.
func Closest(name string, names []string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return ""
	}
	best, bestD := "", -1
	for _, c := range names {
		d := levenshtein(n, c)
		if strings.Contains(c, strings.TrimPrefix(n, "tableau_")) {
			d = d / 2
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD*2 < len(best) {
		return best
	}
	return ""
}
