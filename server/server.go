// Package server assembles the MCP server: it registers the tools on mcp-go,
// and serves them over stdio, streamable HTTP or SSE.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
	// The server keeps the slice: it must not change afterwards.
	Tools []tools.Tool
	// MetadataTTL is how long data source metadata is kept for the checks
	// of tableau_query_view: 0 means tools.DefaultMetadataTTL, a negative
	// value keeps nothing.
	MetadataTTL time.Duration
	// SkipQueryCheck sends queries without checking them against the data
	// source's fields.
	SkipQueryCheck bool
	// Results is tools.ResultsCompact (also when empty) or
	// tools.ResultsTableau (Tableau's JSON unchanged).
	Results string
	// Exports bounds the export tools and resources and names the
	// directory downloads are written to.
	Exports tools.ExportOptions

	// SessionSecret signs confirmation states (and, in HTTPOptions, session
	// IDs) so that every replica sharing it can check them; empty: a random
	// secret, valid in this process only.
	SessionSecret []byte

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
// the export tools' code. Every tool call and resource read takes the one
// guarded path of dispatch.go. It makes no network call.
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
	ttl := opts.MetadataTTL
	if ttl == 0 {
		ttl = tools.DefaultMetadataTTL
	}
	env := &tools.Env{Backend: opts.Backend, Log: log, Metadata: tools.NewMetadataCache(ttl), SkipQueryCheck: opts.SkipQueryCheck, Exports: opts.Exports.WithDefaults(), Results: opts.Results}
	d := &dispatcher{
		log: log, metrics: opts.Metrics, env: env, served: make(map[string]*tools.Tool, len(list)),
		limits: newLimiter(opts.Limits), confirm: newConfirmer(opts.AllowDestructive),
		completions: newCompleter(),
	}
	d.confirm.sign = newSigner(opts.SessionSecret)
	d.confirm.label = func(ctx context.Context, t tools.Tool, args any) string { return tools.Label(ctx, env, t.Name, args) }
	if opts.Scope.Active() {
		d.scope = newScoper(opts.Scope, env)
	}
	for i := range list {
		d.served[list[i].Name] = &list[i]
	}
	// Resource templates are offered only for the export tools served.
	var templates []tools.Resource
	templateTools := map[string]string{}
	for _, r := range tools.Resources() {
		if _, ok := d.served[r.Tool]; ok {
			templates = append(templates, r)
			templateTools[r.Template.Name] = r.Tool
		}
	}
	names := tools.ServedSet(list)
	byURI := map[string]tools.Resource{}
	for _, r := range templates {
		byURI[r.Template.URITemplate.Raw()] = r
	}
	rc := &resourceCompleter{d: d, templates: byURI}
	pc := &promptCompleter{d: d}
	// Each tool enters mcp-go's registry with a bare object as input
	// schema (see registered); its own schema is kept here, for tools/list.
	inputs := make(map[string]json.RawMessage, len(list))
	hooks := &mcpserver.Hooks{}
	hooks.AddAfterListResourceTemplates(d.resourceTemplates(templateTools))
	// The tools mcp-go lists (through the filter below) are written by the
	// transport, straight into the answer (toolslist.go).
	hooks.AddAfterListTools(holdToolsList)
	hooks.AddOnRequestInitialization(unknownTool(names))
	s := mcpserver.NewMCPServer(Name, opts.Version,
		mcpserver.WithToolCapabilities(false),
		mcpserver.WithResourceCapabilities(false, false),
		mcpserver.WithLogging(),
		mcpserver.WithPromptCapabilities(false),
		mcpserver.WithCompletions(),
		mcpserver.WithResourceCompletionProvider(rc),
		mcpserver.WithPromptCompletionProvider(pc),
		mcpserver.WithRecovery(),
		mcpserver.WithResourceRecovery(),
		mcpserver.WithHooks(hooks),
		// tools/list shows each caller the tools the selection serves it,
		// each with its own input schema. ts is this call's copy of the
		// registry: kept reuses it.
		mcpserver.WithToolFilter(func(ctx context.Context, ts []mcp.Tool) []mcp.Tool {
			kept := ts[:0]
			for _, t := range ts {
				if schema, ok := inputs[t.Name]; ok && d.serves(ctx, t.Name) {
					t.RawInputSchema = schema
					kept = append(kept, t)
				}
			}
			return kept
		}),
		mcpserver.WithInstructions(names.Fit(instructions(opts.Backend.Name()))),
	)
	// Registered eight at a time: AddTools stages its tools in a map of
	// their own before copying them into the registry, and a map of up to
	// eight entries is one group of eight slots, where one of 56 has a
	// table of 64, plus the slice of them all (60 KB in all, against 30 KB).
	var batch [8]mcpserver.ServerTool
	n := 0
	for i := range list {
		t := &list[i]
		def, err := t.MCPFor(names)
		if err != nil {
			return nil, err
		}
		inputs[t.Name] = def.RawInputSchema
		batch[n] = mcpserver.ServerTool{Tool: registered(def), Handler: d.tool(t)}
		if n++; n == len(batch) || i == len(list)-1 {
			s.AddTools(batch[:n]...)
			n = 0
		}
	}
	for _, r := range templates {
		s.AddResourceTemplate(r.Template, d.resource(r))
	}
	// The guides go with the tools they explain.
	for _, doc := range tools.Docs() {
		if names[doc.Tool] {
			s.AddResource(doc.Resource, d.staticResource(doc.Tool, doc.Resource.Name, doc.Read))
		}
	}
	pc.prompts = d.addPrompts(s)
	return s, nil
}

// registered is what a tool's entry in mcp-go's registry holds: its
// definition with a bare object as input schema. Registering re-encodes
// and decodes each input schema to check its x-mcp-header annotations
// (none of ours has one; TestToolDefinitionsPassMCPChecks runs the same
// check on every definition), which cost a new process over 2 ms before
// its first answer. tools/list serves the whole definitions, through the
// tool filter; mcp-go reads the registered schema nowhere else, as long as
// its own argument validation (WithInputSchemaValidation) stays off: the
// tools decode and check their arguments themselves.
func registered(def mcp.Tool) mcp.Tool {
	def.RawInputSchema = bareObject
	return def
}

var bareObject = json.RawMessage(`{"type":"object"}`)

func instructions(backendName string) string {
	s := "Tools for a Tableau Cloud or Tableau Server site. Discover before acting: list or search workbooks, views, data sources, projects, users and groups to get their IDs (LUIDs), and never guess an ID. List tools page with page_number/page_size and filter with field:operator:value. Tools marked destructive delete content permanently. To answer a question about data, find the data source with tableau_datasources_list, read its fields with tableau_datasource_metadata_get, then query it with tableau_query_view using the exact field captions."
	if backendName == "demo" {
		s += " This server is connected to a DEMO site with generated sample data, not to a real Tableau account; say so when you report results."
	}
	return s
}

// unknownTool answers a call of a tool this server does not serve with the
// closest tool it does serve, instead of a bare "not found".
func unknownTool(served tools.Served) mcpserver.OnRequestInitializationFunc {
	names := make([]string, 0, len(served))
	for n := range served {
		names = append(names, n)
	}
	sort.Strings(names)
	return func(ctx context.Context, _ any, message any) error {
		raw, ok := message.(json.RawMessage)
		if !ok {
			return nil
		}
		var name string
		if c, _ := ctx.Value(calledToolKey{}).(*calledTool); c != nil && bytes.Equal(c.body, raw) {
			// The transport read this message already (a tools/call).
			if !c.ok {
				return nil
			}
			name = c.name
		} else {
			var m calledMessage
			if json.Unmarshal(raw, &m) != nil || m.Method != string(mcp.MethodToolsCall) {
				return nil
			}
			name = m.Params.Name
		}
		if served[name] {
			return nil
		}
		msg := fmt.Sprintf("tool '%s' not found", name)
		if name == "" {
			msg = "tools/call names no tool (params.name)."
		} else if near := tools.Closest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean %s?", near)
		} else {
			msg += "."
		}
		return errors.New(msg + " The tools this server serves are listed by tools/list.")
	}
}

// calledMessage is what unknownTool reads of a message.
type calledMessage struct {
	Method string `json:"method"`
	Params struct {
		Name string `json:"name"`
	} `json:"params"`
}

// calledTool is what the streamable HTTP transport read of a posted
// tools/call (see postedMessage): the body, the tool's name, and whether
// the body decoded as calledMessage decodes it; unknownTool takes it
// instead of decoding the same body again.
type calledTool struct {
	body []byte
	name string
	ok   bool
}

type calledToolKey struct{}
