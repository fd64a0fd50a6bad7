package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// confirmer makes destructive tools ask the user first. When the client
// supports elicitation the call answers with a confirmation request (MCP's
// input-required result; mcp-go turns it into an elicitation/create request
// for clients of earlier protocol versions) and runs only when the call comes
// back with the user's acceptance and the state this server issued for that
// caller, tool and arguments. Without elicitation it runs only when the
// operator allowed destructive tools.
type confirmer struct {
	allow bool
	ttl   time.Duration

	mu      sync.Mutex
	pending map[string]pendingConfirm
}

type pendingConfirm struct {
	identity, tool, args string
	expires              time.Time
}

const confirmKey = "confirm"

func newConfirmer(allow bool) *confirmer {
	return &confirmer{allow: allow, ttl: 10 * time.Minute, pending: map[string]pendingConfirm{}}
}

// canAsk tells whether the client of this call can be asked to confirm,
// and whether the server knows at all: a modern request declares its
// client's capabilities itself; a legacy one is known only through a
// session this server saw initialized.
func canAsk(ctx context.Context) (can, known bool) {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil, true
	}
	sess := mcpserver.ClientSessionFromContext(ctx)
	if sess == nil || !sess.Initialized() {
		return false, false
	}
	pv, ok := sess.(mcpserver.SessionWithProtocolVersion)
	if !ok || pv.ProtocolVersion() == "" {
		return false, false // not initialized here (e.g. a session of another process)
	}
	ci, ok := sess.(mcpserver.SessionWithClientInfo)
	if !ok {
		return false, false
	}
	if _, ok := sess.(mcpserver.SessionWithElicitation); !ok {
		return false, true
	}
	return ci.GetClientCapabilities().Elicitation != nil, true
}

func digestArgs(a any) string {
	b, _ := json.Marshal(a)
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}

// check decides whether destructive tool t may run with args (as decoded).
// It returns nothing when the call may proceed, a result to send back (the
// confirmation question), or a refusal. Confirmation covers the typed
// arguments the tool will send.
func (c *confirmer) check(ctx context.Context, t tools.Tool, args any, req mcp.CallToolRequest) (*mcp.CallToolResult, *refusal) {
	who, digest := identityOf(ctx), digestArgs(args)
	answer := mcpserver.ElicitationResponse(req.Params.InputResponses, confirmKey)
	if answer != nil || req.Params.RequestState != "" {
		if !c.take(req.Params.RequestState, pendingConfirm{identity: who, tool: t.Name, args: digest}) {
			return nil, refused("confirmation", "%s: the confirmation does not match a question this server asked for this call (expired, already used, or other arguments); call the tool again", t.Name)
		}
		if answer == nil || answer.Action != mcp.ElicitationResponseActionAccept || !confirmed(answer.Content) {
			return nil, &refusal{outcome: OutcomeCancelled, reason: "declined", msg: fmt.Sprintf("cancelled by the user: %s was not run", t.Name)}
		}
		return nil, nil
	}
	can, known := canAsk(ctx)
	switch {
	case !known:
		return nil, refused("unknown_client", "%s deletes content permanently and needs the user's confirmation, but this server does not know whether the client can ask for it (this session was not initialized with this server, so its capabilities are unknown). It was not run, whatever --allow-destructive says. Start a new MCP session (initialize) and call it again.", t.Name)
	case can:
		state := c.issue(pendingConfirm{identity: who, tool: t.Name, args: digest})
		return mcpserver.NewInputRequestBuilder(state).Elicit(confirmKey, question(t, args)).ToolResult(), nil
	case c.allow:
		return nil, nil
	}
	return nil, refused("destructive", "%s deletes content permanently and needs the user's confirmation, but this client cannot ask for it (no MCP elicitation support). Ask the user to do it in Tableau, or the operator may start the server with --allow-destructive.", t.Name)
}

// question is the confirmation shown to the user.
func question(t tools.Tool, args any) mcp.ElicitationParams {
	b, _ := json.Marshal(args)
	shown := string(b)
	if len(shown) > 400 {
		shown = shown[:400] + "…"
	}
	return mcp.ElicitationParams{
		Message: fmt.Sprintf("%s: %s with %s. This cannot be undone. Go ahead?", t.Title, t.Name, shown),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": t.Title, "description": "Yes, run " + t.Name + " now."},
			},
			"required": []string{"confirm"},
		},
	}
}

// confirmed reads {"confirm": true} from the user's answer.
func confirmed(content any) bool {
	var v struct {
		Confirm bool `json:"confirm"`
	}
	b, err := json.Marshal(content)
	return err == nil && json.Unmarshal(b, &v) == nil && v.Confirm
}

// issue records a question and returns its single-use state token.
func (c *confirmer) issue(p pendingConfirm) string {
	var b [16]byte
	rand.Read(b[:])
	state := hex.EncodeToString(b[:])
	now := time.Now()
	p.expires = now.Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.pending {
		if now.After(v.expires) {
			delete(c.pending, k)
		}
	}
	c.pending[state] = p
	return state
}

// take consumes a state token if it was issued for exactly this call.
func (c *confirmer) take(state string, want pendingConfirm) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pending[state]
	if !ok || time.Now().After(p.expires) {
		return false
	}
	if p.identity != want.identity || p.tool != want.tool || p.args != want.args {
		return false
	}
	delete(c.pending, state)
	return true
}
