// Package jose signs and verifies compact JSON Web Signatures (RFC 7515)
// and reads JSON Web Tokens (RFC 7519) and JSON Web Key Sets (RFC 7517) for
// the few uses tableau-mcp has: HS256 and RS256 signing, and HS256, RS256
// and ES256 verification. The standard library does the cryptography; this
// package only frames it, and refuses whatever it does not need: every
// caller names the algorithms it accepts, "none" is never one of them, a key
// is used only with the algorithm of its type, and no header the package does
// not understand is marked critical.
package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// Algorithm is a JWS "alg" value.
type Algorithm string

// The algorithms this package knows.
const (
	HS256 Algorithm = "HS256" // HMAC with SHA-256; the key is a []byte of 32 bytes or more
	RS256 Algorithm = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256; RSA keys of 2048 to 8192 bits
	ES256 Algorithm = "ES256" // ECDSA on P-256 with SHA-256; signature r||s, 64 bytes
)

// MaxTokenSize bounds the compact serialization Parse reads, in bytes.
// Access tokens with many claims stay well under it; anything longer is
// refused before any decoding.
const MaxTokenSize = 16 << 10

// Key size bounds: RFC 7518 §3.2 (HMAC key at least the hash size), §3.3
// (RSA at least 2048 bits); the upper RSA bound keeps verification cheap.
const (
	minHMACKey = 32
	minRSABits = 2048
	maxRSABits = 8192
)

// Errors Parse and Verify wrap; errors.Is tells them apart.
var (
	ErrMalformed = errors.New("malformed JWS")
	ErrAlgorithm = errors.New("algorithm not allowed")
	ErrKey       = errors.New("key not usable with the token's algorithm")
	ErrSignature = errors.New("signature not valid")
)

var b64 = base64.RawURLEncoding.Strict()

// Header is a token's protected header.
type Header struct {
	Algorithm Algorithm
	KeyID     string
	Type      string
	// Members holds every header member (alg, kid and typ included) decoded
	// as encoding/json decodes into an any.
	Members map[string]any
}

// String returns the header member name if it is a string.
func (h Header) String(name string) (string, bool) {
	s, ok := h.Members[name].(string)
	return s, ok
}

// Token is a parsed compact JWS whose signature is not checked yet.
type Token struct {
	Header       Header
	signingInput string
	payload      []byte
	signature    []byte
}

// Parse reads a compact JWS (header.payload.signature, each base64url
// without padding). The header's alg must be one of allowed. It checks the
// form only: Verify checks the signature.
func Parse(token string, allowed ...Algorithm) (*Token, error) {
	if len(allowed) == 0 {
		return nil, fmt.Errorf("%w: no algorithm allowed", ErrAlgorithm)
	}
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxTokenSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d segments, want 3", ErrMalformed, len(parts))
	}
	var raw [3][]byte
	for i, p := range parts {
		if p == "" && i != 1 {
			return nil, fmt.Errorf("%w: segment %d is empty", ErrMalformed, i+1)
		}
		b, err := decodeSegment(p)
		if err != nil {
			return nil, fmt.Errorf("%w: segment %d: %v", ErrMalformed, i+1, err)
		}
		raw[i] = b
	}
	h, err := parseHeader(raw[0])
	if err != nil {
		return nil, err
	}
	ok := false
	for _, a := range allowed {
		if a == h.Algorithm && a != "" {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, h.Algorithm)
	}
	return &Token{
		Header:       h,
		signingInput: token[:len(parts[0])+1+len(parts[1])],
		payload:      raw[1],
		signature:    raw[2],
	}, nil
}

// decodeSegment decodes base64url without padding, refusing anything the
// alphabet does not hold (the standard decoder skips line breaks).
func decodeSegment(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("byte %d is not base64url", i)
		}
	}
	return b64.DecodeString(s)
}

func parseHeader(raw []byte) (Header, error) {
	members, err := decodeObject(raw)
	if err != nil {
		return Header{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	h := Header{Members: make(map[string]any, len(members))}
	for name, v := range members {
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return Header{}, fmt.Errorf("%w: header %q: %v", ErrMalformed, name, err)
		}
		h.Members[name] = x
	}
	str := func(name string) (string, error) {
		v, present := h.Members[name]
		if !present {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%w: header %q is not a string", ErrMalformed, name)
		}
		return s, nil
	}
	alg, err := str("alg")
	if err != nil {
		return Header{}, err
	}
	h.Algorithm = Algorithm(alg)
	if h.KeyID, err = str("kid"); err != nil {
		return Header{}, err
	}
	if h.Type, err = str("typ"); err != nil {
		return Header{}, err
	}
	for _, name := range []string{"cty", "nonce"} {
		if _, err := str(name); err != nil {
			return Header{}, err
		}
	}
	// No extension is understood, so any critical one is unknown (RFC 7515
	// §4.1.11). A key the token carries itself is never trusted: refuse it
	// rather than ignore it. "b64" (RFC 7797) says whether the payload is
	// signed base64url-encoded or as it is: a reader that honours it checks
	// the signature over other bytes than this one does, so a token that
	// says it at all is refused rather than read one way of two.
	for _, name := range []string{"crit", "jwk", "x5c", "b64"} {
		if _, present := h.Members[name]; present {
			return Header{}, fmt.Errorf("%w: header %q is not supported", ErrMalformed, name)
		}
	}
	return h, nil
}

// decodeObject reads one JSON object into its members, matching names
// exactly (encoding/json would fold case into a struct), and refuses a name
// given twice and anything after the object.
func decodeObject(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := t.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("member %q appears twice", name)
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

// Verify checks the signature with key and returns the payload. The key's
// type must fit the token's algorithm: []byte for HS256, *rsa.PublicKey for
// RS256, *ecdsa.PublicKey on P-256 for ES256.
func (t *Token) Verify(key any) ([]byte, error) {
	if err := verify(t.Header.Algorithm, key, []byte(t.signingInput), t.signature); err != nil {
		return nil, err
	}
	return t.payload, nil
}

func verify(alg Algorithm, key any, input, sig []byte) error {
	digest := sha256.Sum256(input)
	switch alg {
	case HS256:
		k, ok := key.([]byte)
		if !ok || len(k) < minHMACKey {
			return fmt.Errorf("%w: HS256 needs a secret of %d bytes or more", ErrKey, minHMACKey)
		}
		m := hmac.New(sha256.New, k)
		m.Write(input)
		if !hmac.Equal(m.Sum(nil), sig) {
			return ErrSignature
		}
		return nil
	case RS256:
		k, ok := key.(*rsa.PublicKey)
		if !ok || k == nil || k.N == nil {
			return fmt.Errorf("%w: RS256 needs an RSA public key", ErrKey)
		}
		if err := checkRSA(k); err != nil {
			return err
		}
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) != nil {
			return ErrSignature
		}
		return nil
	case ES256:
		k, ok := key.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ES256 needs an ECDSA P-256 public key", ErrKey)
		}
		if len(sig) != 64 {
			return fmt.Errorf("%w: an ES256 signature is 64 bytes, not %d", ErrSignature, len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(k, digest[:], r, s) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %q", ErrAlgorithm, alg)
}

// CheckRSAPublicKey reports whether k can verify RS256 tokens here: a
// configured key is checked once, at start, instead of failing every token.
func CheckRSAPublicKey(k *rsa.PublicKey) error { return checkRSA(k) }

func checkRSA(k *rsa.PublicKey) error {
	if n := k.N.BitLen(); n < minRSABits || n > maxRSABits {
		return fmt.Errorf("%w: an RSA key of %d bits (RS256 takes %d to %d)", ErrKey, n, minRSABits, maxRSABits)
	}
	if k.E < 3 || k.E%2 == 0 || k.E > 1<<31-1 {
		return fmt.Errorf("%w: RSA public exponent %d", ErrKey, k.E)
	}
	return nil
}

// Sign makes a compact JWS of payload with alg and key: []byte (32 bytes or
// more) for HS256, *rsa.PrivateKey for RS256. header adds members to the
// protected header (such as typ and kid); alg is set here and crit is refused.
func Sign(alg Algorithm, key any, header map[string]any, payload []byte) (string, error) {
	h := make(map[string]any, len(header)+1)
	for k, v := range header {
		if k == "alg" || k == "crit" {
			return "", fmt.Errorf("jose: header %q cannot be set", k)
		}
		h[k] = v
	}
	h["alg"] = string(alg)
	hj, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("jose: header: %w", err)
	}
	input := b64.EncodeToString(hj) + "." + b64.EncodeToString(payload)
	var sig []byte
	switch alg {
	case HS256:
		k, ok := key.([]byte)
		if !ok || len(k) < minHMACKey {
			return "", fmt.Errorf("jose: %w: HS256 needs a secret of %d bytes or more", ErrKey, minHMACKey)
		}
		m := hmac.New(sha256.New, k)
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case RS256:
		k, ok := key.(*rsa.PrivateKey)
		if !ok || k == nil {
			return "", fmt.Errorf("jose: %w: RS256 needs an RSA private key", ErrKey)
		}
		if err := checkRSA(&k.PublicKey); err != nil {
			return "", fmt.Errorf("jose: %w", err)
		}
		digest := sha256.Sum256([]byte(input))
		if sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:]); err != nil {
			return "", fmt.Errorf("jose: RS256: %w", err)
		}
	default:
		return "", fmt.Errorf("jose: %w: cannot sign with %q", ErrAlgorithm, alg)
	}
	return input + "." + b64.EncodeToString(sig), nil
}
