package tools

import (
	"fmt"
	"strings"
)

// Markdown renders the tool reference for the README: one row per tool with
// its kind, toolset and parameters (required ones starred).
func Markdown() string {
	var b strings.Builder
	b.WriteString("| tool | kind | toolset | parameters | what it does |\n| --- | --- | --- | --- | --- |\n")
	kinds := map[Kind]string{Read: "read", Write: "write", Destructive: "destructive"}
	for _, t := range All() {
		t = t.full()
		var ps []string
		for _, f := range fieldsOf(t.args) {
			p := "`" + f.name + "`"
			if f.required {
				p += "*"
			}
			ps = append(ps, p)
		}
		params := strings.Join(ps, ", ")
		if params == "" {
			params = "—"
		}
		desc, _, _ := strings.Cut(t.Description, ". ")
		desc = strings.TrimSuffix(desc, ".") + "."
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", t.Name, kinds[t.Kind], t.Toolset, params, strings.ReplaceAll(desc, "|", "\\|"))
	}
	return b.String()
}
