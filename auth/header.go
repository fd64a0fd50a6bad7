package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
)

// GatewaySecretHeader carries the secret shared between a trusted gateway
// and this server; an identity header is believed only together with it.
const GatewaySecretHeader = "X-Gateway-Secret"

// TrustedHeader authenticates requests forwarded by a gateway that has
// already authenticated the user: the identifier is read from Header,
// provided the request also carries the shared secret in X-Gateway-Secret.
type TrustedHeader struct {
	header string
	secret [sha256.Size]byte
}

// NewTrustedHeader configures the identity header and the shared secret.
func NewTrustedHeader(header, secret string) (*TrustedHeader, error) {
	header = http.CanonicalHeaderKey(strings.TrimSpace(header))
	switch {
	case header == "":
		return nil, errors.New("--trusted-header needs a header name")
	case header == "Authorization" || header == GatewaySecretHeader || header == "Cookie":
		return nil, errors.New("--trusted-header may not be Authorization, Cookie or " + GatewaySecretHeader)
	case len(secret) < MinTokenLength:
		return nil, errors.New("--trusted-header needs --trusted-header-secret of at least 16 characters, sent by the gateway in " + GatewaySecretHeader)
	}
	return &TrustedHeader{header: header, secret: sha256.Sum256([]byte(secret))}, nil
}

// Header is the identity header's name.
func (t *TrustedHeader) Header() string { return t.header }

// Authenticate implements Authenticator.
// A request carrying either header more than once is refused: which copy a
// gateway set and which one the caller sent cannot be told apart.
func (t *TrustedHeader) Authenticate(r *http.Request) (string, error) {
	ids, secs := r.Header.Values(t.header), r.Header.Values(GatewaySecretHeader)
	if len(ids) == 0 && len(secs) == 0 {
		return "", ErrNoCredentials
	}
	if len(ids) > 1 {
		return "", invalid("the identity header " + t.header + " appears more than once")
	}
	if len(secs) > 1 {
		return "", invalid("the " + GatewaySecretHeader + " header appears more than once")
	}
	id, sec := first(ids), first(secs)
	d := sha256.Sum256([]byte(sec))
	if sec == "" || subtle.ConstantTimeCompare(d[:], t.secret[:]) != 1 {
		return "", invalid("the gateway secret is missing or wrong")
	}
	if err := CheckIdentifier(id); err != nil {
		return "", invalid("the identity header: " + err.Error())
	}
	return id, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
