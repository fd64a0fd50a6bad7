package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/internal/jose"
)

// JWTConfig configures the verification of JWT bearer tokens.
type JWTConfig struct {
	// PublicKeyPEM is a PEM public key ("PUBLIC KEY", "RSA PUBLIC KEY" or a
	// "CERTIFICATE"), RSA or ECDSA P-256. Either it or JWKSURL is needed.
	PublicKeyPEM []byte
	// JWKSURL is where the issuer publishes its signing keys (JSON Web Key Set).
	JWKSURL string
	// AuthorizationServer, when neither a key nor JWKSURL is given, is the
	// authorization server whose metadata (RFC 8414, else OpenID Connect
	// discovery) names the JWKS. It is read on the first token, not here.
	AuthorizationServer string
	// Issuer and Audience must match the token's iss and aud claims. Both
	// are required; Audiences adds more accepted audiences (any one will do).
	Issuer, Audience string
	Audiences        []string
	// RequireScopes makes a token without a scope claim grant nothing
	// (otherwise such a token is not limited by scopes).
	RequireScopes bool
	// IdentityClaim names the claim holding the identifier (default "sub").
	IdentityClaim string
	// Leeway allowed on exp, nbf and iat (default 30s).
	Leeway time.Duration
	// HTTPClient fetches the JWKS (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger receives failed and recovered JWKS fetches (default: none).
	Logger *zap.Logger
}

// JWTVerifier checks RS256 and ES256 tokens: signature against the
// configured key or JWKS, then issuer, audience and expiry (required).
type JWTVerifier struct {
	cfg    JWTConfig
	static any
	jwks   Renewer[*[]jose.JWK]

	mu          sync.Mutex
	lastRefresh time.Time // the last fetch attempt, successful or not
	fetchedAt   time.Time // when the key set held was read
	failedSince time.Time // first failed fetch since the last success (zero: none)
	lastErr     error     // the last failed fetch's error
	jwksURL     string    // discovered from the authorization server's metadata
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q is not an http(s) URL such as https://auth.example.com", raw)
	}
	return nil
}

// jwtAlgorithms are the only algorithms accepted; "none" and HMAC never are.
var jwtAlgorithms = []jose.Algorithm{jose.RS256, jose.ES256}

// jwksTTL is how long a fetched key set is used before fetching it again;
// jwksMinRefresh bounds how often a fetch is attempted after the first
// (for an unknown key ID or an expired set, failed or not). While fetches
// fail, the last key set read keeps verifying for jwksStale past its
// expiry: an IdP outage shorter than that does not fail every token.
//
// Before any key set has been read (a start during an IdP outage), a failed
// fetch is tried again at most once every jwksFirstRetry: the requests in
// between fail at once with its error, so that a stream of requests does not
// become a stream of fetches against the IdP.
const (
	jwksTTL        = 10 * time.Minute
	jwksMinRefresh = time.Minute
	jwksStale      = 24 * time.Hour
	jwksFirstRetry = 5 * time.Second
)

// NewJWT checks the configuration. It makes no network call.
func NewJWT(cfg JWTConfig) (*JWTVerifier, error) {
	if len(cfg.PublicKeyPEM) > 0 && cfg.JWKSURL != "" {
		return nil, errors.New("JWT verification needs one of a public key (--jwt-public-key) or a JWKS URL (--jwks-url), not both")
	}
	if len(cfg.PublicKeyPEM) == 0 && cfg.JWKSURL == "" && cfg.AuthorizationServer == "" {
		return nil, errors.New("JWT verification needs a public key (--jwt-public-key), a JWKS URL (--jwks-url) or an authorization server whose metadata names one (--authorization-server)")
	}
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("JWT verification needs the expected issuer (--jwt-issuer) and audience (--jwt-audience)")
	}
	if cfg.IdentityClaim == "" {
		cfg.IdentityClaim = "sub"
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	v := &JWTVerifier{cfg: cfg}
	if len(cfg.PublicKeyPEM) > 0 {
		k, err := ParsePublicKey(cfg.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.static = k
		return v, nil
	}
	if cfg.JWKSURL != "" {
		if err := checkHTTPURL(cfg.JWKSURL); err != nil {
			return nil, fmt.Errorf("--jwks-url: %w", err)
		}
	} else if err := checkHTTPURL(cfg.AuthorizationServer); err != nil {
		return nil, fmt.Errorf("--authorization-server: %w", err)
	}
	if v.cfg.Logger == nil {
		v.cfg.Logger = zap.NewNop()
	}
	v.jwks.Fetch = v.fetchJWKS
	v.jwks.Now = v.now
	return v, nil
}

func (v *JWTVerifier) now() time.Time {
	if v.cfg.Now != nil {
		return v.cfg.Now()
	}
	return time.Now()
}

// ParsePublicKey reads an RSA or ECDSA P-256 public key from PEM.
func ParsePublicKey(raw []byte) (any, error) {
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, errors.New("the JWT public key is not PEM (expected -----BEGIN PUBLIC KEY-----)")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("the JWT public key is a PEM %q block; expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("the JWT public key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("the JWT public key is an RSA key shorter than 2048 bits")
		}
		if err := jose.CheckRSAPublicKey(k); err != nil {
			return nil, fmt.Errorf("the JWT public key: %w", err)
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("the JWT public key is an ECDSA key not on P-256 (ES256)")
		}
	default:
		return nil, fmt.Errorf("the JWT public key is a %T; RS256 needs RSA and ES256 needs ECDSA P-256", key)
	}
	return key, nil
}

// fetchJWKS reads the key set. It returns no expiry: the Renewer fetches
// only the first set, and keySet decides when to refresh it.
func (v *JWTVerifier) fetchJWKS(ctx context.Context) (*[]jose.JWK, time.Time, error) {
	v.mu.Lock()
	v.lastRefresh = v.now()
	v.mu.Unlock()
	set, where, err := v.readJWKS(ctx)
	v.mu.Lock()
	defer v.mu.Unlock()
	if err != nil {
		if v.failedSince.IsZero() {
			v.failedSince = v.now()
		}
		v.lastErr = err
		fields := []zap.Field{zap.String("url", where), zap.Error(err), zap.Time("failing_since", v.failedSince)}
		if !v.fetchedAt.IsZero() {
			fields = append(fields, zap.Time("keys_read_at", v.fetchedAt), zap.Time("keys_used_until", v.fetchedAt.Add(jwksTTL+jwksStale)))
		}
		v.cfg.Logger.Warn("the JWKS could not be fetched", fields...)
		return nil, time.Time{}, err
	}
	if !v.failedSince.IsZero() {
		v.cfg.Logger.Info("the JWKS is fresh again", zap.String("url", where), zap.Time("failing_since", v.failedSince), zap.Int("keys", len(set)))
	}
	v.fetchedAt, v.failedSince, v.lastErr = v.now(), time.Time{}, nil
	return &set, time.Time{}, nil
}

// readJWKS fetches and parses the key set; where is the URL it read (or
// the authorization server whose metadata it could not read).
func (v *JWTVerifier) readJWKS(ctx context.Context) (set []jose.JWK, where string, err error) {
	jwksURL := v.cfg.JWKSURL
	if jwksURL == "" {
		v.mu.Lock()
		jwksURL = v.jwksURL
		v.mu.Unlock()
		if jwksURL == "" {
			md, err := DiscoverAuthorizationServer(ctx, v.cfg.HTTPClient, v.cfg.AuthorizationServer)
			if err != nil {
				return nil, v.cfg.AuthorizationServer, err
			}
			if md.JWKSURI == "" {
				return nil, v.cfg.AuthorizationServer, fmt.Errorf("the metadata of authorization server %s names no jwks_uri; set --jwks-url", v.cfg.AuthorizationServer)
			}
			if err := checkHTTPURL(md.JWKSURI); err != nil {
				return nil, v.cfg.AuthorizationServer, fmt.Errorf("the jwks_uri of authorization server %s: %w", v.cfg.AuthorizationServer, err)
			}
			jwksURL = md.JWKSURI
			v.mu.Lock()
			v.jwksURL = jwksURL
			v.mu.Unlock()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, jwksURL, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, jwksURL, fmt.Errorf("fetching the JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, jwksURL, fmt.Errorf("fetching the JWKS: HTTP %d", resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, jwksURL, fmt.Errorf("reading the JWKS: %w", err)
	}
	// Keys of other types, curves or uses, and malformed ones, are skipped.
	if set, err = jose.ParseKeySet(raw); err != nil {
		return nil, jwksURL, fmt.Errorf("the JWKS is not a JSON Web Key Set: %w", err)
	}
	return set, jwksURL, nil
}

// keys returns the candidate verification keys for a token's key ID and
// algorithm.
func (v *JWTVerifier) keys(ctx context.Context, kid string, alg jose.Algorithm) ([]any, error) {
	if v.static != nil {
		return []any{v.static}, nil
	}
	set, err := v.keySet(ctx)
	if err != nil {
		return nil, err
	}
	found := match(set, kid, alg)
	if len(found) == 0 {
		// A new signing key may have been published: fetch again, but not
		// more than once a minute whatever tokens arrive, fetched or not.
		// Anyone can send a token with a made-up key ID, so a failed
		// fetch keeps the keys already read: it never takes them away.
		v.mu.Lock()
		recent := v.now().Sub(v.lastRefresh) < jwksMinRefresh
		if !recent {
			v.lastRefresh = v.now()
		}
		v.mu.Unlock()
		if !recent {
			if set, err = v.jwks.Refresh(ctx, set); err != nil {
				return nil, err
			}
			found = match(set, kid, alg)
		}
	}
	return found, nil
}

// keySet returns the key set to verify with: the one held while it is
// younger than jwksTTL; once older, a refreshed one, at most one attempt a
// minute. While refreshes fail, the set held keeps serving until jwksStale
// past its expiry; after that, tokens fail until the IdP answers.
func (v *JWTVerifier) keySet(ctx context.Context) (*[]jose.JWK, error) {
	if _, have := v.jwks.Current(); !have {
		v.mu.Lock()
		lastErr, wait := v.lastErr, v.lastRefresh.Add(jwksFirstRetry).Sub(v.now())
		v.mu.Unlock()
		if lastErr != nil && wait > 0 {
			return nil, fmt.Errorf("no key set read yet, the next attempt in %s: %w", wait.Round(time.Second), lastErr)
		}
	}
	set, err := v.jwks.Get(ctx) // fetches only when no set was ever read
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	now := v.now()
	due := now.Sub(v.fetchedAt) >= jwksTTL && now.Sub(v.lastRefresh) >= jwksMinRefresh
	if due {
		v.lastRefresh = now
	}
	v.mu.Unlock()
	if due {
		if fresh, err := v.jwks.Refresh(ctx, set); err == nil {
			return fresh, nil
		}
		set, _ = v.jwks.Current() // another caller's refresh may have succeeded
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if now.Sub(v.fetchedAt) >= jwksTTL+jwksStale {
		if v.lastErr == nil { // this caller gave up before the refresh under way answered
			return nil, fmt.Errorf("the key set read at %s expired and its refresh has not answered yet", v.fetchedAt.UTC().Format(time.RFC3339))
		}
		return nil, fmt.Errorf("the key set could not be refreshed since %s (keys read at %s are no longer used, %s past their expiry): %v",
			v.failedSince.UTC().Format(time.RFC3339), v.fetchedAt.UTC().Format(time.RFC3339), jwksStale, v.lastErr)
	}
	return set, nil
}

func match(set *[]jose.JWK, kid string, alg jose.Algorithm) []any {
	var out []any
	for _, k := range *set {
		if (kid == "" || k.KeyID == kid) && k.Fits(alg) {
			out = append(out, k.Key)
		}
	}
	return out
}

// Verify checks a token and returns the identifier in its identity claim.
func (v *JWTVerifier) Verify(ctx context.Context, raw string) (string, error) {
	id, _, err := v.VerifyGrant(ctx, raw)
	return id, err
}

// VerifyGrant checks a token and returns the identifier in its identity
// claim and the scopes it grants.
func (v *JWTVerifier) VerifyGrant(ctx context.Context, raw string) (string, Grant, error) {
	id, g, err := v.verify(ctx, raw)
	return id, g, err
}

func (v *JWTVerifier) verify(ctx context.Context, raw string) (string, Grant, error) {
	if len(raw) > jose.MaxTokenSize {
		return "", Grant{}, invalid(fmt.Sprintf("JWT of %d bytes; tokens longer than %d bytes are refused", len(raw), jose.MaxTokenSize))
	}
	tok, err := jose.Parse(raw, jwtAlgorithms...)
	if err != nil {
		return "", Grant{}, invalid("malformed JWT or algorithm other than RS256/ES256")
	}
	keys, err := v.keys(ctx, tok.Header.KeyID, tok.Header.Algorithm)
	if err != nil {
		return "", Grant{}, fmt.Errorf("%w: the signing keys could not be read: %v", ErrInvalidCredentials, err)
	}
	var payload []byte
	verified := false
	for _, k := range keys {
		if payload, err = tok.Verify(k); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return "", Grant{}, invalid("JWT signature not verified by any configured key")
	}
	std, custom, err := jose.DecodeClaims(payload)
	if err != nil {
		return "", Grant{}, invalid("JWT claims not valid")
	}
	if std.Expiry == nil {
		return "", Grant{}, invalid("JWT without an expiry (exp)")
	}
	err = std.Validate(jose.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: append([]string{v.cfg.Audience}, v.cfg.Audiences...),
		Time:        v.now(),
	}, v.cfg.Leeway)
	switch {
	case errors.Is(err, jose.ErrExpired):
		return "", Grant{}, invalid("JWT expired")
	case errors.Is(err, jose.ErrNotValidYet), errors.Is(err, jose.ErrIssuedInTheFuture):
		return "", Grant{}, invalid("JWT not valid yet")
	case errors.Is(err, jose.ErrInvalidIssuer):
		return "", Grant{}, invalid("JWT issuer is not the configured one")
	case errors.Is(err, jose.ErrInvalidAudience):
		return "", Grant{}, invalid("JWT audience is not the configured one")
	case err != nil:
		return "", Grant{}, invalid("JWT claims not valid")
	}
	id, _ := custom[v.cfg.IdentityClaim].(string)
	if err := CheckIdentifier(id); err != nil {
		return "", Grant{}, invalid(fmt.Sprintf("JWT claim %q does not hold a usable identifier (%v)", v.cfg.IdentityClaim, err))
	}
	g := grantOf(custom)
	if v.cfg.RequireScopes {
		g.Scoped = true
	}
	return id, g, nil
}
