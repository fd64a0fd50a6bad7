package server

import (
	"net/http"
	"sync"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
)

// Session ownership: each MCP session belongs to the identity that opened it.

// sessionBinder remembers which identity opened each session.
type sessionBinder struct {
	mu        sync.Mutex
	m         map[string]*boundSession
	lastSweep time.Time
}

type boundSession struct {
	identity string
	seen     time.Time
}

// sessionIdle is how long an unused streamable HTTP session stays bound.
const sessionIdle = 24 * time.Hour

func newSessionBinder() *sessionBinder { return &sessionBinder{m: map[string]*boundSession{}} }

func (b *sessionBinder) bind(id, identity string) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.lastSweep) > time.Minute {
		for k, s := range b.m {
			if now.Sub(s.seen) > sessionIdle {
				delete(b.m, k)
			}
		}
		b.lastSweep = now
	}
	b.m[id] = &boundSession{identity: identity, seen: now}
}

func (b *sessionBinder) owner(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.m[id]
	if !ok {
		return "", false
	}
	s.seen = time.Now()
	return s.identity, true
}

func (b *sessionBinder) unbind(id string) {
	b.mu.Lock()
	delete(b.m, id)
	b.mu.Unlock()
}

// checkSession finds the session a request names and refuses it unless it
// is known and belongs to who; ok false means the answer has been written.
func (h *httpHandler) checkSession(w http.ResponseWriter, r *http.Request, who string) (sessionID string, ok bool) {
	if h.sse != nil && r.URL.Path == "/message" {
		sessionID = r.URL.Query().Get("sessionId")
	} else if h.stream != nil {
		sessionID = r.Header.Get(mcpserver.HeaderKeySessionID)
	}
	if sessionID != "" {
		owner, known := h.sessions.owner(sessionID)
		switch {
		case !known:
			http.Error(w, "Not Found: unknown or ended session; initialize a new one", http.StatusNotFound)
			return sessionID, false
		case owner != who:
			h.log.Warn("request for another caller's session refused", zap.String("identity", nonEmpty(who)), zap.String("path", r.URL.Path))
			http.Error(w, "Forbidden: this session was opened with other credentials", http.StatusForbidden)
			return sessionID, false
		}
	}
	return sessionID, true
}
