package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// Authenticator identifies the caller of an HTTP request from its
// credentials. It never looks at the MCP message itself: the identifier a
// request acts for comes from credentials only, never from tool arguments.
type Authenticator interface {
	// Authenticate returns the identifier the request acts for. It returns
	// ErrNoCredentials when the request carries no credentials of the kind
	// this authenticator reads, and an error wrapping ErrInvalidCredentials
	// when it carries some that are not valid. Error texts never hold a
	// credential.
	Authenticate(r *http.Request) (string, error)
}

var (
	// ErrNoCredentials: the request presents no credentials of this kind.
	ErrNoCredentials = errors.New("no credentials")
	// ErrInvalidCredentials: the request presents credentials that are not valid.
	ErrInvalidCredentials = errors.New("invalid credentials")
)

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidCredentials, reason)
}

// Chain tries each authenticator in turn; the first one that finds
// credentials of its kind decides, valid or not.
func Chain(as ...Authenticator) Authenticator { return chain(as) }

type chain []Authenticator

func (c chain) Authenticate(r *http.Request) (string, error) {
	for _, a := range c {
		id, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		return id, err
	}
	return "", ErrNoCredentials
}

// CheckIdentifier refuses identifiers that cannot safely be logged or passed
// on: empty, longer than 256 bytes, or holding control characters or
// surrounding spaces.
func CheckIdentifier(id string) error {
	switch {
	case id == "":
		return errors.New("empty identifier")
	case len(id) > 256:
		return errors.New("identifier longer than 256 bytes")
	case strings.TrimSpace(id) != id:
		return errors.New("identifier with surrounding spaces")
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return errors.New("identifier with control characters")
	}
	return nil
}

// BearerToken returns the token of an "Authorization: Bearer" header.
// A request with more than one Authorization header has none that counts.
func BearerToken(r *http.Request) (string, bool) {
	if len(r.Header.Values("Authorization")) != 1 {
		return "", false
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Bearer authenticates "Authorization: Bearer" tokens: first against the
// static token file (if any), then as a JWT (if configured).
type Bearer struct {
	Tokens *TokenFile
	JWT    *JWTVerifier
}

// Authenticate implements Authenticator.
func (b *Bearer) Authenticate(r *http.Request) (string, error) {
	tok, ok := BearerToken(r)
	if !ok {
		if len(r.Header.Values("Authorization")) > 1 {
			return "", invalid("the Authorization header appears more than once")
		}
		if r.Header.Get("Authorization") != "" {
			return "", invalid("the Authorization header is not a Bearer token")
		}
		return "", ErrNoCredentials
	}
	if b.Tokens != nil {
		if id, ok := b.Tokens.Lookup(tok); ok {
			return id, nil
		}
	}
	if b.JWT != nil && strings.Count(tok, ".") == 2 {
		return b.JWT.Verify(r.Context(), tok)
	}
	return "", invalid("unknown bearer token")
}
