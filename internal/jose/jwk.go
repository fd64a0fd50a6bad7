package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// JWK is one public signing key of a key set.
type JWK struct {
	Key       any    // *rsa.PublicKey or *ecdsa.PublicKey (P-256)
	KeyID     string // kid
	Algorithm string // alg, if the set names one
	Use       string // use: "" or "sig"
}

// Fits reports whether the key may verify a token signed with alg: its type
// fits and, if the set names an algorithm for it, it is alg.
func (k JWK) Fits(alg Algorithm) bool {
	if k.Algorithm != "" && Algorithm(k.Algorithm) != alg {
		return false
	}
	switch k.Key.(type) {
	case *rsa.PublicKey:
		return alg == RS256
	case *ecdsa.PublicKey:
		return alg == ES256
	}
	return false
}

// maxKeys bounds the keys kept from one set.
const maxKeys = 100

// ParseKeySet reads a JSON Web Key Set, keeping the public RSA keys (2048 to
// 8192 bits) and EC P-256 keys meant for signatures. Keys of another type or
// curve, for encryption, holding private parts or malformed are skipped, so
// one odd key never makes the whole set unusable. It fails only when the
// document is not a key set at all.
func ParseKeySet(b []byte) ([]JWK, error) {
	set, err := decodeObject(b)
	if err != nil {
		return nil, err
	}
	var keys []json.RawMessage
	if raw, ok := set["keys"]; !ok || json.Unmarshal(raw, &keys) != nil {
		return nil, errors.New(`no "keys" list`)
	}
	var out []JWK
	for _, raw := range keys {
		if k, ok := parseJWK(raw); ok && len(out) < maxKeys {
			out = append(out, k)
		}
	}
	return out, nil
}

func parseJWK(raw json.RawMessage) (JWK, bool) {
	m, err := decodeObject(raw)
	if err != nil {
		return JWK{}, false
	}
	str := func(name string) (string, bool) {
		v, present := m[name]
		if !present {
			return "", true
		}
		var s string
		if v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}
	bytesOf := func(name string) ([]byte, bool) {
		s, ok := str(name)
		if !ok || s == "" {
			return nil, false
		}
		b, err := decodeSegment(s)
		return b, err == nil
	}
	var k JWK
	var kty, crv string
	for _, f := range []struct {
		name string
		to   *string
	}{{"kty", &kty}, {"crv", &crv}, {"kid", &k.KeyID}, {"alg", &k.Algorithm}, {"use", &k.Use}} {
		s, ok := str(f.name)
		if !ok {
			return JWK{}, false
		}
		*f.to = s
	}
	if k.Use != "" && k.Use != "sig" {
		return JWK{}, false
	}
	if ops, present := m["key_ops"]; present {
		var list []string
		if json.Unmarshal(ops, &list) != nil || !slices.Contains(list, "verify") {
			return JWK{}, false
		}
	}
	// A private part in a published set is a mistake: do not use the key.
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, present := m[private]; present {
			return JWK{}, false
		}
	}
	switch kty {
	case "RSA":
		n, ok1 := bytesOf("n")
		e, ok2 := bytesOf("e")
		if !ok1 || !ok2 || len(e) > 4 {
			return JWK{}, false
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if checkRSA(pub) != nil {
			return JWK{}, false
		}
		k.Key = pub
	case "EC":
		x, ok1 := bytesOf("x")
		y, ok2 := bytesOf("y")
		if crv != "P-256" || !ok1 || !ok2 || len(x) != 32 || len(y) != 32 {
			return JWK{}, false
		}
		// Refuses a point not on the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return JWK{}, false
		}
		k.Key = pub
	default:
		return JWK{}, false
	}
	if k.Algorithm != "" && !k.Fits(Algorithm(k.Algorithm)) {
		return JWK{}, false
	}
	return k, true
}

// MarshalJSON writes the public key as a JWK.
func (k JWK) MarshalJSON() ([]byte, error) {
	m := map[string]string{}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64.EncodeToString(pub.N.Bytes())
		m["e"] = b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return nil, errors.New("jose: only P-256 EC keys are written")
		}
		point, err := pub.Bytes()
		if err != nil {
			return nil, fmt.Errorf("jose: %w", err)
		}
		m["kty"], m["crv"] = "EC", "P-256"
		m["x"] = b64.EncodeToString(point[1:33])
		m["y"] = b64.EncodeToString(point[33:])
	default:
		return nil, fmt.Errorf("jose: cannot write a %T as a JWK", k.Key)
	}
	for name, v := range map[string]string{"kid": k.KeyID, "alg": k.Algorithm, "use": k.Use} {
		if v != "" {
			m[name] = v
		}
	}
	return json.Marshal(m)
}

// KeySet is a JSON Web Key Set as written.
type KeySet struct {
	Keys []JWK `json:"keys"`
}
