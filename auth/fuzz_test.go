package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// FuzzTokenFile parses arbitrary token files: never a panic, every entry
// it accepts has a usable identifier, and no error repeats a token.
func FuzzTokenFile(f *testing.F) {
	f.Add("alice 0123456789abcdef0123\n")
	f.Add("# comment\n\nbob sha256:" + strings.Repeat("ab", 32) + "\n")
	f.Add("carol short\n")
	f.Add("dave tok en extra\n")
	f.Add("a\x01b 0123456789abcdef0123\n")
	f.Add("x 0123456789abcdef0123\ny 0123456789abcdef0123\n")
	f.Add("z sha256:zz\n")
	f.Fuzz(func(t *testing.T, content string) {
		entries, err := parseTokens([]byte(content))
		if err != nil {
			for _, field := range strings.Fields(content) {
				if len(field) >= MinTokenLength && !strings.HasPrefix(field, "sha256:") && strings.Contains(err.Error(), field) && !strings.Contains(content, field+" ") {
					t.Fatalf("error %q repeats a token", err)
				}
			}
			return
		}
		if len(entries) == 0 {
			t.Fatal("no entries and no error")
		}
		for _, e := range entries {
			if CheckIdentifier(e.id) != nil {
				t.Fatalf("accepted identifier %q", e.id)
			}
		}
	})
}

// FuzzJWT feeds arbitrary strings to the verifier: never a panic, never an
// identity without a valid signature from the configured key.
func FuzzJWT(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v, err := NewJWT(JWTConfig{PublicKeyPEM: pemOfF(f, &key.PublicKey), Issuer: "https://idp.example", Audience: "tableau-mcp", Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	good := signF(f, key, map[string]any{"iss": "https://idp.example", "aud": "tableau-mcp", "sub": "dave", "exp": now.Add(time.Hour).Unix()})
	f.Add(good)
	parts := strings.Split(good, ".")
	f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
	f.Add(parts[0] + "." + parts[1] + ".AAAA")
	f.Add("a.b.c")
	f.Add("")
	f.Add("....")
	f.Add(parts[0] + ".eyJzdWIiOiJtYWxsb3J5In0." + parts[2])
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(t.Context(), raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("error not marked invalid credentials: %v", err)
			}
			return
		}
		if raw != good {
			// Accepting another string is possible only as a re-encoding
			// of the same signed token; it must name the same identity.
			if id != "dave" {
				t.Fatalf("%q accepted as %q", raw, id)
			}
		}
	})
}

func signF(f *testing.F, key *ecdsa.PrivateKey, claims map[string]any) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		f.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		f.Fatal(err)
	}
	return tok
}

func pemOfF(f *testing.F, pub any) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
