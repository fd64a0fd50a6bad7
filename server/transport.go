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
	std.SetContextFunc(func(ctx context.Context) context.Context {
		if identity != "" {
			ctx = auth.WithIdentity(ctx, identity)
		}
		return ctx
	})
	err := std.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
