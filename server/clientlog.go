package server

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// loggerName names the server's records sent to clients as
// notifications/message.
const loggerName = "tableau-mcp"

// clientCore is a zap core that sends the records written while serving a
// request to the client that made it, as notifications/message at or above
// the level the session asked for with logging/setLevel. Records of one caller never reach another caller's session.
type clientCore struct {
	ctx    context.Context
	srv    *mcpserver.MCPServer
	fields []zapcore.Field
}

// forClient returns log with a copy of every record going to the client
// of the request in ctx; log itself when ctx holds no MCP session.
func forClient(ctx context.Context, log *zap.Logger) *zap.Logger {
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil || mcpserver.ClientSessionFromContext(ctx) == nil {
		return log
	}
	cc := &clientCore{ctx: ctx, srv: srv}
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, cc) }))
}

// Enabled asks the session (or, under protocol 2026-07-28, the request)
// which levels it wants, so that nothing is encoded for a client that
// would drop it.
func (c *clientCore) Enabled(l zapcore.Level) bool {
	if info := mcpserver.RequestProtocolInfoFromContext(c.ctx); info != nil && info.Modern {
		return info.LogLevel != "" && mcpLevel(l).ShouldSendTo(info.LogLevel)
	}
	s, ok := mcpserver.ClientSessionFromContext(c.ctx).(mcpserver.SessionWithLogging)
	return ok && mcpLevel(l).ShouldSendTo(s.GetLogLevel())
}

func (c *clientCore) With(fields []zapcore.Field) zapcore.Core {
	return &clientCore{ctx: c.ctx, srv: c.srv, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

func (c *clientCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *clientCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(append([]zapcore.Field(nil), c.fields...), fields...) {
		// Errors can quote what Tableau said about the arguments; the
		// client has them in the call's answer already.
		if secretField(f.Key) || f.Type == zapcore.ErrorType {
			continue
		}
		f.AddTo(enc)
	}
	data := map[string]any{"message": e.Message}
	for k, v := range enc.Fields {
		if k != "message" {
			data[k] = v
		}
	}
	name := loggerName
	if e.LoggerName != "" {
		name += "." + e.LoggerName
	}
	// A client that cannot take the record (no session, gone) is no reason
	// to fail the call: the record is in the server's own log anyway.
	// Enabled has applied the session's level.
	_ = notify(c.ctx, c.srv, "notifications/message", map[string]any{"level": mcpLevel(e.Level), "logger": name, "data": data})
	return nil
}

func (c *clientCore) Sync() error { return nil }

// secretField keeps anything named like a credential out of what a client
// is sent, should such a field ever be logged.
func secretField(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"token", "secret", "password", "authorization", "cookie", "credential", "jwt", "key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

func mcpLevel(l zapcore.Level) mcp.LoggingLevel {
	switch {
	case l <= zapcore.DebugLevel:
		return mcp.LoggingLevelDebug
	case l == zapcore.InfoLevel:
		return mcp.LoggingLevelInfo
	case l == zapcore.WarnLevel:
		return mcp.LoggingLevelWarning
	case l == zapcore.ErrorLevel:
		return mcp.LoggingLevelError
	case l == zapcore.FatalLevel:
		return mcp.LoggingLevelEmergency
	default:
		return mcp.LoggingLevelCritical
	}
}
