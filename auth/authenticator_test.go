package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	aliceToken = "alice-token-0123456789abcdef"
	bobToken   = "bob-token-fedcba9876543210"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func reqWith(h map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestTokenFileMapsTokensToIdentifiers(t *testing.T) {
	p := writeFile(t, "# callers\nalice@example.com "+aliceToken+"\n\nbob "+HashToken(bobToken)+"\n")
	f, err := LoadTokenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(p); strings.Contains(string(raw), bobToken) {
		t.Fatal("the hashed form holds the token")
	}
	b := &Bearer{Tokens: f}
	for tok, want := range map[string]string{aliceToken: "alice@example.com", bobToken: "bob"} {
		id, err := b.Authenticate(reqWith(map[string]string{"Authorization": "Bearer " + tok}))
		if err != nil || id != want {
			t.Errorf("token for %s: got %q %v", want, id, err)
		}
	}
	if _, err := b.Authenticate(reqWith(map[string]string{"Authorization": "Bearer " + aliceToken + "x"})); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := b.Authenticate(reqWith(map[string]string{"Authorization": "Basic YWxpY2U6eA=="})); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("basic auth: %v", err)
	}
	if _, err := b.Authenticate(reqWith(nil)); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("no header: %v", err)
	}
	// A presented hash is not the token.
	if _, ok := f.Lookup(HashToken(bobToken)); ok {
		t.Error("the sha256: form was accepted as a token")
	}
}

func TestTokenFileErrorsNameTheLineNotTheToken(t *testing.T) {
	for content, want := range map[string]string{
		"alice short-token\n":                                    "line 1: the token is shorter",
		"alice " + aliceToken + "\nbob " + aliceToken + "\n":     "line 2: the same token as line 1",
		"alice " + aliceToken + " extra\n":                       "line 1: want IDENTIFIER TOKEN",
		"alice sha256:abcd\n":                                    "64 hex digits",
		"# nothing\n":                                            "no tokens",
		"alice " + aliceToken + "\nbob " + HashToken(aliceToken): "the same token as line 1",
	} {
		_, err := LoadTokenFile(writeFile(t, content))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", content, err, want)
			continue
		}
		if strings.Contains(err.Error(), aliceToken) || strings.Contains(err.Error(), "short-token") {
			t.Errorf("error %q holds the token", err)
		}
	}
}

func TestTokenFileReloadSwapsAndKeepsTheOldSetOnError(t *testing.T) {
	p := writeFile(t, "alice "+aliceToken+"\n")
	f, err := LoadTokenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("bob "+bobToken+"\n"), 0o600)
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Lookup(aliceToken); ok {
		t.Error("a removed token still works after reload")
	}
	if id, ok := f.Lookup(bobToken); !ok || id != "bob" {
		t.Error("an added token does not work after reload")
	}
	os.WriteFile(p, []byte("garbage\n"), 0o600)
	if err := f.Reload(); err == nil {
		t.Error("a bad file reloaded")
	}
	if _, ok := f.Lookup(bobToken); !ok {
		t.Error("a bad reload dropped the tokens in force")
	}
}

func TestTrustedHeaderNeedsTheSharedSecret(t *testing.T) {
	const secret = "gateway-secret-0123456789"
	th, err := NewTrustedHeader("x-forwarded-user", secret)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		h    map[string]string
		id   string
		want error
	}{
		{map[string]string{"X-Forwarded-User": "carol"}, "", ErrInvalidCredentials},
		{map[string]string{"X-Forwarded-User": "carol", GatewaySecretHeader: secret + "x"}, "", ErrInvalidCredentials},
		{map[string]string{"X-Forwarded-User": "carol", GatewaySecretHeader: secret}, "carol", nil},
		{map[string]string{GatewaySecretHeader: secret}, "", ErrInvalidCredentials},
		{map[string]string{"X-Forwarded-User": "car\x01ol", GatewaySecretHeader: secret}, "", ErrInvalidCredentials},
		{nil, "", ErrNoCredentials},
	}
	for _, c := range cases {
		id, err := th.Authenticate(reqWith(c.h))
		if id != c.id || (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%v: got %q %v, want %q %v", c.h, id, err, c.id, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error %q holds the secret", err)
		}
	}
	if _, err := NewTrustedHeader("X-User", "short"); err == nil {
		t.Error("a short gateway secret was accepted")
	}
	if _, err := NewTrustedHeader("Authorization", secret); err == nil {
		t.Error("Authorization accepted as the identity header")
	}
}

func TestChainLetsTheFirstAuthenticatorWithCredentialsDecide(t *testing.T) {
	f, _ := LoadTokenFile(writeFile(t, "alice "+aliceToken+"\n"))
	th, _ := NewTrustedHeader("X-User", "gateway-secret-0123456789")
	a := Chain(th, &Bearer{Tokens: f})
	if id, err := a.Authenticate(reqWith(map[string]string{"Authorization": "Bearer " + aliceToken})); err != nil || id != "alice" {
		t.Errorf("bearer through the chain: %q %v", id, err)
	}
	// A forged identity header beside a valid token is refused, not ignored.
	if _, err := a.Authenticate(reqWith(map[string]string{"Authorization": "Bearer " + aliceToken, "X-User": "bob"})); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("forged identity header: %v", err)
	}
	if _, err := a.Authenticate(reqWith(nil)); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("nothing presented: %v", err)
	}
}

// --- JWT ---

type signerKey struct {
	alg jose.SignatureAlgorithm
	key any
	kid string
}

func sign(t *testing.T, k signerKey, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if k.kid != "" {
		opts = opts.WithHeader("kid", k.kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func pemOf(t *testing.T, pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func claims(extra map[string]any) map[string]any {
	c := map[string]any{"iss": "https://idp.example", "aud": "tableau-mcp", "sub": "dave", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestJWTWithAPublicKey(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	v, err := NewJWT(JWTConfig{PublicKeyPEM: pemOf(t, &rk.PublicKey), Issuer: "https://idp.example", Audience: "tableau-mcp", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	good := signerKey{jose.RS256, rk, ""}
	if id, err := v.Verify(t.Context(), sign(t, good, claims(nil))); err != nil || id != "dave" {
		t.Fatalf("valid token: %q %v", id, err)
	}
	if id, err := v.Verify(t.Context(), sign(t, good, claims(map[string]any{"aud": []string{"other", "tableau-mcp"}}))); err != nil || id != "dave" {
		t.Errorf("audience list: %q %v", id, err)
	}
	for name, c := range map[string]struct {
		tok, want string
	}{
		"other key":    {sign(t, signerKey{jose.RS256, other, ""}, claims(nil)), "signature"},
		"issuer":       {sign(t, good, claims(map[string]any{"iss": "https://evil.example"})), "issuer"},
		"audience":     {sign(t, good, claims(map[string]any{"aud": "someone-else"})), "audience"},
		"expired":      {sign(t, good, claims(map[string]any{"exp": now.Add(-time.Hour).Unix()})), "expired"},
		"no exp":       {sign(t, good, claims(map[string]any{"exp": nil})), "expiry"},
		"future nbf":   {sign(t, good, claims(map[string]any{"nbf": now.Add(time.Hour).Unix()})), "not valid yet"},
		"no sub":       {sign(t, good, claims(map[string]any{"sub": nil})), `claim "sub"`},
		"HS256":        {sign(t, signerKey{jose.HS256, []byte("0123456789abcdef0123456789abcdef"), ""}, claims(nil)), "RS256/ES256"},
		"not a JWT":    {"a.b.c", "malformed"},
		"PS256 forged": {sign(t, signerKey{jose.PS256, rk, ""}, claims(nil)), "RS256/ES256"},
	} {
		_, err := v.Verify(t.Context(), c.tok)
		if !errors.Is(err, ErrInvalidCredentials) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	// alg "none" is never accepted.
	none := "eyJhbGciOiJub25lIn0." + strings.Split(sign(t, good, claims(nil)), ".")[1] + "."
	if _, err := v.Verify(t.Context(), none); err == nil {
		t.Error("alg none accepted")
	}
}

func TestJWTIdentityClaim(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v, err := NewJWT(JWTConfig{PublicKeyPEM: pemOf(t, &ek.PublicKey), Issuer: "https://idp.example", Audience: "tableau-mcp", IdentityClaim: "email", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, ek, ""}, claims(map[string]any{"email": "erin@example.com"})))
	if err != nil || id != "erin@example.com" {
		t.Errorf("ES256 with email claim: %q %v", id, err)
	}
	if _, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, ek, ""}, claims(nil))); err == nil {
		t.Error("a token without the identity claim was accepted")
	}
}

func TestJWTWithAJWKSFetchesNewKeysOnce(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var published atomic.Value
	published.Store(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k1.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "ES256"}}})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		json.NewEncoder(w).Encode(published.Load())
	}))
	defer srv.Close()
	clock := now
	v, err := NewJWT(JWTConfig{JWKSURL: srv.URL, Issuer: "https://idp.example", Audience: "tableau-mcp", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if id, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, k1, "k1"}, claims(nil))); err != nil || id != "dave" {
			t.Fatalf("k1: %q %v", id, err)
		}
	}
	if fetches.Load() != 1 {
		t.Errorf("%d JWKS fetches for 3 tokens, want 1", fetches.Load())
	}
	// The issuer rotates to k2: a token with the unknown kid makes one fetch.
	published.Store(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &k1.PublicKey, KeyID: "k1", Use: "sig"}, {Key: &k2.PublicKey, KeyID: "k2", Use: "sig"},
	}})
	clock = clock.Add(2 * time.Minute)
	if id, err := v.Verify(t.Context(), sign(t, signerKey{jose.RS256, k2, "k2"}, claims(map[string]any{"exp": clock.Add(time.Hour).Unix()}))); err != nil || id != "dave" {
		t.Fatalf("k2 after rotation: %q %v", id, err)
	}
	// Tokens with made-up key IDs do not make the server fetch again and again.
	before := fetches.Load()
	for i := 0; i < 5; i++ {
		if _, err := v.Verify(t.Context(), sign(t, signerKey{jose.RS256, k2, "nope"}, claims(map[string]any{"exp": clock.Add(time.Hour).Unix()}))); err == nil {
			t.Fatal("unknown kid accepted")
		}
	}
	if fetches.Load()-before > 0 {
		t.Errorf("%d fetches for unknown key IDs within a minute of a fetch", fetches.Load()-before)
	}
}

// TestJWTKeepsItsKeysWhenARefreshFails: a token with a made-up key ID
// (anyone can send one) makes the server fetch the key set again; when
// that fetch fails, the keys already read still verify, and tokens with
// made-up key IDs do not make it fetch again within the minute.
func TestJWTKeepsItsKeysWhenARefreshFails(t *testing.T) {
	idp := newFlakyJWKS(t, http.StatusServiceUnavailable)
	k1, srv, fetches, down := idp.key, idp.srv, &idp.fetches, &idp.down
	clock := now
	v, err := NewJWT(JWTConfig{JWKSURL: srv.URL, Issuer: "https://idp.example", Audience: "tableau-mcp", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	good := func() error {
		_, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, k1, "k1"}, claims(map[string]any{"exp": clock.Add(time.Hour).Unix()})))
		return err
	}
	if err := good(); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	clock = clock.Add(2 * time.Minute)
	for range 3 {
		if _, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, k1, "made-up"}, claims(map[string]any{"exp": clock.Add(time.Hour).Unix()}))); err == nil {
			t.Fatal("a token with an unknown kid verified")
		}
		if err := good(); err != nil {
			t.Fatalf("after a failed refresh, a token signed with a known key: %v", err)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches of the key set, want 2 (the first and one refresh)", n)
	}
}

func TestJWTConfigErrors(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	// An RSA key longer than RS256 verification takes (8192 bits) is
	// refused at start, not by every token; its modulus need not be a
	// product of primes for that.
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 8200))
	n.SetBit(n, 8199, 1).SetBit(n, 0, 1)
	huge := &rsa.PublicKey{N: n, E: 65537}
	if _, err := NewJWT(JWTConfig{PublicKeyPEM: pemOf(t, huge), Issuer: "i", Audience: "a"}); err == nil || !strings.Contains(err.Error(), "8200 bits") {
		t.Errorf("an RSA key of 8200 bits: %v", err)
	}
	for _, c := range []JWTConfig{
		{Issuer: "i", Audience: "a"},
		{PublicKeyPEM: pemOf(t, &rk.PublicKey), JWKSURL: "https://x/jwks", Issuer: "i", Audience: "a"},
		{PublicKeyPEM: pemOf(t, &rk.PublicKey), Audience: "a"},
		{PublicKeyPEM: pemOf(t, &rk.PublicKey), Issuer: "i"},
		{PublicKeyPEM: []byte("not pem"), Issuer: "i", Audience: "a"},
		{JWKSURL: "ftp://x", Issuer: "i", Audience: "a"},
	} {
		if _, err := NewJWT(c); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

func TestJWTScopesAreReadFromScopeScpOrPermissions(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	k := signerKey{jose.RS256, rk, ""}
	for _, require := range []bool{false, true} {
		v, err := NewJWT(JWTConfig{PublicKeyPEM: pemOf(t, &rk.PublicKey), Issuer: "https://issuer.example", Audience: "https://mcp.example/mcp", Audiences: []string{"res_1"}, RequireScopes: require, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			extra  map[string]any
			scoped bool
			scopes []string
		}{
			{map[string]any{"scope": "tableau:read  tableau:write"}, true, []string{"tableau:read", "tableau:write"}},
			{map[string]any{"scp": []any{"tableau:delete"}}, true, []string{"tableau:delete"}},
			{map[string]any{"permissions": []any{"tableau:read"}, "aud": []string{"res_1"}}, true, []string{"tableau:read"}},
			{nil, require, nil},
			// A scope claim that cannot be read as scopes grants none: it
			// never leaves the token unlimited.
			{map[string]any{"scope": 5}, true, nil},
			{map[string]any{"scp": json.RawMessage(`null`)}, true, nil},
			{map[string]any{"permissions": map[string]any{"tableau:read": true}}, true, nil},
		}
		for _, c := range cases {
			c.extra = maps.Clone(c.extra)
			if c.extra == nil {
				c.extra = map[string]any{}
			}
			if c.extra["aud"] == nil {
				c.extra["aud"] = "https://mcp.example/mcp"
			}
			c.extra["iss"] = "https://issuer.example"
			_, g, err := v.VerifyGrant(t.Context(), sign(t, k, claims(c.extra)))
			if err != nil || g.Scoped != c.scoped || !slices.Equal(g.Scopes, c.scopes) {
				t.Errorf("require %v, claims %v: %+v %v", require, c.extra, g, err)
			}
		}
	}
}

// TestJWTWithAJWKSSkipsOddKeys: one key of a type the server does not use,
// or malformed, does not make the whole set unusable; a key published for
// another algorithm, too short or holding a private part is not used.
func TestJWTWithAJWKSSkipsOddKeys(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	good, _ := json.Marshal(jose.JSONWebKey{Key: &ek.PublicKey, KeyID: "ec", Use: "sig"})
	ps, _ := json.Marshal(jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "ps", Algorithm: "PS256"})
	priv, _ := json.Marshal(jose.JSONWebKey{Key: rk, KeyID: "priv"})
	set := `{"keys":[{"kty":"oct","kid":"o","k":"c2VjcmV0"},{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},` +
		`{"kty":"RSA","kid":"bad","n":"!!","e":"AQAB"},` + string(ps) + `,` + string(priv) + `,` + string(good) + `]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(set)) }))
	defer srv.Close()
	v, err := NewJWT(JWTConfig{JWKSURL: srv.URL, Issuer: "https://idp.example", Audience: "tableau-mcp", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := v.Verify(t.Context(), sign(t, signerKey{jose.ES256, ek, "ec"}, claims(nil))); err != nil || id != "dave" {
		t.Fatalf("the good key among odd ones: %q %v", id, err)
	}
	for _, kid := range []string{"ps", "priv"} {
		if _, err := v.Verify(t.Context(), sign(t, signerKey{jose.RS256, rk, kid}, claims(nil))); err == nil {
			t.Errorf("key %q verified an RS256 token", kid)
		}
	}
	huge := sign(t, signerKey{jose.ES256, ek, "ec"}, claims(map[string]any{"pad": strings.Repeat("x", 20<<10)}))
	if _, err := v.Verify(t.Context(), huge); !errors.Is(err, ErrInvalidCredentials) || !strings.Contains(err.Error(), "longer than 16384 bytes are refused") {
		t.Errorf("a 27 KB token: %v", err)
	}
}
