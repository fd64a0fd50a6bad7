package server

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// The surfaces beyond tool calls and export templates take the same path
// (prompts.go and completions.go route prompts and completions).

// staticResource guards a fixed resource (a guide) that goes with tool:
// offered and readable only with it, counted, limited and logged.
func (d *dispatcher) staticResource(tool, name string, read mcpserver.ResourceHandlerFunc) mcpserver.ResourceHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) (out []mcp.ResourceContents, err error) {
		d.observe(ctx, SurfaceResource, tool, name, func(ctx context.Context) string {
			release, r := d.admit(ctx, tool)
			if r != nil {
				r.record(ctx)
				err = r
				return OutcomeRefused
			}
			defer release()
			out, err = read(ctx, req)
			if err != nil {
				return OutcomeError
			}
			return OutcomeOK
		})
		return out, err
	}
}
