package server

import (
	"context"
	"errors"
	"io"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// ServeStdio serves MCP on in/out until ctx ends or the client closes input.
// Every request acts for identity (the one user this process serves).
func ServeStdio(ctx context.Context, s *mcpserver.MCPServer, in io.Reader, out io.Writer, identity string, log *zap.Logger) error {
	std := mcpserver.NewStdioServer(s)
	std.SetErrorLogger(zap.NewStdLog(log))
	c := newCancellations()
	w := &stdioWriter{w: out, c: c}
	std.SetContextFunc(func(ctx context.Context) context.Context {
		if identity != "" {
			ctx = auth.WithIdentity(ctx, identity)
		}
		return context.WithValue(ctx, notifierKey{}, notifier(w.notify))
	})
	err := std.Listen(ctx, &stdioReader{r: in, c: c}, w)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// notifier sends a notification to the client of the request in whose
// context it is found, ahead of the request's answer.
type notifier func(ctx context.Context, method string, params map[string]any) error

type notifierKey struct{}

// notify sends a notification to the client of the request in ctx: by the
// transport's own notifier when it has one, otherwise through mcp-go's
// session queue.
func notify(ctx context.Context, srv *mcpserver.MCPServer, method string, params map[string]any) error {
	if n, ok := ctx.Value(notifierKey{}).(notifier); ok {
		return n(ctx, method, params)
	}
	return srv.SendNotificationToClient(ctx, method, params)
}
