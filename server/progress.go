package server

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// withProgress makes the reports of long operations in ctx reach the client
// as notifications/progress when its request carried a progressToken, and
// go nowhere otherwise. Progress only ever increases, as the protocol asks:
// a report that does not move forward is dropped.
func withProgress(ctx context.Context, meta *mcp.Meta) context.Context {
	if meta == nil || meta.ProgressToken == nil {
		return ctx
	}
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil {
		return ctx
	}
	token := meta.ProgressToken
	var mu sync.Mutex
	last, started := 0.0, false
	return backend.WithProgress(ctx, func(done, total float64, message string) {
		mu.Lock()
		defer mu.Unlock()
		if started && done <= last {
			return
		}
		started, last = true, done
		params := map[string]any{"progressToken": token, "progress": done}
		if total > 0 {
			params["total"] = total
		}
		if message != "" {
			params["message"] = message
		}
		// Progress is advisory: a client that cannot take it must not fail the call.
		_ = notify(ctx, srv, "notifications/progress", params)
	})
}
