package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// State any replica can check: session IDs and confirmation states are
// signed with HMAC-SHA256 under the session secret (--session-secret),
// shared by the replicas of one deployment; a random secret when none is
// given keeps them valid in this process only. Nothing here is secret from
// the client: the signature only makes it unforgeable.

// signer signs and checks small JSON claims. Each kind of token has its own
// prefix, so that a token of one kind is never taken for another.
type signer struct{ key []byte }

// minSessionSecret is the shortest --session-secret accepted.
const minSessionSecret = 32

func newSigner(secret []byte) *signer {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	return &signer{key: secret}
}

func (s *signer) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// sign renders kind.PAYLOAD.SIGNATURE, base64url without padding.
func (s *signer) sign(kind string, claims any) string {
	b, _ := json.Marshal(claims)
	msg := kind + "." + base64.RawURLEncoding.EncodeToString(b)
	return msg + "." + base64.RawURLEncoding.EncodeToString(s.mac(msg))
}

// verify checks a token of kind and decodes its claims.
func (s *signer) verify(kind, tok string, claims any) bool {
	if len(tok) > 4096 || !strings.HasPrefix(tok, kind+".") {
		return false
	}
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, s.mac(tok[:i])) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok[len(kind)+1 : i])
	return err == nil && json.Unmarshal(raw, claims) == nil
}

func nonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---- sessions ----

// sessionKind prefixes signed streamable HTTP session IDs.
const sessionKind = "s1"

// sessionLifetime bounds a signed session: after it, every replica refuses
// the ID (404) and the client starts a new session.
const sessionLifetime = 24 * time.Hour

// sessionClaims are what a signed session ID carries: whom it belongs to,
// whether the client can be asked to confirm (elicitation), the protocol
// version it asked for, and when it ends.
type sessionClaims struct {
	Nonce    string `json:"n"`
	Identity string `json:"sub"`
	Elicit   bool   `json:"el,omitempty"`
	Protocol string `json:"pv,omitempty"`
	Expires  int64  `json:"exp"`
}

type claimsKey struct{}
type initKey struct{}

// initInfo is what the server reads of an initialize request to put in the
// session ID it mints.
type initInfo struct {
	protocol string
	elicit   bool
}

// readInit reads the protocol version and the elicitation capability of an
// initialize request body.
func readInit(body []byte) initInfo {
	var m struct {
		Params struct {
			ProtocolVersion string `json:"protocolVersion"`
			Capabilities    struct {
				Elicitation json.RawMessage `json:"elicitation"`
			} `json:"capabilities"`
		} `json:"params"`
	}
	_ = json.Unmarshal(body, &m)
	el := m.Params.Capabilities.Elicitation
	return initInfo{protocol: m.Params.ProtocolVersion, elicit: len(el) > 0 && string(el) != "null"}
}

// sessionClaimsFrom returns the claims of the signed session a request
// names, as checked by the HTTP handler.
func sessionClaimsFrom(ctx context.Context) (sessionClaims, bool) {
	c, ok := ctx.Value(claimsKey{}).(sessionClaims)
	return c, ok
}

// clientCanElicit tells, from a session's claims, whether its client can be
// asked: it declared elicitation, with a protocol version that has it
// (2025-06-18 and later).
func (c sessionClaims) clientCanElicit() bool {
	return c.Elicit && c.Protocol >= "2025-06-18"
}

// signedSessions mints and checks signed session IDs for the streamable
// HTTP transport (a SessionIdManager per request, through the resolver).
type signedSessions struct {
	s   *signer
	now func() time.Time

	mu    sync.Mutex
	ended map[string]time.Time // sessions this replica closed -> their expiry
	// verified keeps the claims of IDs whose signature held, so that a
	// session's every request (checked twice: here and by mcp-go) does not
	// compute the HMAC again. The key is the whole ID, signature included.
	verified map[string]sessionClaims
}

// maxVerified bounds the verified IDs kept; when full, the cache starts over.
const maxVerified = 1024

func newSignedSessions(s *signer) *signedSessions {
	return &signedSessions{s: s, now: time.Now, ended: map[string]time.Time{}, verified: map[string]sessionClaims{}}
}

// check verifies a session ID: signed here or by another replica with the
// same secret, not expired, and not closed by this replica.
func (ss *signedSessions) check(id string) (sessionClaims, bool) {
	ss.mu.Lock()
	c, known := ss.verified[id]
	_, gone := ss.ended[id]
	ss.mu.Unlock()
	if !known {
		if !ss.s.verify(sessionKind, id, &c) {
			return c, false
		}
		ss.mu.Lock()
		if len(ss.verified) >= maxVerified {
			clear(ss.verified)
		}
		ss.verified[id] = c
		ss.mu.Unlock()
	}
	if gone || ss.now().Unix() >= c.Expires {
		return c, false
	}
	return c, true
}

// end records that this replica closed a session (deleted, idle, one too
// many), so that it is not taken up again here.
func (ss *signedSessions) end(id string) {
	var c sessionClaims
	if !ss.s.verify(sessionKind, id, &c) {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.verified, id)
	now := ss.now()
	if len(ss.ended) >= 4096 {
		for k, exp := range ss.ended {
			if now.Unix() >= exp.Unix() {
				delete(ss.ended, k)
			}
		}
	}
	ss.ended[id] = time.Unix(c.Expires, 0)
}

// ResolveSessionIdManager implements mcp-go's resolver: the manager of a
// request mints IDs from that request's caller and initialize message.
func (ss *signedSessions) ResolveSessionIdManager(r *http.Request) mcpserver.SessionIdManager {
	return sessionIDManagerFunc{ss: ss, r: r}
}

type sessionIDManagerFunc struct {
	ss *signedSessions
	r  *http.Request
}

// Generate mints the ID of a new session.
func (m sessionIDManagerFunc) Generate() string {
	c := sessionClaims{Nonce: nonce(), Expires: m.ss.now().Add(sessionLifetime).Unix()}
	if m.r != nil {
		c.Identity = identityKey(m.r.Context())
		if in, ok := m.r.Context().Value(initKey{}).(initInfo); ok {
			c.Elicit, c.Protocol = in.elicit, in.protocol
		}
	}
	if c.Protocol == "" {
		c.Protocol = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	return m.ss.s.sign(sessionKind, c)
}

var errBadSession = errors.New("session ID not valid here")

// Validate accepts any session ID whose signature and expiry hold.
func (m sessionIDManagerFunc) Validate(id string) (bool, error) {
	if _, ok := m.ss.check(id); !ok {
		return false, errBadSession
	}
	return false, nil
}

// Terminate ends a session on this replica.
func (m sessionIDManagerFunc) Terminate(id string) (bool, error) {
	m.ss.end(id)
	return false, nil
}

// ---- confirmations ----

const confirmKind = "c1"

// confirmClaims bind a confirmation question to its caller, tool and
// arguments, for a short time.
type confirmClaims struct {
	Nonce    string `json:"n"`
	Identity string `json:"sub"`
	Tool     string `json:"tool"`
	Args     string `json:"args"`
	Expires  int64  `json:"exp"`
}
