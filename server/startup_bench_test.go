package server_test

import (
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// BenchmarkStartup measures what a process does before it can answer
// initialize: the demo backend (emulated site) and the server with every
// tool's schema.
func BenchmarkStartup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		be, _, err := demo.New(nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := server.New(server.Options{Version: "bench", Backend: be}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToolCall measures one tool call end to end through an in-process
// MCP client, the demo backend and the emulator.
func BenchmarkToolCall(b *testing.B) {
	be, _, _ := demo.New(nil)
	s, _ := server.New(server.Options{Version: "bench", Backend: be})
	c, _ := client.NewInProcessClient(s)
	ctx := b.Context()
	c.Start(ctx)
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	c.Initialize(ctx, init)
	req := mcp.CallToolRequest{}
	req.Params.Name = "tableau_workbooks_list"
	req.Params.Arguments = map[string]any{"page_size": 10}
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPToolCallParallel measures tool calls over streamable HTTP
// with bearer authentication, several clients at once, against the demo site.
func BenchmarkHTTPToolCallParallel(b *testing.B) {
	be, _, _ := demo.New(nil)
	s := serve(b, server.Options{Backend: be}, server.HTTPOptions{Transport: "http", Auth: tokenAuth(b)})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sess, err := s.connect(b, "http", bearer(aliceToken))
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			res := sess.Call("tableau_workbooks_list", map[string]any{"page_size": 10})
			if res.IsError {
				b.Error(Text(res))
				return
			}
		}
	})
}
