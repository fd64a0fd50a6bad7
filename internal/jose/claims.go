package jose

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// NumericDate is a JWT time: seconds since the Unix epoch (RFC 7519 §2).
type NumericDate int64

// NewNumericDate is t to the second.
func NewNumericDate(t time.Time) *NumericDate {
	n := NumericDate(t.Unix())
	return &n
}

// Time is the date as a time.Time; the zero time for nil.
func (n *NumericDate) Time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(int64(*n), 0)
}

// maxNumericDate keeps dates far from where int64 seconds or time.Unix
// would overflow and wrap into the past.
const maxNumericDate = 1 << 62

func parseNumericDate(raw json.RawMessage) (*NumericDate, error) {
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return nil, errors.New("not a number")
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f >= maxNumericDate || f <= -maxNumericDate {
		return nil, errors.New("not a usable date")
	}
	n := NumericDate(f) // fractions of a second are dropped
	return &n, nil
}

// Audience is the aud claim: one string or a list of them.
type Audience []string

// Contains reports whether v is one of the audiences.
func (a Audience) Contains(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// Claims are the registered claims this package checks.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  Audience
	Expiry    *NumericDate
	NotBefore *NumericDate
	IssuedAt  *NumericDate
	ID        string
}

// ErrClaims wraps a payload that is not a claims set of the right types.
var ErrClaims = errors.New("JWT claims malformed")

// DecodeClaims reads a verified payload: the registered claims (each of its
// registered type, null refused) and every claim by name, as encoding/json
// decodes into an any.
func DecodeClaims(payload []byte) (Claims, map[string]any, error) {
	var c Claims
	members, err := decodeObject(payload)
	if err != nil {
		return c, nil, fmt.Errorf("%w: %v", ErrClaims, err)
	}
	all := make(map[string]any, len(members))
	for name, raw := range members {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return c, nil, fmt.Errorf("%w: %q: %v", ErrClaims, name, err)
		}
		all[name] = v
		bad := func(want string) error { return fmt.Errorf("%w: %q is not %s", ErrClaims, name, want) }
		switch name {
		case "iss", "sub", "jti":
			s, ok := v.(string)
			if !ok {
				return c, nil, bad("a string")
			}
			switch name {
			case "iss":
				c.Issuer = s
			case "sub":
				c.Subject = s
			default:
				c.ID = s
			}
		case "aud":
			switch x := v.(type) {
			case string:
				c.Audience = Audience{x}
			case []any:
				c.Audience = make(Audience, len(x))
				for i, e := range x {
					s, ok := e.(string)
					if !ok {
						return c, nil, bad("a string or a list of strings")
					}
					c.Audience[i] = s
				}
			default:
				return c, nil, bad("a string or a list of strings")
			}
		case "exp", "nbf", "iat":
			d, err := parseNumericDate(raw)
			if err != nil {
				return c, nil, bad("a date in seconds")
			}
			switch name {
			case "exp":
				c.Expiry = d
			case "nbf":
				c.NotBefore = d
			default:
				c.IssuedAt = d
			}
		}
	}
	return c, all, nil
}

// Expected are the values Validate checks claims against.
type Expected struct {
	Issuer      string   // when set, iss must equal it
	AnyAudience []string // when set, aud must hold one of them
	Time        time.Time
}

// Errors Validate returns.
var (
	ErrInvalidIssuer     = errors.New("JWT issuer not the expected one")
	ErrInvalidAudience   = errors.New("JWT audience not the expected one")
	ErrNotValidYet       = errors.New("JWT not valid yet (nbf)")
	ErrExpired           = errors.New("JWT expired (exp)")
	ErrIssuedInTheFuture = errors.New("JWT issued in the future (iat)")
)

// Validate checks iss, aud, nbf, exp and iat (those present) against e,
// allowing leeway on the times.
func (c Claims) Validate(e Expected, leeway time.Duration) error {
	if e.Issuer != "" && e.Issuer != c.Issuer {
		return ErrInvalidIssuer
	}
	if len(e.AnyAudience) > 0 {
		found := false
		for _, a := range e.AnyAudience {
			if c.Audience.Contains(a) {
				found = true
				break
			}
		}
		if !found {
			return ErrInvalidAudience
		}
	}
	at := e.Time
	if at.IsZero() {
		at = time.Now()
	}
	if c.NotBefore != nil && at.Add(leeway).Before(c.NotBefore.Time()) {
		return ErrNotValidYet
	}
	if c.Expiry != nil && at.Add(-leeway).After(c.Expiry.Time()) {
		return ErrExpired
	}
	if c.IssuedAt != nil && at.Add(leeway).Before(c.IssuedAt.Time()) {
		return ErrIssuedInTheFuture
	}
	return nil
}
