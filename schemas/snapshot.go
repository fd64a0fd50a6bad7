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

import (
	"encoding/json"
	"slices"
	"strings"
)

// inputSchema is one tool's recorded input schema. The table is a sorted
// slice of byte slices, not a map of strings, so that the linker lays it
// out whole: no init code builds it and no schema is copied when served.
type inputSchema struct {
	tool   string
	schema []byte
}

// Snapshot returns the input schema recorded for a tool, compacted. The
// bytes are shared: callers must not change them.
func Snapshot(tool string) (json.RawMessage, bool) {
	i, ok := slices.BinarySearchFunc(inputSchemas, tool, func(e inputSchema, t string) int { return strings.Compare(e.tool, t) })
	if !ok {
		return nil, false
	}
	return json.RawMessage(inputSchemas[i].schema), true
}
