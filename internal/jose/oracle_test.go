package jose

// go-jose is only a test dependency here: an independent implementation the
// package is checked against. Tokens this package signs must verify under
// go-jose, tokens go-jose signs must verify here, and whatever this package
// accepts go-jose must accept with the same key and algorithms.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"sync"
	"testing"
	"time"

	gojose "github.com/go-jose/go-jose/v4"
	gojson "github.com/go-jose/go-jose/v4/json"
	"github.com/go-jose/go-jose/v4/jwt"
)

type testKeys struct {
	rsa    *rsa.PrivateKey // 2048 bits
	rsa1k  *rsa.PrivateKey // 1024 bits: too short for RS256
	ec     *ecdsa.PrivateKey
	secret []byte
}

var (
	keysOnce sync.Once
	keys     testKeys
)

// fixedKeys are read from testdata so that fuzz inputs signed with them
// stay valid between runs.
func fixedKeys(t testing.TB) testKeys {
	keysOnce.Do(func() {
		read := func(name string) any {
			raw, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := pem.Decode(raw)
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		keys = testKeys{
			rsa:    read("rsa2048.pem").(*rsa.PrivateKey),
			rsa1k:  read("rsa1024.pem").(*rsa.PrivateKey),
			ec:     read("ec256.pem").(*ecdsa.PrivateKey),
			secret: []byte("0123456789abcdef0123456789abcdef-test-secret"),
		}
	})
	if keys.rsa == nil {
		t.Fatal("test keys not loaded")
	}
	return keys
}

// goJoseSign signs payload with go-jose.
func goJoseSign(t testing.TB, alg gojose.SignatureAlgorithm, key any, kid string, payload []byte) string {
	t.Helper()
	opts := (&gojose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := gojose.NewSigner(gojose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// goJoseVerify is go-jose's answer for a token, a key and an allowlist.
func goJoseVerify(tok string, key any, algs []Algorithm) ([]byte, error) {
	var allowed []gojose.SignatureAlgorithm
	for _, a := range algs {
		allowed = append(allowed, gojose.SignatureAlgorithm(a))
	}
	jws, err := gojose.ParseSignedCompact(tok, allowed)
	if err != nil {
		return nil, err
	}
	return jws.Verify(key)
}

func ourVerify(tok string, key any, algs []Algorithm) ([]byte, error) {
	t, err := Parse(tok, algs...)
	if err != nil {
		return nil, err
	}
	return t.Verify(key)
}

var claimsPayload = []byte(`{"iss":"https://idp.example","sub":"dave","aud":["a","tableau-mcp"],"exp":1900000000,"iat":1700000000,"nbf":1700000000,"jti":"x1","scp":["tableau:content:read"]}`)

func TestOurTokensVerifyUnderGoJose(t *testing.T) {
	k := fixedKeys(t)
	for _, c := range []struct {
		alg       Algorithm
		sign, ver any
	}{
		{HS256, k.secret, k.secret},
		{RS256, k.rsa, &k.rsa.PublicKey},
	} {
		tok, err := Sign(c.alg, c.sign, map[string]any{"typ": "JWT", "kid": "k1", "iss": "client"}, claimsPayload)
		if err != nil {
			t.Fatal(err)
		}
		got, err := goJoseVerify(tok, c.ver, []Algorithm{c.alg})
		if err != nil || !bytes.Equal(got, claimsPayload) {
			t.Errorf("%s: go-jose verifies our token: %q %v", c.alg, got, err)
		}
		// go-jose reads the header as we wrote it.
		jt, err := jwt.ParseSigned(tok, []gojose.SignatureAlgorithm{gojose.SignatureAlgorithm(c.alg)})
		if err != nil {
			t.Fatal(err)
		}
		h := jt.Headers[0]
		if h.KeyID != "k1" || h.Algorithm != string(c.alg) || h.ExtraHeaders["typ"] != "JWT" || h.ExtraHeaders["iss"] != "client" {
			t.Errorf("%s: header as go-jose reads it: %+v", c.alg, h)
		}
		var std jwt.Claims
		if err := jt.Claims(c.ver, &std); err != nil || std.Subject != "dave" || !std.Audience.Contains("tableau-mcp") || std.Expiry.Time().Unix() != 1900000000 {
			t.Errorf("%s: claims as go-jose reads them: %+v %v", c.alg, std, err)
		}
		for i, tampered := range tamper(tok) {
			if _, err := goJoseVerify(tampered, c.ver, []Algorithm{c.alg}); err == nil {
				t.Errorf("%s: go-jose accepted tampered token %d", c.alg, i)
			}
			if _, err := ourVerify(tampered, c.ver, []Algorithm{c.alg}); err == nil {
				t.Errorf("%s: we accepted tampered token %d", c.alg, i)
			}
		}
	}
}

func TestGoJoseTokensVerifyUnderOurs(t *testing.T) {
	k := fixedKeys(t)
	for _, c := range []struct {
		alg       Algorithm
		sign, ver any
	}{
		{HS256, k.secret, k.secret},
		{RS256, k.rsa, &k.rsa.PublicKey},
		{ES256, k.ec, &k.ec.PublicKey},
	} {
		tok := goJoseSign(t, gojose.SignatureAlgorithm(c.alg), c.sign, "k1", claimsPayload)
		parsed, err := Parse(tok, c.alg)
		if err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		if parsed.Header.KeyID != "k1" || parsed.Header.Type != "JWT" || parsed.Header.Algorithm != c.alg {
			t.Errorf("%s: header %+v", c.alg, parsed.Header)
		}
		got, err := parsed.Verify(c.ver)
		if err != nil || !bytes.Equal(got, claimsPayload) {
			t.Errorf("%s: we verify go-jose's token: %q %v", c.alg, got, err)
		}
		for i, tampered := range tamper(tok) {
			if _, err := ourVerify(tampered, c.ver, []Algorithm{c.alg}); err == nil {
				t.Errorf("%s: we accepted tampered token %d", c.alg, i)
			}
			if _, err := goJoseVerify(tampered, c.ver, []Algorithm{c.alg}); err == nil {
				t.Errorf("%s: go-jose accepted tampered token %d", c.alg, i)
			}
		}
	}
}

// tamper returns copies of tok with one bit changed in the header, the
// payload and the signature, the signature cut short, and a segment of
// another token's signature.
func tamper(tok string) []string {
	flip := func(i int) string {
		b := []byte(tok)
		// Change a base64url character into another one.
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	first := bytes.IndexByte([]byte(tok), '.')
	last := bytes.LastIndexByte([]byte(tok), '.')
	return []string{
		flip(first / 2),
		flip((first + last) / 2),
		flip(last + 5),
		tok[:len(tok)-4],
		tok[:last+1],
	}
}

// TestClaimsAgreeWithGoJose decodes and validates claim sets with both
// implementations and expects the same verdict.
func TestClaimsAgreeWithGoJose(t *testing.T) {
	at := time.Unix(1800000000, 0)
	exp := Expected{Issuer: "https://idp.example", AnyAudience: []string{"tableau-mcp", "res_1"}, Time: at}
	gexp := jwt.Expected{Issuer: exp.Issuer, AnyAudience: exp.AnyAudience, Time: at}
	for _, p := range []string{
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1800000100}`,
		`{"iss":"https://idp.example","aud":["x","res_1"],"exp":1800000100.9}`,
		`{"iss":"https://idp.example","aud":["x"],"exp":1800000100}`,
		`{"iss":"https://evil.example","aud":"tableau-mcp","exp":1800000100}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1799999900}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1799999980}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1800000100,"nbf":1800000100}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1800000100,"nbf":1800000020}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1800000100,"iat":1800000100}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","nbf":-9223372036854775808}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":1e300}`,
		`{"iss":"https://idp.example","aud":[1],"exp":1800000100}`,
		`{"iss":"https://idp.example","aud":{"a":1},"exp":1800000100}`,
		`{"iss":"https://idp.example","aud":"tableau-mcp","exp":"1800000100"}`,
	} {
		std, _, err := DecodeClaims([]byte(p))
		if err == nil {
			err = std.Validate(exp, 30*time.Second)
		}
		var g jwt.Claims
		var gerr2 error
		if gerr2 = gojson.Unmarshal([]byte(p), &g); gerr2 == nil {
			gerr2 = g.ValidateWithLeeway(gexp, 30*time.Second)
		}
		if (err == nil) != (gerr2 == nil) {
			t.Errorf("%s: ours %v, go-jose %v", p, err, gerr2)
		}
		for _, pair := range [][2]error{{ErrExpired, jwt.ErrExpired}, {ErrNotValidYet, jwt.ErrNotValidYet}, {ErrIssuedInTheFuture, jwt.ErrIssuedInTheFuture}, {ErrInvalidIssuer, jwt.ErrInvalidIssuer}, {ErrInvalidAudience, jwt.ErrInvalidAudience}} {
			if (err == pair[0]) != (gerr2 == pair[1]) {
				t.Errorf("%s: ours %v, go-jose %v", p, err, gerr2)
			}
		}
	}
}

func TestAlgorithmsListIsExplicit(t *testing.T) {
	k := fixedKeys(t)
	tok := goJoseSign(t, gojose.RS256, k.rsa, "", claimsPayload)
	if _, err := Parse(tok); err == nil {
		t.Error("Parse with no allowed algorithm accepted a token")
	}
	if _, err := Parse(tok, ES256, HS256); err == nil {
		t.Error("an RS256 token passed an ES256/HS256 allowlist")
	}
}
