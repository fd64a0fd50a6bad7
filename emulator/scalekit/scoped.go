package scalekitemu

import (
	"net/http"
)

type toolDefinition struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	InputSchema map[string]any `json:"input_schema"`
}

type scopedTool struct {
	Tool struct {
		Provider       string         `json:"provider"`
		ConnectionName string         `json:"connection_name"`
		Definition     toolDefinition `json:"definition"`
	} `json:"tool"`
}

// handleScopedTools lists the tools an identifier can call: the Tableau
// tools once for each of its connections (optionally only those named in
// filter.connection_names).
func (e *Emulator) handleScopedTools(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	identifier := q.Get("identifier")
	if identifier == "" {
		writeError(w, invalidArg("identifier is required"))
		return
	}
	wanted := map[string]bool{}
	for _, n := range q["filter.connection_names"] {
		wanted[n] = true
	}
	var connectors []string
	e.mu.Lock()
	for _, acc := range e.accounts {
		if acc.a.Identifier == identifier && (len(wanted) == 0 || wanted[acc.a.Connector]) {
			connectors = append(connectors, acc.a.Connector)
		}
	}
	e.mu.Unlock()
	tools := []scopedTool{}
	for _, c := range connectors {
		table := toolTable.Get()
		for i := range table {
			t := &table[i]
			var st scopedTool
			st.Tool.Provider = "TABLEAU"
			st.Tool.ConnectionName = c
			st.Tool.Definition = toolDefinition{Name: t.name, Description: t.desc, InputSchema: t.inputSchema()}
			tools = append(tools, st)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tools": tools, "next_page_token": ""})
}
