package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// The one guarded path. Every MCP request that reaches Tableau or tells
// about it (tools/call, resources/read, resources/templates/list, and the
// prompts and completions routed here) passes, in this order:
//
//  1. observation: one access log line and the metrics, whatever the end;
//  2. selection: the tool behind the request must be served to the caller
//     (toolsets, --tools, --exclude-tools, --read-only);
//  3. the caller's limits (calls at once, calls per minute);
//  4. argument decoding: exact parameter names, types and the tool's rules,
//     giving the typed arguments the tool will send;
//  5. scope: every content ID among those typed arguments must be in scope;
//  6. confirmation of destructive tools (see confirm.go);
//  7. the tool's own code; then the scope filters what the answer lists.

// Surfaces, as logged.
const (
	SurfaceTool       = "tool"
	SurfaceResource   = "resource"
	SurfacePrompt     = "prompt"
	SurfaceCompletion = "completion"
)

// dispatcher holds the guards every surface goes through.
type dispatcher struct {
	log     *zap.Logger
	metrics *Metrics
	env     *tools.Env
	served  map[string]*tools.Tool // the selection (in Options.Tools)
	limits  *limiter
	scope   *scoper // nil: no scope
	confirm *confirmer
	prompts map[string][]string // prompt name -> the tools it needs
	// completions keeps each caller's recent name lists.
	completions *completer
}

// refusal is a guard's no: why (outcome, reason for the log) and what the
// caller is told.
type refusal struct{ outcome, reason, msg string }

func (r *refusal) Error() string { return r.msg }

func refused(reason, format string, args ...any) *refusal {
	return &refusal{outcome: OutcomeRefused, reason: reason, msg: fmt.Sprintf(format, args...)}
}

// record tells the observation of the request why it ended as it did.
func (r *refusal) record(ctx context.Context) {
	if ci, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		ci.outcome, ci.reason = r.outcome, r.reason
	}
}

// observe runs fn as one request of a surface: it is counted, timed and
// logged with the identity, the name (the tool, or the prompt), the
// surface, the outcome fn reports (or a guard recorded) and the duration;
// never an argument value.
func (d *dispatcher) observe(ctx context.Context, surface, name, target string, fn func(ctx context.Context) string) {
	ci := &callInfo{}
	ctx = context.WithValue(ctx, callInfoKey{}, ci)
	// The request's records also go to its client, at the level it chose.
	log := forClient(ctx, d.log)
	ctx = tools.WithLogger(ctx, log)
	start := time.Now()
	d.metrics.started()
	outcome := fn(ctx)
	dur := time.Since(start)
	d.metrics.finished()
	switch {
	case ci.outcome != "":
		outcome = ci.outcome
	case errors.Is(ctx.Err(), context.Canceled):
		// notifications/cancelled, or the client went away: the request
		// gets no answer.
		outcome, ci.reason = OutcomeCancelled, "client"
	}
	d.metrics.observe(name, outcome, dur)
	fields := []zap.Field{
		zap.String("identity", identityOf(ctx)), zap.String("tool", name),
		zap.String("outcome", outcome), zap.Duration("duration", dur),
	}
	if surface != SurfaceTool {
		fields = append(fields, zap.String("surface", surface))
	}
	if target != "" {
		fields = append(fields, zap.String("target", target))
	}
	if ci.reason != "" {
		fields = append(fields, zap.String("reason", ci.reason))
	}
	msg := "tool call"
	if surface != SurfaceTool {
		msg = surface + " request"
	}
	log.Info(msg, fields...)
}

// serves reports whether the tool is served to the caller of ctx: chosen
// by the operator, and allowed by the scopes of the caller's token.
func (d *dispatcher) serves(ctx context.Context, tool string) bool {
	t, ok := d.served[tool]
	return ok && grantAllows(ctx, t.Kind)
}

// admit applies selection and limits; release must be called when done.
func (d *dispatcher) admit(ctx context.Context, tool string) (release func(), r *refusal) {
	if t, ok := d.served[tool]; ok && !grantAllows(ctx, t.Kind) {
		return nil, refused("oauth_scope", "%s needs the OAuth scope %s, which the caller's token does not grant; sign in again granting it", tool, ScopeFor(t.Kind))
	}
	if !d.serves(ctx, tool) {
		return nil, refused("selection", "%s is not served by this server (its operator chose the toolsets, tools and read-only mode)", tool)
	}
	return d.limits.admit(identityOf(ctx))
}

// checkScope refuses arguments naming content outside the scope.
func (d *dispatcher) checkScope(ctx context.Context, t tools.Tool, args any) *refusal {
	if d.scope == nil {
		return nil
	}
	return d.scope.check(ctx, t, args)
}

// tool is the tools/call handler of t.
func (d *dispatcher) tool(t *tools.Tool) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		ctx = withProgress(ctx, req.Params.Meta)
		d.observe(ctx, SurfaceTool, t.Name, "", func(ctx context.Context) string {
			res, err = d.callTool(ctx, *t, req)
			switch {
			case err != nil:
				return OutcomeFailed
			case res.NeedsInput():
				return OutcomeInputRequired
			case res != nil && res.IsError:
				return OutcomeError
			}
			return OutcomeOK
		})
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		if err == nil && !res.NeedsInput() {
			// The transport writes the long strings of the answer itself.
			res = hold(ctx, res)
		}
		return res, err
	}
}

func (d *dispatcher) callTool(ctx context.Context, t tools.Tool, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	release, r := d.admit(ctx, t.Name)
	if r != nil {
		r.record(ctx)
		return mcp.NewToolResultError(r.msg), nil
	}
	defer release()
	args, err := t.Decode(req.Params.Arguments)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	if r := d.checkScope(ctx, t, args); r != nil {
		r.record(ctx)
		return mcp.NewToolResultError(r.msg), nil
	}
	if t.Kind == tools.Destructive {
		if res, r := d.confirm.check(ctx, t, args, req); res != nil || r != nil {
			if r != nil {
				r.record(ctx)
				return mcp.NewToolResultError(r.msg), nil
			}
			return res, nil
		}
	}
	res, err := t.Run(ctx, d.env, args)
	if err != nil || res == nil || res.IsError || d.scope == nil {
		return res, err
	}
	return d.scope.filter(ctx, res), nil
}

// resource is the resources/read handler of a template: the read is a call
// of the export tool behind it, through the same guards.
func (d *dispatcher) resource(rs tools.Resource) mcpserver.ResourceTemplateHandlerFunc {
	return func(ctx context.Context, req mcp.ReadResourceRequest) (out []mcp.ResourceContents, err error) {
		ctx = withProgress(ctx, req.Params.Meta)
		d.observe(ctx, SurfaceResource, rs.Tool, rs.Template.Name, func(ctx context.Context) string {
			out, err = d.readResource(ctx, rs, req.Params.URI)
			if err != nil {
				return OutcomeError
			}
			return OutcomeOK
		})
		return out, err
	}
}

func (d *dispatcher) readResource(ctx context.Context, rs tools.Resource, uri string) ([]mcp.ResourceContents, error) {
	release, r := d.admit(ctx, rs.Tool)
	if r != nil {
		r.record(ctx)
		return nil, r
	}
	defer release()
	t, err := tools.ByName(rs.Tool)
	if err != nil {
		return nil, err
	}
	args, err := rs.Args(uri)
	if err != nil {
		return nil, err
	}
	if r := d.checkScope(ctx, t, args); r != nil {
		r.record(ctx)
		return nil, r
	}
	if t.Kind == tools.Destructive {
		r := refused("destructive", "%s deletes content and cannot run from a resource read, where nobody can confirm it", t.Name)
		r.record(ctx)
		return nil, r
	}
	out, err := rs.Fetch(ctx, d.env, uri, args)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return nil, ctx.Err()
	}
	return out, err
}

// resourceTemplates filters a resources/templates/list answer to the
// templates whose tool is served to the caller.
func (d *dispatcher) resourceTemplates(byName map[string]string) func(ctx context.Context, id any, req *mcp.ListResourceTemplatesRequest, res *mcp.ListResourceTemplatesResult) {
	return func(ctx context.Context, id any, req *mcp.ListResourceTemplatesRequest, res *mcp.ListResourceTemplatesResult) {
		kept := res.ResourceTemplates[:0]
		for _, tpl := range res.ResourceTemplates {
			if tool, ok := byName[tpl.Name]; ok && d.serves(ctx, tool) {
				kept = append(kept, tpl)
			}
		}
		res.ResourceTemplates = kept
	}
}
