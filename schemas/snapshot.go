package schemas

import "encoding/json"

// The snapshots under toolsnaps/ hold every tool's definition as generated
// from its argument struct, for review; TestToolSnapshots fails whenever one
// differs from what For generates now. The server serves the input schemas
// recorded there, compacted into inputs_gen.go by the same test, so that a
// new process neither reflects over the argument types nor parses a file.

// Snapshot returns the input schema recorded for a tool, compacted.
func Snapshot(tool string) (json.RawMessage, bool) {
	s, ok := inputSchemas[tool]
	if !ok {
		return nil, false
	}
	return json.RawMessage(s), true
}
