package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"

	"github.com/tableau-mcp/tableau-mcp/server"
)

// Over the SSE transport too, a session that asked for info gets the
// access-log line of its call and the progress of an export.
func TestLoggingAndProgressOverSSE(t *testing.T) {
	u := newUpstream(t)
	s := serve(t, server.Options{Backend: u.backend(t)}, server.HTTPOptions{Transport: "sse", NoAuth: true})
	sess, err := s.connect(t, "sse", nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	sess.C.OnNotification(func(n mcp.JSONRPCNotification) {
		mu.Lock()
		got[n.Method]++
		mu.Unlock()
	})
	ctx := context.Background()
	if err := sess.C.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		t.Fatal(err)
	}
	view := ""
	for _, it := range List(sess.OK("tableau_views_list", args{"filter": "name:eq:Sales by Region"}), "views", "view") {
		view = it["id"].(string)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "tableau_view_image_get"
	req.Params.Arguments = map[string]any{"view_id": view}
	req.Params.Meta = &mcp.Meta{ProgressToken: "img"}
	if _, err := sess.C.CallTool(ctx, req); err != nil {
		t.Fatal(err)
	}
	// Over SSE mcp-go queues notifications for another goroutine, so they
	// may arrive after the answer: wait for them (a bound, not a timing).
	enough := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["notifications/message"] >= 2 && got["notifications/progress"] >= 2
	}
	for deadline := time.Now().Add(10 * time.Second); !enough() && time.Now().Before(deadline); {
		if err := sess.C.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !enough() {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf("over SSE: %v; want the log lines of both calls and the export's progress", got)
	}
}
