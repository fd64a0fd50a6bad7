package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"
)

var enc = base64.RawURLEncoding

// handSign builds a compact JWS from raw header and payload bytes with the
// standard library alone, whatever the header says.
func handSign(t testing.TB, alg Algorithm, key any, header, payload string) string {
	t.Helper()
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return in + "." + enc.EncodeToString(rawSignature(t, alg, key, in))
}

func rawSignature(t testing.TB, alg Algorithm, key any, in string) []byte {
	t.Helper()
	digest := sha256.Sum256([]byte(in))
	switch alg {
	case HS256:
		m := hmac.New(sha256.New, key.([]byte))
		m.Write([]byte(in))
		return m.Sum(nil)
	case RS256:
		sig, err := rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), crypto.SHA256, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case ES256:
		r, s, err := ecdsa.Sign(nil, key.(*ecdsa.PrivateKey), digest[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
	t.Fatalf("no signer for %s", alg)
	return nil
}

func TestRefusals(t *testing.T) {
	k := fixedKeys(t)
	const body = `{"sub":"dave"}`
	rsaPub := &k.rsa.PublicKey
	pubDER, _ := x509.MarshalPKIXPublicKey(rsaPub)
	good := handSign(t, RS256, k.rsa, `{"alg":"RS256","typ":"JWT"}`, body)
	parts := strings.Split(good, ".")
	all := []Algorithm{HS256, RS256, ES256}
	for _, c := range []struct {
		name  string
		tok   string
		key   any
		algs  []Algorithm
		error error
	}{
		{"alg none", enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", rsaPub, all, ErrMalformed},
		{"alg none, a signature", enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "." + parts[2], rsaPub, append(all, "none"), ErrAlgorithm},
		{"no alg", handSign(t, RS256, k.rsa, `{"typ":"JWT"}`, body), rsaPub, all, ErrAlgorithm},
		{"alg not allowed", good, rsaPub, []Algorithm{ES256}, ErrAlgorithm},
		// The RSA public key used as an HMAC secret: the classic confusion.
		{"HS256 with the RSA public key as secret", handSign(t, HS256, pubDER, `{"alg":"HS256"}`, body), rsaPub, all, ErrKey},
		{"RS256 token, EC key", good, &k.ec.PublicKey, all, ErrKey},
		{"ES256 token, RSA key", handSign(t, ES256, k.ec, `{"alg":"ES256"}`, body), rsaPub, all, ErrKey},
		{"HS256, short secret", handSign(t, HS256, []byte("short"), `{"alg":"HS256"}`, body), []byte("short"), all, ErrKey},
		{"RSA key under 2048 bits", handSign(t, RS256, k.rsa1k, `{"alg":"RS256"}`, body), &k.rsa1k.PublicKey, all, ErrKey},
		{"unknown crit", handSign(t, RS256, k.rsa, `{"alg":"RS256","crit":["exp"],"exp":1}`, body), rsaPub, all, ErrMalformed},
		{"b64 crit", handSign(t, RS256, k.rsa, `{"alg":"RS256","crit":["b64"],"b64":true}`, body), rsaPub, all, ErrMalformed},
		// Signed over the encoded payload, as this package reads it; go-jose
		// honours b64 without crit and checks the raw payload instead.
		{"b64 false, not critical", handSign(t, RS256, k.rsa, `{"alg":"RS256","b64":false}`, body), rsaPub, all, ErrMalformed},
		{"b64 true, not critical", handSign(t, RS256, k.rsa, `{"alg":"RS256","b64":true}`, body), rsaPub, all, ErrMalformed},
		{"embedded jwk", handSign(t, RS256, k.rsa, `{"alg":"RS256","jwk":{"kty":"oct","k":"AAAA"}}`, body), rsaPub, all, ErrMalformed},
		{"alg twice", handSign(t, RS256, k.rsa, `{"alg":"RS256","alg":"RS256"}`, body), rsaPub, all, ErrMalformed},
		{"ALG in capitals", handSign(t, RS256, k.rsa, `{"ALG":"RS256"}`, body), rsaPub, all, ErrAlgorithm},
		{"alg not a string", handSign(t, RS256, k.rsa, `{"alg":["RS256"]}`, body), rsaPub, all, ErrMalformed},
		{"kid not a string", handSign(t, RS256, k.rsa, `{"alg":"RS256","kid":7}`, body), rsaPub, all, ErrMalformed},
		{"header not an object", handSign(t, RS256, k.rsa, `["RS256"]`, body), rsaPub, all, ErrMalformed},
		{"data after the header", handSign(t, RS256, k.rsa, `{"alg":"RS256"}{}`, body), rsaPub, all, ErrMalformed},
		{"padding", good + "==", rsaPub, all, ErrMalformed},
		{"padded header", enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "=." + parts[1] + "." + parts[2], rsaPub, all, ErrMalformed},
		{"standard alphabet", strings.Replace(good, parts[2], base64.RawStdEncoding.EncodeToString([]byte{0xfb, 0xff}), 1), rsaPub, all, ErrMalformed},
		{"line break", parts[0] + "." + parts[1][:4] + "\n" + parts[1][4:] + "." + parts[2], rsaPub, all, ErrMalformed},
		{"extra segment", good + ".", rsaPub, all, ErrMalformed},
		{"five segments (JWE)", good + ".a.b", rsaPub, all, ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], rsaPub, all, ErrMalformed},
		{"empty signature", parts[0] + "." + parts[1] + ".", rsaPub, all, ErrMalformed},
		{"oversized", handSign(t, RS256, k.rsa, `{"alg":"RS256"}`, `{"x":"`+strings.Repeat("a", MaxTokenSize)+`"}`), rsaPub, all, ErrMalformed},
		{"ES256 signature of 65 bytes", enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + parts[1] + "." + enc.EncodeToString(make([]byte, 65)), &k.ec.PublicKey, all, ErrSignature},
		{"ES256 DER signature", func() string {
			in := enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + parts[1]
			d := sha256.Sum256([]byte(in))
			der, _ := ecdsa.SignASN1(nil, k.ec, d[:])
			return in + "." + enc.EncodeToString(der)
		}(), &k.ec.PublicKey, all, ErrSignature},
		{"ES256 zero signature", enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + parts[1] + "." + enc.EncodeToString(make([]byte, 64)), &k.ec.PublicKey, all, ErrSignature},
		{"wrong signature", parts[0] + "." + parts[1] + "." + enc.EncodeToString(make([]byte, 256)), rsaPub, all, ErrSignature},
	} {
		_, err := ourVerify(c.tok, c.key, c.algs)
		if !errors.Is(err, c.error) {
			t.Errorf("%s: %v, want %v", c.name, err, c.error)
		}
	}
	if _, err := ourVerify(good, rsaPub, all); err != nil {
		t.Errorf("the unaltered token: %v", err)
	}
}

func TestSignRefusals(t *testing.T) {
	k := fixedKeys(t)
	for name, f := range map[string]func() (string, error){
		"alg header":     func() (string, error) { return Sign(HS256, k.secret, map[string]any{"alg": "none"}, nil) },
		"crit header":    func() (string, error) { return Sign(HS256, k.secret, map[string]any{"crit": []string{"x"}}, nil) },
		"short secret":   func() (string, error) { return Sign(HS256, []byte("short"), nil, nil) },
		"RSA public key": func() (string, error) { return Sign(HS256, &k.rsa.PublicKey, nil, nil) },
		"1024-bit key":   func() (string, error) { return Sign(RS256, k.rsa1k, nil, nil) },
		"none":           func() (string, error) { return Sign("none", nil, nil, nil) },
		"ES256":          func() (string, error) { return Sign(ES256, k.ec, nil, nil) },
	} {
		if tok, err := f(); err == nil {
			t.Errorf("%s: signed %q", name, tok)
		}
	}
}

func TestKeySet(t *testing.T) {
	k := fixedKeys(t)
	ecPub := &k.ec.PublicKey
	point, _ := ecPub.Bytes()
	x, y := enc.EncodeToString(point[1:33]), enc.EncodeToString(point[33:])
	// y+1 is almost surely not on the curve.
	yb := append([]byte{}, point[33:]...)
	yb[31] ^= 1
	offCurve := enc.EncodeToString(yb)
	n := enc.EncodeToString(k.rsa.N.Bytes())
	n1k := enc.EncodeToString(k.rsa1k.N.Bytes())
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), nil)
	p384b, _ := p384.PublicKey.Bytes()
	set := `{"keys":[
		{"kty":"RSA","kid":"r1","use":"sig","alg":"RS256","n":"` + n + `","e":"AQAB"},
		{"kty":"EC","kid":"e1","crv":"P-256","x":"` + x + `","y":"` + y + `"},
		{"kty":"oct","kid":"o1","k":"AAAA"},
		{"kty":"EC","kid":"p384","crv":"P-384","x":"` + enc.EncodeToString(p384b[1:49]) + `","y":"` + enc.EncodeToString(p384b[49:]) + `"},
		{"kty":"EC","kid":"off","crv":"P-256","x":"` + x + `","y":"` + offCurve + `"},
		{"kty":"RSA","kid":"enc","use":"enc","n":"` + n + `","e":"AQAB"},
		{"kty":"RSA","kid":"short","n":"` + n1k + `","e":"AQAB"},
		{"kty":"RSA","kid":"even","n":"` + n + `","e":"AAI"},
		{"kty":"RSA","kid":"huge-e","n":"` + n + `","e":"_____w"},
		{"kty":"RSA","kid":"padded","n":"` + n + `==","e":"AQAB"},
		{"kty":"RSA","kid":"private","n":"` + n + `","e":"AQAB","d":"AQAB"},
		{"kty":"RSA","kid":"ps","alg":"PS256","n":"` + n + `","e":"AQAB"},
		{"kty":"RSA","kid":"ops","key_ops":["encrypt"],"n":"` + n + `","e":"AQAB"},
		{"kty":"RSA","kid":7,"n":"` + n + `","e":"AQAB"},
		{"kty":"EC","kid":"short-x","crv":"P-256","x":"AAAA","y":"` + y + `"},
		"not a key",
		{"kty":"RSA","kid":"r2","n":"` + n + `","e":"AQAB","x5c":["whatever"]}
	]}`
	keys, err := ParseKeySet([]byte(set))
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, key := range keys {
		kids = append(kids, key.KeyID)
	}
	if strings.Join(kids, ",") != "r1,e1,r2" {
		t.Fatalf("kept %v, want r1, e1 and r2", kids)
	}
	if !keys[0].Fits(RS256) || keys[0].Fits(ES256) || keys[0].Fits(HS256) || !keys[1].Fits(ES256) || keys[1].Fits(RS256) {
		t.Error("Fits does not follow the key type")
	}
	tok := goJoseSign(t, gojose.ES256, k.ec, "e1", claimsPayload)
	parsed, _ := Parse(tok, ES256)
	if _, err := parsed.Verify(keys[1].Key); err != nil {
		t.Errorf("a key read from the set does not verify: %v", err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"keys":{}}`, `not json`, `{"keys":[]} x`} {
		if _, err := ParseKeySet([]byte(bad)); err == nil {
			t.Errorf("%s read as a key set", bad)
		}
	}
}

// TestKeySetAgreesWithGoJose: a set go-jose writes reads here with the same
// keys, and a set written here reads under go-jose with the same keys.
func TestKeySetAgreesWithGoJose(t *testing.T) {
	k := fixedKeys(t)
	theirs, _ := json.Marshal(gojose.JSONWebKeySet{Keys: []gojose.JSONWebKey{
		{Key: &k.rsa.PublicKey, KeyID: "r", Use: "sig", Algorithm: "RS256"},
		{Key: &k.ec.PublicKey, KeyID: "e", Use: "sig"},
	}})
	keys, err := ParseKeySet(theirs)
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	if !k.rsa.PublicKey.Equal(keys[0].Key) || !k.ec.PublicKey.Equal(keys[1].Key) || keys[0].Algorithm != "RS256" || keys[1].Use != "sig" {
		t.Errorf("go-jose's set read as %+v", keys)
	}
	ours, err := json.Marshal(KeySet{Keys: []JWK{
		{Key: &k.rsa.PublicKey, KeyID: "r", Use: "sig", Algorithm: "RS256"},
		{Key: &k.ec.PublicKey, KeyID: "e"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var back gojose.JSONWebKeySet
	if err := json.Unmarshal(ours, &back); err != nil || len(back.Keys) != 2 {
		t.Fatalf("go-jose reads our set: %v", err)
	}
	if !k.rsa.PublicKey.Equal(back.Keys[0].Key) || !k.ec.PublicKey.Equal(back.Keys[1].Key) || back.Keys[0].KeyID != "r" || back.Keys[0].Algorithm != "RS256" {
		t.Errorf("our set read by go-jose as %+v", back.Keys)
	}
}

func TestDecodeClaims(t *testing.T) {
	std, all, err := DecodeClaims([]byte(`{"iss":"i","sub":"s","aud":"a","exp":10.7,"nbf":5,"iat":4,"jti":"j","scp":["x"],"n":1}`))
	if err != nil || std.Issuer != "i" || std.Subject != "s" || len(std.Audience) != 1 || std.Audience[0] != "a" ||
		*std.Expiry != 10 || *std.NotBefore != 5 || *std.IssuedAt != 4 || std.ID != "j" || all["n"] != 1.0 || all["sub"] != "s" {
		t.Fatalf("%+v %v %v", std, all, err)
	}
	for _, bad := range []string{
		`{"iss":null}`, `{"sub":1}`, `{"aud":[null]}`, `{"aud":null}`, `{"exp":"1"}`, `{"exp":null}`,
		`{"exp":5e18}`, `{"sub":"a","sub":"b"}`, `[]`, `null`, `{"x":1e400}`, `{} {}`,
	} {
		if _, _, err := DecodeClaims([]byte(bad)); !errors.Is(err, ErrClaims) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	// Case matters: "EXP" is not exp.
	if std, _, err := DecodeClaims([]byte(`{"EXP":1,"Sub":"x"}`)); err != nil || std.Expiry != nil || std.Subject != "" {
		t.Errorf("case-folded names read as registered claims: %+v %v", std, err)
	}
}
