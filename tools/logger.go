package tools

import (
	"context"

	"go.uber.org/zap"
)

type loggerKey struct{}

// WithLogger gives the tool running in ctx the logger of its call: the
// server's logger, to which the server may have added a copy of each record
// for the client that made the call.
func WithLogger(ctx context.Context, l *zap.Logger) context.Context {
	if l == nil {
		return ctx
	}
	return context.WithValue(ctx, loggerKey{}, l)
}

// logger is the call's logger, else env.Log, else one that drops everything.
func (env *Env) logger(ctx context.Context) *zap.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*zap.Logger); ok {
		return l
	}
	if env.Log != nil {
		return env.Log
	}
	return zap.NewNop()
}
