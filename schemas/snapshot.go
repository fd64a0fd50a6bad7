// Package schemas holds the JSON Schema of each tool's input, as MCP clients
// see it. The schemas are generated from the tools' typed argument structs
// by the snapshot test of this package (see generate_test.go), reviewed as
// the files under toolsnaps/, and compacted into inputs_gen.go, which is all
// the server reads: a new process neither reflects over the argument types
// nor parses a file, and the generator is not part of the binary.
// `UPDATE_TOOLSNAPS=true go test ./schemas/` rewrites both after an intended
// change; the test fails whenever they differ from what the structs
// generate.
package schemas

import "encoding/json"

// Snapshot returns the input schema recorded for a tool, compacted.
func Snapshot(tool string) (json.RawMessage, bool) {
	s, ok := inputSchemas[tool]
	if !ok {
		return nil, false
	}
	return json.RawMessage(s), true
}
