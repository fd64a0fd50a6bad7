package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Requests of an SSE session that the client cancels leave both the count
// a graceful shutdown waits for and the session's bound of requests
// waiting for their answers, though their answers are left out: after
// maxSSEWaiting cancelled calls the session takes requests again and a
// shutdown has nothing to wait for.
func TestCancelledSSERequestsAreReleased(t *testing.T) {
	s := mcpserver.NewMCPServer("t", "1", mcpserver.WithToolCapabilities(false))
	entered := make(chan struct{}, maxSSEWaiting)
	s.AddTool(mcp.NewTool("hold"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	h := newHTTPHandler(s, HTTPOptions{Transport: "sse", NoAuth: true})
	sess := openSSESession(t, h)
	defer sess.close()
	post := func(body string) int { return sess.post(body).Code }

	call := func(id int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"hold","arguments":{}}}`, id)
	}
	for i := range maxSSEWaiting {
		if code := post(call(100 + i)); code != http.StatusAccepted {
			t.Fatalf("call %d: %d", i, code)
		}
	}
	for range maxSSEWaiting {
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the held calls never started")
		}
	}
	if code := post(call(999)); code != http.StatusTooManyRequests {
		t.Fatalf("one call over the bound: %d, want 429", code)
	}
	for i := range maxSSEWaiting {
		post(fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d}}`, 100+i))
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := h.track.wait(wctx); err != nil {
		t.Fatalf("a shutdown would still wait for %d cancelled requests", h.track.count())
	}
	v, _ := h.sseStreams.Load(onlySSESession(t, h))
	if n := v.(*sseStream).waiting.Load(); n != 0 {
		t.Errorf("%d requests still counted as waiting for their answers, want 0", n)
	}
	if code := post(`{"jsonrpc":"2.0","id":1000,"method":"ping"}`); code != http.StatusAccepted {
		t.Fatalf("after the cancelled calls: %d, want 202", code)
	}
	for d := sess.data(); !strings.Contains(d, `"id":1000`); d = sess.data() {
		if strings.Contains(d, `"id":1`) && !strings.Contains(d, `"method"`) {
			t.Fatalf("a cancelled call was answered: %s", d)
		}
	}
	sess.close()
	if n := h.track.count(); n != 0 {
		t.Errorf("%d requests tracked after the session ended, want 0", n)
	}
}

// onlySSESession is the ID of the handler's only SSE session.
func onlySSESession(t *testing.T, h *httpHandler) string {
	t.Helper()
	id := ""
	h.sseStreams.Range(func(k, _ any) bool { id = k.(string); return false })
	if id == "" {
		t.Fatal("no SSE session")
	}
	return id
}
