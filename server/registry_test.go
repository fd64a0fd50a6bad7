package server_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// TestToolDefinitionsPassMCPChecks: tools/list serves every selected tool's
// whole definition, fitted to the selection (its input schema, not the
// bare object mcp-go's registry holds), and each definition passes the
// x-mcp-header check mcp-go runs when a tool is registered.
func TestToolDefinitionsPassMCPChecks(t *testing.T) {
	pulse, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"pulse"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]tools.Tool{tools.All(), pulse} {
		s, err := server.New(server.Options{Backend: newSpy(t), Tools: list})
		if err != nil {
			t.Fatal(err)
		}
		msg := s.HandleMessage(t.Context(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		raw, err := json.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Result struct {
				Tools []struct {
					Name        string          `json:"name"`
					Description string          `json:"description"`
					InputSchema json.RawMessage `json:"inputSchema"`
				} `json:"tools"`
			} `json:"result"`
		}
		if err := json.Unmarshal(raw, &answer); err != nil {
			t.Fatal(err)
		}
		if len(answer.Result.Tools) != len(list) {
			t.Fatalf("%d tools listed, %d selected: %.300s", len(answer.Result.Tools), len(list), raw)
		}
		names := tools.ServedSet(list)
		for i, got := range answer.Result.Tools {
			tl, err := tools.ByName(got.Name)
			if err != nil {
				t.Fatal(err)
			}
			def, err := tl.MCPFor(names)
			if err != nil {
				t.Fatal(err)
			}
			if err := mcp.ValidateParamHeaderAnnotations(&def); err != nil {
				t.Errorf("%s: %v", tl.Name, err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, def.RawInputSchema); err != nil {
				t.Fatal(err)
			}
			if string(got.InputSchema) != want.String() || got.Description != def.Description {
				t.Errorf("tools/list item %d (%s) is not the tool's definition:\nschema %s\nwant   %s", i, got.Name, got.InputSchema, want.String())
			}
		}
	}
}
