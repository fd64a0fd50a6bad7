package schemas_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// TestToolSnapshots keeps a snapshot of every tool's full definition (name,
// description, input schema, annotations) under toolsnaps/, so that any change
// to what a model sees shows up in review. Run with UPDATE_TOOLSNAPS=true to
// rewrite the snapshots after an intended change.
func TestToolSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") == "true"
	want := map[string]bool{}
	for _, tool := range tools.All() {
		def, err := tool.Generated()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, raw, "", "  "); err != nil {
			t.Fatal(err)
		}
		buf.WriteByte('\n')
		path := filepath.Join("toolsnaps", tool.Name+".snap")
		want[filepath.Base(path)] = true
		if update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s has no snapshot; run UPDATE_TOOLSNAPS=true go test ./schemas/ and review the new file", tool.Name)
			continue
		}
		if !bytes.Equal(old, buf.Bytes()) {
			t.Errorf("%s changed; if intended, run UPDATE_TOOLSNAPS=true go test ./schemas/ and review the diff.\nnow:\n%s", tool.Name, buf.String())
		}
	}
	entries, _ := os.ReadDir("toolsnaps")
	for _, e := range entries {
		if !want[e.Name()] && strings.HasSuffix(e.Name(), ".snap") {
			if update {
				os.Remove(filepath.Join("toolsnaps", e.Name()))
			} else {
				t.Errorf("snapshot %s belongs to no tool; run UPDATE_TOOLSNAPS=true go test ./schemas/", e.Name())
			}
		}
	}
}

// TestServedSchemasAreTheGeneratedOnes: what clients are served (read from
// the snapshots) is byte for byte what the argument structs generate.
func TestServedSchemasAreTheGeneratedOnes(t *testing.T) {
	for _, tool := range tools.All() {
		served, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		gen, err := tool.Generated()
		if err != nil {
			t.Fatal(err)
		}
		if string(served.RawInputSchema) != string(gen.RawInputSchema) {
			t.Errorf("%s: served schema differs from the generated one; run UPDATE_TOOLSNAPS=true go test ./schemas/\nserved:    %s\ngenerated: %s", tool.Name, served.RawInputSchema, gen.RawInputSchema)
		}
	}
}
