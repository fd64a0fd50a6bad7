package main

import (
	"context"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

func withIdentity(ctx context.Context, id string) context.Context { return auth.WithIdentity(ctx, id) }
