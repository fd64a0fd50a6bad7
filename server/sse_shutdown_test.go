package server_test

import (
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/server"
)

// A call on an SSE session that the client cancels gets no answer; a
// graceful shutdown then has nothing to wait for and ends at once, not
// after its whole grace period (an hour here: only a hang reaches the
// bound of the stop below).
func TestShutdownDoesNotWaitForACancelledSSECall(t *testing.T) {
	u := newUpstream(t)
	metrics := server.NewMetrics()
	srv := serve(t, server.Options{Backend: u.backend(t), Metrics: metrics},
		server.HTTPOptions{Transport: "sse", NoAuth: true, ShutdownGrace: time.Hour})
	c := rawConnectSSE(t, srv.URL)
	view := c.idOf("tableau_views_list", "views", "view", "Sales by Region")

	id := cancelHeldImage(t, c, u, view)

	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the shutdown waited for the answer to a cancelled call")
	}
	if c.answered(id) {
		t.Errorf("the cancelled call %d was answered", id)
	}
}
