package server_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// granted lists a grantee's capabilities as "Name:Mode" joined by commas,
// read from Tableau's permissions answer.
func granted(perms map[string]any, granteeID string) string {
	var out []string
	p, _ := perms["permissions"].(map[string]any)
	gcs, _ := p["granteeCapabilities"].([]any)
	for _, gc := range gcs {
		m, _ := gc.(map[string]any)
		id := ""
		for _, k := range []string{"user", "group"} {
			if g, ok := m[k].(map[string]any); ok {
				id, _ = g["id"].(string)
			}
		}
		if id != granteeID {
			continue
		}
		caps, _ := m["capabilities"].(map[string]any)
		list, _ := caps["capability"].([]any)
		for _, c := range list {
			cm, _ := c.(map[string]any)
			out = append(out, fmt.Sprint(cm["name"], ":", cm["mode"]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
