package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// postStream writes the notifications sent while a streamable HTTP request
// is served (progress, log messages) straight onto that request's response
// as SSE events. mcp-go queues them for a forwarder goroutine instead,
// which drops a notification it takes off the queue just as the answer is
// written; the last log line of a call was lost that way.
type postStream struct {
	w *respWriter
}

func (p *postStream) notify(ctx context.Context, method string, params map[string]any) error {
	sess, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithStreamableHTTPConfig)
	if !ok {
		return fmt.Errorf("no streamable HTTP session")
	}
	data, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	if err != nil {
		return err
	}
	// mcp-go then writes the answer as an event on the same stream.
	sess.UpgradeToSSEWhenReceiveNotification()
	w := p.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.wrote {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("Connection", "keep-alive")
		w.writeHeaderLocked(http.StatusOK)
	}
	if _, err := w.writeLocked([]byte("event: message\ndata: " + string(data) + "\n\n")); err != nil {
		return err
	}
	w.flushLocked()
	return nil
}
