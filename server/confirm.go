package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
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
	// label names the content a call acts on ("" when unknown).
	label func(ctx context.Context, t tools.Tool, args any) string
	ttl   time.Duration
	// sign signs the confirmation states, so that any replica sharing the
	// session secret can check an answer to a question another one asked.
	sign *signer

	mu   sync.Mutex
	used map[string]time.Time // states answered here -> their expiry
}

type pendingConfirm struct {
	identity, tool, args string
}

const confirmKey = "confirm"

func newConfirmer(allow bool) *confirmer {
	return &confirmer{allow: allow, ttl: 10 * time.Minute, sign: newSigner(nil), used: map[string]time.Time{}}
}

// canAsk tells whether the client of this call can be asked to confirm,
// and whether the server knows at all: a modern request declares its
// client's capabilities itself; a legacy one is known through a session
// this server saw initialized, or through its signed session ID.
func canAsk(ctx context.Context) (can, known bool) {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil, true
	}
	sess := mcpserver.ClientSessionFromContext(ctx)
	if sess != nil && sess.Initialized() {
		pv, ok := sess.(mcpserver.SessionWithProtocolVersion)
		ci, hasInfo := sess.(mcpserver.SessionWithClientInfo)
		if ok && pv.ProtocolVersion() != "" && hasInfo {
			if _, ok := sess.(mcpserver.SessionWithElicitation); !ok {
				return false, true
			}
			return ci.GetClientCapabilities().Elicitation != nil, true
		}
	}
	// A session another replica initialized (with the shared session
	// secret) says in its signed ID whether its client can be asked.
	if c, signed := sessionClaimsFrom(ctx); signed {
		return c.clientCanElicit(), true
	}
	return false, false // not initialized here, and not signed by a replica
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
		label := ""
		if c.label != nil {
			label = c.label(ctx, t, args)
		}
		return mcpserver.NewInputRequestBuilder(state).Elicit(confirmKey, question(t, args, label)).ToolResult(), nil
	case c.allow:
		return nil, nil
	}
	return nil, refused("destructive", "%s deletes content permanently and needs the user's confirmation, but this client cannot ask for it (no MCP elicitation support). Ask the user to do it in Tableau, or the operator may start the server with --allow-destructive.", t.Name)
}

// question is the confirmation shown to the user.
func question(t tools.Tool, args any, label string) mcp.ElicitationParams {
	b, _ := json.Marshal(args)
	shown := string(b)
	if len(shown) > 400 {
		shown = shown[:400] + "…"
	}
	msg := fmt.Sprintf("%s: %s with %s. This cannot be undone. Go ahead?", t.Title, t.Name, shown)
	if label != "" {
		// "Delete a project" -> "Delete project 'Agent Test' (in 'Default')?"
		verb, _, _ := strings.Cut(t.Title, " ")
		msg = fmt.Sprintf("%s %s? (%s with %s.) This cannot be undone.", verb, label, t.Name, shown)
	}
	return mcp.ElicitationParams{
		Message: msg,
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

// issue returns the state of a question: signed claims naming the caller,
// tool and arguments, valid for the confirmation's lifetime.
func (c *confirmer) issue(p pendingConfirm) string {
	return c.sign.sign(confirmKind, confirmClaims{Nonce: nonce(), Identity: p.identity, Tool: p.tool, Args: p.args,
		Expires: time.Now().Add(c.ttl).Unix()})
}

// take accepts a state if it was issued (here or on another replica) for
// exactly this call and has not expired. A state answered here is not
// accepted here again; another replica would take it once more within its
// lifetime, for the same caller, tool and arguments only.
func (c *confirmer) take(state string, want pendingConfirm) bool {
	var cl confirmClaims
	if !c.sign.verify(confirmKind, state, &cl) {
		return false
	}
	now := time.Now()
	if now.Unix() >= cl.Expires || cl.Identity != want.identity || cl.Tool != want.tool || cl.Args != want.args {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, done := c.used[state]; done {
		return false
	}
	for k, exp := range c.used {
		if now.After(exp) {
			delete(c.used, k)
		}
	}
	c.used[state] = time.Unix(cl.Expires, 0)
	return true
}
