package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
)

// The snapshots under toolsnaps/ hold every tool's definition as generated
// from its argument struct; TestToolSnapshots fails whenever one differs from
// what For generates now. The server reads the input schemas from them at
// start-up instead of reflecting over 41 argument types in every new process.
//
//go:embed toolsnaps/*.snap
var snaps embed.FS

// Snapshot returns the input schema recorded for a tool, compacted.
func Snapshot(tool string) (json.RawMessage, bool) {
	b, err := snaps.ReadFile("toolsnaps/" + tool + ".snap")
	if err != nil {
		return nil, false
	}
	var def struct {
		InputSchema json.RawMessage `json:"inputSchema"`
	}
	if json.Unmarshal(b, &def) != nil || len(def.InputSchema) == 0 {
		return nil, false
	}
	var out bytes.Buffer
	if json.Compact(&out, def.InputSchema) != nil {
		return nil, false
	}
	return out.Bytes(), true
}
