package server

import (
	"container/list"
	"context"
	"net/http"
	"sync"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"
)

// Session ownership and bounds: each MCP session belongs to the identity
// that opened it, ends after SessionIdleTimeout without use, and each
// identity holds at most MaxSessionsPerIdentity sessions (opening one more
// closes its least recently used).

// Defaults of the session bounds.
const (
	DefaultSessionIdleTimeout     = 30 * time.Minute
	DefaultMaxSessionsPerIdentity = 64
)

// sessionBinder remembers which identity opened each session and when it
// was last used, in one least-recently-used list per identity.
type sessionBinder struct {
	idle    time.Duration
	max     int
	now     func() time.Time
	onClose func(closedSession) // called outside the lock

	mu        sync.Mutex
	m         map[string]*boundSession
	per       map[string]*list.List // identity -> session IDs, most recent first
	lastSweep time.Time
}

type boundSession struct {
	id, identity string
	seen         time.Time
	elem         *list.Element
	// streams are the cancel functions of the session's open streams (the
	// SSE stream, a streamable HTTP GET); a session with one open is in use.
	streams map[int]context.CancelFunc
	next    int
}

// closedSession is a session the binder dropped: its streams are to be
// ended and the transport told to forget it.
type closedSession struct {
	id, identity, why string
	streams           []context.CancelFunc
}

func newSessionBinder(idle time.Duration, max int, onClose func(closedSession)) *sessionBinder {
	if idle <= 0 {
		idle = DefaultSessionIdleTimeout
	}
	if max <= 0 {
		max = DefaultMaxSessionsPerIdentity
	}
	if onClose == nil {
		onClose = func(closedSession) {}
	}
	return &sessionBinder{idle: idle, max: max, now: time.Now, onClose: onClose,
		m: map[string]*boundSession{}, per: map[string]*list.List{}}
}

// bind records a new session of identity. When the identity then holds more
// than the maximum, its least recently used session is closed.
func (b *sessionBinder) bind(id, identity string) {
	b.mu.Lock()
	now := b.now()
	closed := b.sweepLocked(now)
	if s, ok := b.m[id]; ok {
		b.dropLocked(s)
	}
	l := b.per[identity]
	if l == nil {
		l = list.New()
		b.per[identity] = l
	}
	s := &boundSession{id: id, identity: identity, seen: now}
	s.elem = l.PushFront(s)
	b.m[id] = s
	for l.Len() > b.max {
		old := l.Back().Value.(*boundSession)
		closed = append(closed, b.closeLocked(old, "the caller opened more sessions than --max-sessions-per-identity allows; this was the least recently used"))
	}
	b.mu.Unlock()
	b.notify(closed)
}

// owner returns the identity of a session and marks it used now; false when
// the session is unknown or has expired.
func (b *sessionBinder) owner(id string) (string, bool) {
	b.mu.Lock()
	now := b.now()
	closed := b.sweepLocked(now)
	s, ok := b.m[id]
	if ok && len(s.streams) == 0 && now.Sub(s.seen) > b.idle {
		closed = append(closed, b.closeLocked(s, "idle longer than --session-idle-timeout"))
		ok = false
	}
	identity := ""
	if ok {
		s.seen = now
		b.per[s.identity].MoveToFront(s.elem)
		identity = s.identity
	}
	b.mu.Unlock()
	b.notify(closed)
	return identity, ok
}

// addStream records an open stream of a session, so that closing the
// session ends it; the returned function forgets it when the stream ends.
func (b *sessionBinder) addStream(id string, cancel context.CancelFunc) (done func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.m[id]
	if !ok {
		return func() {}
	}
	if s.streams == nil {
		s.streams = map[int]context.CancelFunc{}
	}
	k := s.next
	s.next++
	s.streams[k] = cancel
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if cur, ok := b.m[id]; ok && cur == s {
			delete(s.streams, k)
			s.seen = b.now()
		}
	}
}

// unbind forgets a session the client or the transport ended.
func (b *sessionBinder) unbind(id string) {
	b.mu.Lock()
	if s, ok := b.m[id]; ok {
		b.dropLocked(s)
	}
	b.mu.Unlock()
}

// count reports how many sessions are bound.
func (b *sessionBinder) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}

func (b *sessionBinder) dropLocked(s *boundSession) {
	delete(b.m, s.id)
	if l := b.per[s.identity]; l != nil {
		l.Remove(s.elem)
		if l.Len() == 0 {
			delete(b.per, s.identity)
		}
	}
}

func (b *sessionBinder) closeLocked(s *boundSession, why string) closedSession {
	b.dropLocked(s)
	c := closedSession{id: s.id, identity: s.identity, why: why}
	for _, cancel := range s.streams {
		c.streams = append(c.streams, cancel)
	}
	return c
}

// sweepLocked closes the sessions idle for longer than the timeout; it
// runs at most every eighth of the timeout (and at least every minute).
func (b *sessionBinder) sweepLocked(now time.Time) []closedSession {
	every := min(b.idle/8, time.Minute)
	if now.Sub(b.lastSweep) < every {
		return nil
	}
	b.lastSweep = now
	var closed []closedSession
	for _, s := range b.m {
		if len(s.streams) == 0 && now.Sub(s.seen) > b.idle {
			closed = append(closed, b.closeLocked(s, "idle longer than --session-idle-timeout"))
		}
	}
	return closed
}

func (b *sessionBinder) notify(closed []closedSession) {
	for _, c := range closed {
		b.onClose(c)
	}
}

// closeSession ends a session the binder dropped: its open streams end and
// the transport forgets its state.
func (h *httpHandler) closeSession(c closedSession) {
	h.log.Info("MCP session closed", zap.String("identity", nonEmpty(c.identity)), zap.String("reason", c.why))
	for _, cancel := range c.streams {
		cancel()
	}
	h.signed.end(c.id)
	if h.stream != nil {
		// The streamable HTTP transport forgets a session on DELETE: ask it
		// as a client would.
		req, err := http.NewRequestWithContext(context.Background(), http.MethodDelete, "/mcp", nil)
		if err != nil {
			return
		}
		req.Header.Set(mcpserver.HeaderKeySessionID, c.id)
		h.stream.ServeHTTP(&discardWriter{h: http.Header{}}, req)
	}
}

// discardWriter is a ResponseWriter whose answer nobody reads.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

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
		if !known && h.stream != nil {
			// A session another replica opened: its signed ID says whose it is.
			if c, ok := h.signed.check(sessionID); ok {
				owner, known = c.Identity, true
				if owner == who {
					h.sessions.bind(sessionID, who)
				}
			}
		}
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
