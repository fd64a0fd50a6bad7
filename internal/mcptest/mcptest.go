// Package mcptest drives the server through a real MCP client in tests and
// reads the answers the way an agent would.
package mcptest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// Session is an initialised MCP client session.
type Session struct {
	T      testing.TB
	C      *client.Client
	mu     sync.Mutex
	Called map[string]bool
	// Ctx is the base context of calls (it may carry an identity for
	// in-process clients); nil means context.Background().
	Ctx context.Context
}

// Start initialises c and returns the session.
func Start(t testing.TB, c *client.Client) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &Session{T: t, C: c, Called: map[string]bool{}}
}

// Call runs a tool and returns its result; a protocol error fails the test.
func (s *Session) Call(name string, args map[string]any) *mcp.CallToolResult {
	s.T.Helper()
	s.mu.Lock()
	s.Called[name] = true
	s.mu.Unlock()
	base := s.Ctx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithTimeout(base, 60*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.C.CallTool(ctx, req)
	if err != nil {
		s.T.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// OK runs a tool that must succeed and returns its JSON answer.
func (s *Session) OK(name string, args map[string]any) map[string]any {
	s.T.Helper()
	res := s.Call(name, args)
	if res.IsError {
		s.T.Fatalf("%s(%v) failed: %s", name, args, Text(res))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(Text(res)), &m); err != nil {
		s.T.Fatalf("%s: answer is not a JSON object: %v: %s", name, err, Text(res))
	}
	return m
}

// Fail runs a tool that must fail with a message holding every want.
func (s *Session) Fail(name string, args map[string]any, want ...string) string {
	s.T.Helper()
	res := s.Call(name, args)
	msg := Text(res)
	if !res.IsError {
		s.T.Fatalf("%s(%v) should have failed, got %s", name, args, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			s.T.Errorf("%s: error %q does not mention %q", name, msg, w)
		}
	}
	return msg
}

// Text joins the text content of a result.
func Text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// Dig follows keys through nested objects; a final array is returned as is.
func Dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// List returns the array at keys (Tableau's {"workbooks":{"workbook":[...]}}),
// or nil for an empty collection ({}).
//
// Compact results list items as an array under the plural ("workbooks":
// [...]) where Tableau's JSON nests them ("workbooks":{"workbook":[...]}):
// when the keys reach an array before their end, that array is the list.
func List(v any, keys ...string) []map[string]any {
	arr, _ := Dig(v, keys...).([]any)
	for i := 1; arr == nil && i < len(keys); i++ {
		arr, _ = Dig(v, keys[:i]...).([]any)
	}
	out := make([]map[string]any, 0, len(arr))
	for _, x := range arr {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Str returns the string at keys.
func Str(v any, keys ...string) string {
	s, _ := Dig(v, keys...).(string)
	return s
}
