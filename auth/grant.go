package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// Grant is what a caller's credentials allow beyond naming them: the OAuth
// scopes of a token. Scoped is false when the credentials say nothing of
// scopes (a token file entry, a gateway header, a JWT without a scope
// claim); such callers are not limited by scope unless the operator asks.
type Grant struct {
	Scopes []string
	Scoped bool
}

// Has reports whether the grant includes scope.
func (g Grant) Has(scope string) bool { return slices.Contains(g.Scopes, scope) }

type grantKey struct{}

// WithGrant returns a context carrying the caller's grant.
func WithGrant(ctx context.Context, g Grant) context.Context {
	return context.WithValue(ctx, grantKey{}, g)
}

// GrantFrom returns the grant carried by ctx; ok is false when the request
// was not authenticated by credentials that can carry one.
func GrantFrom(ctx context.Context) (Grant, bool) {
	g, ok := ctx.Value(grantKey{}).(Grant)
	return g, ok
}

// grantOf reads the scopes of a token's claims: "scope" (a space-separated
// string, RFC 9068 and RFC 8693), "scp" (a string or an array, as some
// authorization servers write it) and "permissions" (an array).
func grantOf(claims map[string]any) Grant {
	var g Grant
	add := func(v any) {
		switch x := v.(type) {
		case string:
			g.Scoped = true
			g.Scopes = append(g.Scopes, strings.Fields(x)...)
		case []any:
			g.Scoped = true
			for _, e := range x {
				if s, ok := e.(string); ok && s != "" {
					g.Scopes = append(g.Scopes, s)
				}
			}
		default:
			// A scope claim of another type (null, a number, an object)
			// grants nothing it can be read as; it does not make the
			// token unlimited either.
			g.Scoped = true
		}
	}
	for _, name := range []string{"scope", "scp", "permissions"} {
		if v, ok := claims[name]; ok {
			add(v)
		}
	}
	slices.Sort(g.Scopes)
	g.Scopes = slices.Compact(g.Scopes)
	return g
}

// GrantAuthenticator is an Authenticator that can also tell the grant of
// the credentials it verifies.
type GrantAuthenticator interface {
	Authenticator
	AuthenticateGrant(r *http.Request) (string, Grant, error)
}

// Identify authenticates r with a and returns the identifier and, when a
// can tell it, the grant.
func Identify(a Authenticator, r *http.Request) (string, Grant, error) {
	if ga, ok := a.(GrantAuthenticator); ok {
		return ga.AuthenticateGrant(r)
	}
	id, err := a.Authenticate(r)
	return id, Grant{}, err
}

// AuthenticateGrant implements GrantAuthenticator.
func (c chain) AuthenticateGrant(r *http.Request) (string, Grant, error) {
	for _, a := range c {
		id, g, err := Identify(a, r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		return id, g, err
	}
	return "", Grant{}, ErrNoCredentials
}

// AuthenticateGrant implements GrantAuthenticator.
func (b *Bearer) AuthenticateGrant(r *http.Request) (string, Grant, error) {
	tok, ok := BearerToken(r)
	if ok && b.Tokens == nil && b.JWT != nil && strings.Count(tok, ".") == 2 {
		return b.JWT.VerifyGrant(r.Context(), tok)
	}
	if ok && b.Tokens != nil {
		if _, known := b.Tokens.Lookup(tok); !known && b.JWT != nil && strings.Count(tok, ".") == 2 {
			return b.JWT.VerifyGrant(r.Context(), tok)
		}
	}
	id, err := b.Authenticate(r)
	return id, Grant{}, err
}
