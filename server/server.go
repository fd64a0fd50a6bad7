// Package server assembles the MCP server: it registers the tools on mcp-go,
// and serves them over stdio, streamable HTTP or SSE.
package server

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// Name is the server name announced to clients.
const Name = "tableau-mcp"

// Options configure the MCP server.
type Options struct {
	Version string
	Backend backend.Backend
	Logger  *zap.Logger
	// Tools to register; nil means all. Choose them with tools.Select.
	Tools []tools.Tool
	// MetadataTTL is how long data source metadata is kept for the checks
	// of tableau_query_view: 0 means tools.DefaultMetadataTTL, a negative
	// value keeps nothing.
	MetadataTTL time.Duration
	// SkipQueryCheck sends queries without checking them against the data
	// source's fields.
	SkipQueryCheck bool
	// Exports bounds the export tools and resources and names the
	// directory downloads are written to.
	Exports tools.ExportOptions

	// AllowDestructive lets destructive tools run for clients that cannot
	// ask the user to confirm (no MCP elicitation). Clients that can are
	// always asked.
	AllowDestructive bool
	// Scope bounds the content tools may touch; the zero Scope bounds nothing.
	Scope Scope
	// Limits bound each identity's concurrent calls and calls per minute.
	Limits Limits
	// Metrics, when set, count and time every call. Wrap the backend with
	// Metrics.Instrument to count upstream answers too.
	Metrics *Metrics
}

// New builds the MCP server with its tools and the export resource
// templates (tableau://views/{view_id}/image and the rest), whose reads run
// the export tools' code. It makes no network call.
func New(opts Options) (*mcpserver.MCPServer, error) {
	if opts.Backend == nil {
		return nil, fmt.Errorf("no backend configured")
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	list := opts.Tools
	if list == nil {
		list = tools.All()
	}
	s := mcpserver.NewMCPServer(Name, opts.Version,
		mcpserver.WithToolCapabilities(false),
		mcpserver.WithResourceCapabilities(false, false),
		mcpserver.WithRecovery(),
		mcpserver.WithInstructions(instructions(opts.Backend.Name())),
	)
	ttl := opts.MetadataTTL
	if ttl == 0 {
		ttl = tools.DefaultMetadataTTL
	}
	env := &tools.Env{Backend: opts.Backend, Log: log, Metadata: tools.NewMetadataCache(ttl), SkipQueryCheck: opts.SkipQueryCheck, Exports: opts.Exports.WithDefaults()}
	var scope *scoper
	if opts.Scope.Active() {
		scope = newScoper(opts.Scope, opts.Backend)
	}
	limits, confirm := newLimiter(opts.Limits), newConfirmer(opts.AllowDestructive)
	served := make([]mcpserver.ServerTool, 0, len(list))
	for _, t := range list {
		def, err := t.MCP()
		if err != nil {
			return nil, err
		}
		// Outermost first: observe every call, then limits, scope, and the
		// confirmation of destructive tools right before the tool runs.
		h := confirm.wrap(t, handler(t, env))
		if scope != nil {
			h = scope.wrap(t, h)
		}
		h = observe(t, log, opts.Metrics, limits.wrap(h))
		served = append(served, mcpserver.ServerTool{Tool: def, Handler: h})
	}
	s.AddTools(served...)
	for _, r := range tools.Resources() {
		s.AddResourceTemplate(r.Template, resourceHandler(r, env))
	}
	return s, nil
}

func resourceHandler(r tools.Resource, env *tools.Env) mcpserver.ResourceTemplateHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return r.Read(ctx, env, req.Params.URI)
	}
}

func handler(t tools.Tool, env *tools.Env) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return t.Handle(ctx, env, req.Params.Arguments)
	}
}

func instructions(backendName string) string {
	s := "Tools for a Tableau Cloud or Tableau Server site. Discover before acting: list or search workbooks, views, data sources, projects, users and groups to get their IDs (LUIDs), and never guess an ID. List tools page with page_number/page_size and filter with field:operator:value. Tools marked destructive delete content permanently. To answer a question about data, find the data source with tableau_datasources_list, read its fields with tableau_datasource_metadata_get, then query it with tableau_query_view using the exact field captions."
	if backendName == "demo" {
		s += " This server is connected to a DEMO site with generated sample data, not to a real Tableau account; say so when you report results."
	}
	return s
}
