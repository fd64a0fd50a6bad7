package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	jose "github.com/go-jose/go-jose/v4"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// TestJWTOutlivesAJWKSOutage: the identity provider's key set endpoint
// answers once, then fails (an error status, no answer at all, or a body
// that is no key set). Past the key set's ten minutes, tokens signed with
// the keys read still verify, for 24 hours past the expiry; refreshes are
// tried at most once a minute, each failure logged with the URL and the
// error; after the 24 hours tokens fail saying since when the keys could
// not be refreshed; once the endpoint answers again, tokens verify and the
// recovery is logged.
func TestJWTOutlivesAJWKSOutage(t *testing.T) {
	for _, mode := range []string{"500", "timeout", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k1.PublicKey, KeyID: "k1", Use: "sig"}}})
			var fetches atomic.Int32
			var down atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fetches.Add(1)
				if !down.Load() {
					w.Write(set)
					return
				}
				switch mode {
				case "500":
					http.Error(w, "internal error", http.StatusInternalServerError)
				case "timeout":
					<-r.Context().Done() // the client gives up first
				case "garbage":
					w.Write([]byte("<html>maintenance</html>"))
				}
			}))
			defer srv.Close()
			core, logs := observer.New(zapcore.InfoLevel)
			clock := &testClock{t: now}
			v, err := NewJWT(JWTConfig{
				JWKSURL: srv.URL, Issuer: "https://idp.example", Audience: "tableau-mcp",
				Now: clock.Now, Logger: zap.New(core),
				HTTPClient: &http.Client{Timeout: 200 * time.Millisecond},
			})
			if err != nil {
				t.Fatal(err)
			}
			at := func(d time.Duration) time.Time { return now.Add(d) }
			token := func(kid string) string {
				return sign(t, signerKey{jose.ES256, k1, kid}, claims(map[string]any{"exp": clock.Now().Add(time.Hour).Unix()}))
			}
			verify := func(kid string) error {
				_, err := v.Verify(t.Context(), token(kid))
				return err
			}
			if err := verify("k1"); err != nil {
				t.Fatal(err)
			}
			down.Store(true)

			// The set has expired: one refresh, which fails; the keys serve.
			clock.set(at(11 * time.Minute))
			if err := verify("k1"); err != nil {
				t.Fatalf("a token just after the key set expired, the IdP failing: %v", err)
			}
			if n := fetches.Load(); n != 2 {
				t.Fatalf("%d fetches, want 2 (the first and one refresh)", n)
			}
			warns := logs.FilterLevelExact(zapcore.WarnLevel).All()
			if len(warns) != 1 {
				t.Fatalf("%d warnings for one failed refresh, want 1: %v", len(warns), logs.All())
			}
			f := warns[0].ContextMap()
			if f["url"] != srv.URL || f["error"] == nil || f["error"] == "" {
				t.Errorf("the warning names neither the URL nor the error: %v", f)
			}
			// Within the minute: no new attempt, whatever the tokens.
			clock.set(at(11*time.Minute + 30*time.Second))
			for range 3 {
				if err := verify("k1"); err != nil {
					t.Fatal(err)
				}
				if err := verify("made-up"); err == nil {
					t.Fatal("a token with an unknown kid verified")
				}
			}
			if n := fetches.Load(); n != 2 {
				t.Fatalf("%d fetches within a minute of a failed one, want still 2", n)
			}
			// A minute later: one more attempt, the keys still serve, the
			// unknown kid makes no second attempt.
			clock.set(at(12*time.Minute + 30*time.Second))
			if err := verify("made-up"); err == nil {
				t.Fatal("a token with an unknown kid verified")
			}
			if err := verify("k1"); err != nil {
				t.Fatal(err)
			}
			if n := fetches.Load(); n != 3 {
				t.Fatalf("%d fetches a minute after a failed one, want 3", n)
			}
			// Almost 24 hours past the expiry: still served.
			clock.set(at(10*time.Minute + 24*time.Hour - time.Second))
			if err := verify("k1"); err != nil {
				t.Fatalf("a token just under 24 hours past the key set's expiry: %v", err)
			}
			// Past the bound: tokens fail, saying since when.
			clock.set(at(10*time.Minute + 24*time.Hour + 2*time.Minute))
			err = verify("k1")
			if err == nil || !strings.Contains(err.Error(), "could not be refreshed since "+at(11*time.Minute).Format(time.RFC3339)) {
				t.Fatalf("a token 24 hours past the key set's expiry, the IdP still failing: %v", err)
			}
			// The IdP answers again: a minute later the keys are fresh.
			down.Store(false)
			clock.set(at(10*time.Minute + 24*time.Hour + 3*time.Minute))
			if err := verify("k1"); err != nil {
				t.Fatalf("once the IdP answers again: %v", err)
			}
			if got := logs.FilterMessage("the JWKS is fresh again").Len(); got != 1 {
				t.Errorf("%d logs of the recovery, want 1", got)
			}
			for _, e := range logs.All() {
				for _, v := range e.ContextMap() {
					if s, ok := v.(string); ok && strings.Contains(s, "eyJ") {
						t.Errorf("a log entry holds a token: %v", e.ContextMap())
					}
				}
			}
		})
	}
}

// A start while the key set endpoint fails: the first request fetches and
// fails; the requests of the next five seconds fail with that error without
// fetching again; then one fetch is tried, and once the endpoint answers,
// tokens verify.
func TestJWTFirstKeySetFetchIsNotRepeatedPerRequest(t *testing.T) {
	idp := newFlakyJWKS(t, http.StatusInternalServerError)
	idp.down.Store(true)
	k1, srv, fetches := idp.key, idp.srv, &idp.fetches
	clock := &testClock{t: now}
	v, err := NewJWT(JWTConfig{JWKSURL: srv.URL, Issuer: "https://idp.example", Audience: "tableau-mcp", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		tok := sign(t, signerKey{jose.ES256, k1, "k1"}, claims(map[string]any{"exp": clock.Now().Add(time.Hour).Unix()}))
		_, err := v.Verify(t.Context(), tok)
		return err
	}
	if err := verify(); err == nil {
		t.Fatal("a token verified with no key set readable")
	}
	for range 20 {
		err := verify()
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "next attempt") {
			t.Fatalf("a request within the retry bound: %v, want the failed fetch's error and when it is tried again", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 21 requests within five seconds, want 1", n)
	}
	idp.down.Store(false)
	clock.set(now.Add(jwksFirstRetry))
	if err := verify(); err != nil {
		t.Fatalf("after the retry bound, the endpoint answering: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
}

// flakyJWKS is an identity provider's key set endpoint serving one P-256
// key, "k1", or the status it was made with while down is set.
type flakyJWKS struct {
	key     *ecdsa.PrivateKey
	srv     *httptest.Server
	fetches atomic.Int32
	down    atomic.Bool
}

func newFlakyJWKS(t *testing.T, status int) *flakyJWKS {
	t.Helper()
	f := &flakyJWKS{}
	f.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Use: "sig"}}})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.fetches.Add(1)
		if f.down.Load() {
			http.Error(w, http.StatusText(status), status)
			return
		}
		w.Write(set)
	}))
	t.Cleanup(f.srv.Close)
	return f
}
