package jose

import (
	"bytes"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
	gojson "github.com/go-jose/go-jose/v4/json"
	"github.com/go-jose/go-jose/v4/jwt"
)

var fuzzAlgs = []Algorithm{HS256, RS256, ES256}

func fuzzVerifyKeys(k testKeys) []any {
	return []any{k.secret, &k.rsa.PublicKey, &k.ec.PublicKey}
}

// agree checks that whatever this package accepts, go-jose accepts with the
// same key and algorithms and reads the same way; it never panics.
func agree(t *testing.T, k testKeys, tok string) {
	for _, key := range fuzzVerifyKeys(k) {
		for _, algs := range [][]Algorithm{fuzzAlgs, {HS256}, {RS256}, {ES256}} {
			payload, err := ourVerify(tok, key, algs)
			if err != nil {
				continue
			}
			theirs, gerr := goJoseVerify(tok, key, algs)
			if gerr != nil {
				t.Fatalf("accepted here, refused by go-jose (%v) with key %T and %v: %q", gerr, key, algs, tok)
			}
			if !bytes.Equal(payload, theirs) {
				t.Fatalf("payloads differ: %q and %q", payload, theirs)
			}
			std, all, err := DecodeClaims(payload)
			if err != nil {
				continue
			}
			var g jwt.Claims
			var gall map[string]any
			if err := gojson.Unmarshal(payload, &g); err != nil {
				t.Fatalf("claims read here, refused by go-jose (%v): %q", err, payload)
			}
			if err := gojson.Unmarshal(payload, &gall); err != nil {
				t.Fatalf("claims read here, refused by go-jose (%v): %q", err, payload)
			}
			if std.Issuer != g.Issuer || std.Subject != g.Subject || std.ID != g.ID ||
				len(std.Audience) != len(g.Audience) || len(all) != len(gall) ||
				std.Expiry.Time() != g.Expiry.Time() || std.NotBefore.Time() != g.NotBefore.Time() || std.IssuedAt.Time() != g.IssuedAt.Time() {
				t.Fatalf("claims read differently: %+v and %+v from %q", std, g, payload)
			}
			for i := range std.Audience {
				if std.Audience[i] != g.Audience[i] {
					t.Fatalf("audiences differ: %q and %q", std.Audience, g.Audience)
				}
			}
		}
	}
}

// FuzzParseVerify feeds whole tokens to the parser and verifier.
func FuzzParseVerify(f *testing.F) {
	k := fixedKeys(f)
	for _, alg := range fuzzAlgs {
		var key any = map[Algorithm]any{HS256: k.secret, RS256: k.rsa, ES256: k.ec}[alg]
		f.Add(goJoseSign(f, gojose.SignatureAlgorithm(alg), key, "k1", claimsPayload))
		f.Add(handSign(f, alg, key, `{"alg":"`+string(alg)+`","crit":["b64"],"b64":false}`, `{}`))
	}
	tok, _ := Sign(HS256, k.secret, map[string]any{"typ": "JWT", "kid": "k", "iss": "c"}, claimsPayload)
	f.Add(tok)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		agree(t, k, tok)
	})
}

// FuzzSignedParts signs arbitrary header and payload bytes correctly, so
// that the header and claims rules are explored past the signature check.
func FuzzSignedParts(f *testing.F) {
	k := fixedKeys(f)
	f.Add(`{"alg":"HS256","typ":"JWT","kid":"k"}`, string(claimsPayload), uint8(0))
	f.Add(`{"alg":"RS256","kid":null}`, `{"aud":["a",1]}`, uint8(1))
	f.Add(`{"alg":"ES256","crit":["b64"],"b64":false}`, `{"exp":1e300}`, uint8(2))
	f.Add(`{"alg":"ES256","x5c":[]}`, `{"iss":"a","iss":"b"}`, uint8(2))
	f.Add(`{"alg":"RS256","nonce":1}`, `{"nbf":-1}`, uint8(1))
	f.Fuzz(func(t *testing.T, header, payload string, which uint8) {
		alg := fuzzAlgs[int(which)%len(fuzzAlgs)]
		var key any = map[Algorithm]any{HS256: k.secret, RS256: k.rsa, ES256: k.ec}[alg]
		agree(t, k, handSign(t, alg, key, header, payload))
	})
}
