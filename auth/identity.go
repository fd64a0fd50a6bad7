package auth

import "context"

type identityKey struct{}

// WithIdentity returns a context carrying the identifier of the user a
// request acts for (a Scalekit connected-account identifier). It is set by the
// transport from configuration (stdio) or from the authenticated caller (HTTP),
// never from tool arguments.
func WithIdentity(ctx context.Context, identifier string) context.Context {
	return context.WithValue(ctx, identityKey{}, identifier)
}

// IdentityFrom returns the identifier carried by ctx, if any.
func IdentityFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(identityKey{}).(string)
	return id, ok && id != ""
}
