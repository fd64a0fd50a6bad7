package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// HTTPOptions configure the HTTP transports.
type HTTPOptions struct {
	Transport string // "http" (streamable HTTP at /mcp) or "sse" (/sse and /message)
	Listen    string // host:port
	Logger    *zap.Logger

	// Auth authenticates every MCP request; the identifier it returns goes
	// into the request's context (auth.IdentityFrom) and is what tools act
	// for. Without Auth every MCP request is refused unless NoAuth is set.
	Auth auth.Authenticator
	// NoAuth serves MCP without authentication. ServeListener allows it only
	// on a loopback listener.
	NoAuth bool
	// NoAuthIdentity, with NoAuth, is the identity every request acts for
	// (the configured SCALEKIT_IDENTIFIER of a single-user loopback server).
	NoAuthIdentity string

	// AllowedOrigins lists the browser origins (scheme://host[:port]) that
	// may call; a request with any other Origin is refused, except that a
	// loopback listener also takes loopback origins (localhost, 127.0.0.1,
	// [::1], any port, http or https). CORS headers go only to origins taken.
	AllowedOrigins []string
	// AllowedHosts lists the Host header values accepted (host or
	// host:port). Empty: on a loopback listener only loopback names
	// (DNS-rebinding protection), elsewhere any.
	AllowedHosts []string

	// Resource, when set, publishes the OAuth protected resource metadata
	// and names it in 401 answers (see http_oauth.go).
	Resource *ProtectedResource

	// Metrics, when set, are served at /metrics.
	Metrics *Metrics
	// Ready reports whether the backend can serve (for /readyz); nil: always.
	Ready func(ctx context.Context) error

	// SessionIdleTimeout ends a session unused for this long (default
	// DefaultSessionIdleTimeout); a session with an open stream is in use.
	SessionIdleTimeout time.Duration
	// MaxSessionsPerIdentity bounds the sessions one identity holds
	// (default DefaultMaxSessionsPerIdentity); opening one more closes the
	// least recently used.
	MaxSessionsPerIdentity int

	// SessionSecret signs streamable HTTP session IDs, so that any replica
	// sharing it serves a session another one opened (to its owner only).
	// Empty: a random secret, valid in this process only. At least 32 bytes.
	SessionSecret []byte
	// Peers are the host:port addresses of the replicas (a name may stand
	// for several, such as a headless Service). With them, a client of a
	// protocol before 2026-07-28 may answer a confirmation question on any
	// replica: the answer is passed on to the one that asked. Empty: answers
	// are taken only where the question was asked.
	Peers []string

	// ShutdownGrace bounds how long in-flight calls may finish (default 20s).
	ShutdownGrace time.Duration
	// MaxBodyBytes bounds a request body (default 4 MiB).
	MaxBodyBytes int64
	// ReadTimeout bounds reading a request (default 60s); WriteTimeout
	// bounds writing an answer (default 10 minutes; streams have none).
	ReadTimeout, WriteTimeout time.Duration
}

const (
	defaultMaxBody      = 4 << 20
	defaultGrace        = 20 * time.Second
	defaultReadTimeout  = 60 * time.Second
	defaultWriteTimeout = 10 * time.Minute
)

// httpHandler serves the MCP transport and the operational endpoints, and
// enforces who may call, and as whom, before the transport sees a request.
type httpHandler struct {
	o        HTTPOptions
	log      *zap.Logger
	sse      *mcpserver.SSEServer
	stream   *mcpserver.StreamableHTTPServer
	origins  map[string]bool
	sessions *sessionBinder
	signed   *signedSessions
	relay    *relay
	track    *tracker
	cancels  *cancellations
	draining atomic.Bool
	// sseStreams are the open SSE streams, by session (*sseStream): the
	// answer to a POST /message is written on the session's stream.
	sseStreams sync.Map
	mcp        *mcpserver.MCPServer // for the tools it serves (scope challenges)
}

// Handler returns the HTTP handler for the chosen transport plus /healthz,
// /readyz and (with Metrics) /metrics.
func Handler(s *mcpserver.MCPServer, o HTTPOptions) http.Handler {
	return newHTTPHandler(s, o)
}

type sseSessionKey struct{}

// sseStream is filled in when an SSE stream's session is made.
type sseStream struct {
	id      string
	cancel  context.CancelFunc
	done    func()
	answers *answers
	// waiting counts the requests posted to the session whose answers
	// are not on the stream yet (see maxSSEWaiting).
	waiting atomic.Int32
}

// maxSSEWaiting bounds the requests of one SSE session waiting for their
// answers. A POST /message is accepted at once and its answer queued for
// the stream, so a client that posts without reading the stream would
// otherwise hold an answer in memory for every request it sends. 100 is
// the length of mcp-go's queue of a session's events.
const maxSSEWaiting = 100

func newHTTPHandler(s *mcpserver.MCPServer, o HTTPOptions) *httpHandler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBody
	}
	h := &httpHandler{o: o, log: o.Logger, origins: map[string]bool{}, track: newTracker(), cancels: newCancellations(), mcp: s}
	if h.log == nil {
		h.log = zap.NewNop()
	}
	h.sessions = newSessionBinder(o.SessionIdleTimeout, o.MaxSessionsPerIdentity, h.closeSession)
	h.signed = newSignedSessions(newSigner(o.SessionSecret))
	if o.Transport != "sse" {
		h.relay = newRelay(o.Peers, h.log)
	}
	for _, origin := range o.AllowedOrigins {
		if origin = strings.TrimRight(strings.TrimSpace(origin), "/"); origin != "" {
			h.origins[strings.ToLower(origin)] = true
		}
	}
	if o.Transport == "sse" {
		h.sse = mcpserver.NewSSEServer(s,
			mcpserver.WithUseFullURLForMessageEndpoint(false),
			mcpserver.WithKeepAlive(true),
			// Host and Origin are checked here, before the transport.
			mcpserver.WithSSEDisableLocalhostProtection(true),
			// Each session is bound to the identity that opened it.
			mcpserver.WithSessionIDGenerator(func(ctx context.Context, r *http.Request) (string, error) {
				id := uuid.NewString()
				h.sessions.bind(id, identityKey(r.Context()))
				if p, ok := r.Context().Value(sseSessionKey{}).(*sseStream); ok {
					p.id = id
					p.done = h.sessions.addStream(id, p.cancel)
					h.sseStreams.Store(id, p)
				}
				return id, nil
			}),
		)
	} else {
		h.stream = mcpserver.NewStreamableHTTPServer(s,
			mcpserver.WithEndpointPath("/mcp"),
			mcpserver.WithDisableLocalhostProtection(true),
			// Session IDs are signed: any replica sharing the secret checks them.
			mcpserver.WithSessionIdManagerResolver(h.signed),
		)
	}
	return h
}

// identityKey is the identity a session is bound to ("" when anonymous).
func identityKey(ctx context.Context) string {
	id, _ := auth.IdentityFrom(ctx)
	return id
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.hostAllowed(r) {
		http.Error(w, fmt.Sprintf("Forbidden: Host %q is not one this server answers to", r.Host), http.StatusForbidden)
		return
	}
	// The OAuth metadata is public and read by browser-based clients too.
	if h.servesMetadata(w, r) {
		return
	}
	origin, done := h.checkOrigin(w, r)
	if done {
		return
	}
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
		return
	case "/readyz":
		h.ready(w, r)
		return
	case "/metrics":
		if h.o.Metrics != nil {
			h.o.Metrics.Handler().ServeHTTP(w, r)
			return
		}
	case "/mcp":
		if h.stream != nil {
			h.serveMCP(w, r, origin)
			return
		}
	case "/sse", "/message":
		if h.sse != nil {
			h.serveMCP(w, r, origin)
			return
		}
	}
	http.NotFound(w, r)
}

// rpcHead is what the server reads of a JSON-RPC message it passes on.
type rpcHead struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

// postedMessage is what serveMCP reads of a posted message: rpcMessage,
// and the name of a tool called. Its members that can fail to decode
// (method, params, name) are calledMessage's, so that it decodes without
// an error exactly when calledMessage does.
type postedMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		RequestID json.RawMessage `json:"requestId"`
		Name      string          `json:"name"`
	} `json:"params"`
}

// isRequest: a JSON-RPC request (it expects an answer), not a notification
// nor a client's answer to the server.
func (m rpcHead) isRequest() bool {
	return m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null"
}

func (h *httpHandler) serveMCP(w http.ResponseWriter, r *http.Request, origin string) {
	if r = h.authenticate(w, r); r == nil {
		return
	}
	who := identityKey(r.Context())
	h.log.Debug("MCP request", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("identity", nonEmpty(who)))

	// Bodies are bounded and read here, to see which message they carry.
	var head rpcHead
	var msg rpcMessage
	var called *calledTool
	if r.Method == http.MethodPost {
		if r.ContentLength > h.o.MaxBodyBytes {
			http.Error(w, fmt.Sprintf("Request body larger than %d bytes", h.o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		body, err := readBody(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes), r.ContentLength)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, fmt.Sprintf("Request body larger than %d bytes", h.o.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			} else {
				http.Error(w, "Reading the request body failed", http.StatusBadRequest)
			}
			return
		}
		// One parse: the head is the id and method of the message, and a
		// tool call's name.
		var posted postedMessage
		err = json.Unmarshal(body, &posted)
		msg.ID, msg.Method, msg.Params.RequestID = posted.ID, posted.Method, posted.Params.RequestID
		head = rpcHead{ID: msg.ID, Method: msg.Method}
		if head.Method == "tools/call" {
			called = &calledTool{body: body, name: posted.Params.Name, ok: err == nil}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if head.Method == "tools/call" && h.stepUp(w, r, body) {
			return
		}
		if head.Method == "initialize" {
			r = r.WithContext(context.WithValue(r.Context(), initKey{}, readInit(body)))
		}
	}

	// While shutting down, work in progress may finish (answers to the
	// server's questions, notifications) but nothing new starts.
	if h.draining.Load() && (head.isRequest() || r.Method == http.MethodGet) {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "Service Unavailable: the server is shutting down", http.StatusServiceUnavailable)
		return
	}

	// Sessions belong to the identity that opened them.
	sessionID, ok := h.checkSession(w, r, who)
	if !ok {
		return
	}
	if h.stream != nil && sessionID != "" {
		if c, ok := h.signed.check(sessionID); ok {
			r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, c))
		}
	}
	if h.relay != nil && r.Method == http.MethodPost && sessionID != "" {
		if done := h.relayAnswer(w, r); done {
			return
		}
	}

	if sessionID != "" {
		h.cancels.received(sessionID, msg)
	}

	rw := &respWriter{ResponseWriter: w}
	if h.relay != nil && h.stream != nil {
		rw.transform = h.relay.outgoing
	}
	rw.before = func(hd http.Header) {
		// The SSE transport allows every origin unless told otherwise;
		// here CORS headers go only to configured origins.
		hd.Del("Access-Control-Allow-Origin")
		if origin != "" {
			corsHeaders(hd, origin)
		}
		if h.stream != nil && sessionID == "" {
			if sid := hd.Get(mcpserver.HeaderKeySessionID); sid != "" {
				h.sessions.bind(sid, who)
			}
		}
	}
	if r.Method == http.MethodGet {
		// Streams last as long as the client listens.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	}

	switch {
	case h.sse != nil && r.URL.Path == "/sse" && r.Method == http.MethodGet:
		// Closing the session (idle, or one too many) ends this stream.
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		st := &sseStream{cancel: cancel, done: func() {}, answers: newAnswers(maxHeldSSE)}
		rw.answers = st.answers
		r = r.WithContext(context.WithValue(ctx, sseSessionKey{}, st))
		rw.after = func(p []byte) { h.track.sseWritten(st.id, p) }
		rw.drop = func(p []byte) bool {
			m, ok := answerTo(p)
			if !ok || m.Method != "" || !m.hasID() {
				return false
			}
			// An answer leaves the requests waiting as it is written
			// (or left out), before the client can read it.
			st.waiting.Add(-1)
			if !h.cancels.answering(st.id, m) {
				return false
			}
			// Left out: a shutdown has no answer left to wait for.
			h.track.sseAnswered(st.id, m.ID)
			return true
		}
		h.sse.ServeHTTP(rw, r)
		h.sseStreams.Delete(st.id)
		st.done()
		h.track.sseEnded(st.id)
		h.sessions.unbind(st.id)
	case h.sse != nil && r.URL.Path == "/message":
		var st *sseStream
		tracked := false
		if head.isRequest() && r.Method == http.MethodPost {
			if v, ok := h.sseStreams.Load(sessionID); ok {
				st = v.(*sseStream)
				if st.waiting.Add(1) > maxSSEWaiting {
					st.waiting.Add(-1)
					w.Header().Set("Retry-After", "1")
					http.Error(w, fmt.Sprintf("Too Many Requests: this session already has %d requests waiting for their answers on its event stream; read the stream (GET /sse) before sending more", maxSSEWaiting), http.StatusTooManyRequests)
					return
				}
				r = r.WithContext(withAnswers(r.Context(), st.answers))
			}
			tracked = h.track.sseRequest(sessionID, head.ID)
		}
		h.sse.ServeHTTP(rw, r)
		if rw.status != http.StatusAccepted {
			// Refused: no answer comes on the stream.
			if st != nil {
				st.waiting.Add(-1)
			}
			if tracked {
				h.track.sseAnswered(sessionID, head.ID)
			}
		}
	default:
		if r.Method == http.MethodPost {
			h.track.add()
			defer h.track.done()
			ps := &postStream{w: rw}
			// A POST carries one request, so its answers table is its own.
			rw.answers = newAnswers(maxHeldPerRequest)
			ctx := r.Context()
			if called != nil {
				ctx = context.WithValue(ctx, calledToolKey{}, called)
			}
			r = r.WithContext(withAnswers(context.WithValue(ctx, notifierKey{}, notifier(ps.notify)), rw.answers))
			if sessionID != "" && head.isRequest() {
				// A request the client cancels gets no answer: a plain JSON
				// answer becomes 202 Accepted with no body, an answer on an
				// event stream is left out.
				rw.cancelled = func() bool { return h.cancels.isCancelled(sessionID, head.ID) }
				rw.drop = func(p []byte) bool {
					m, ok := answerTo(p)
					return ok && h.cancels.answering(sessionID, m)
				}
			}
		}
		if r.Method == http.MethodGet && sessionID == "" {
			// An event stream belongs to a session; without one there is
			// nothing to listen to, so say so now instead of holding it open.
			http.Error(rw, "Bad Request: GET /mcp opens the event stream of a session: send the Mcp-Session-Id header that the answer to initialize (POST /mcp) carried", http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodGet && sessionID != "" {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			defer h.sessions.addStream(sessionID, cancel)()
			r = r.WithContext(ctx)
		}
		h.stream.ServeHTTP(rw, r)
		if r.Method == http.MethodDelete && sessionID != "" && (rw.status == 0 || rw.status/100 == 2) {
			h.sessions.unbind(sessionID)
			h.signed.end(sessionID)
		}
	}
}

// readBody reads a request body of the given length (-1: unknown) in one
// allocation of its size when it is known and small. A larger one grows as
// it arrives, so that a declared length costs no memory before its bytes do.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length < 0 || length > 64<<10 {
		return io.ReadAll(r)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

func nonEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// respWriter lets the handler adjust headers just before they are sent and
// see what is written, while keeping streaming (Flush) working. Writes are
// serialised: mcp-go and postStream may both write to one response.
type respWriter struct {
	http.ResponseWriter
	before func(http.Header)
	after  func([]byte)
	// drop, when set, leaves out a write (an answer to a cancelled request).
	drop func([]byte) bool
	// cancelled, when set, says the request was cancelled: a JSON answer
	// is then replaced by 202 Accepted with no body.
	cancelled func() bool
	// transform, when set, rewrites what is written (the relay's marks).
	transform func([]byte) []byte
	// answers, when set, holds the long strings of the answers written here.
	answers *answers
	mu      sync.Mutex
	wrote   bool
	status  int
	noBody  bool
}

func (w *respWriter) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeHeaderLocked(code)
}

// writeHeaderLocked sends the headers once; a later call is ignored (the
// response may already be a stream of events when mcp-go would start one).
func (w *respWriter) writeHeaderLocked(code int) {
	if w.wrote {
		return
	}
	if w.cancelled != nil && strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && w.cancelled() {
		code, w.noBody = http.StatusAccepted, true
		w.Header().Del("Content-Type")
	}
	w.wrote, w.status = true, code
	if w.before != nil {
		w.before(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(p)
}

func (w *respWriter) writeLocked(p []byte) (int, error) {
	if !w.wrote {
		w.writeHeaderLocked(http.StatusOK)
	}
	if w.drop != nil && w.drop(p) || w.noBody {
		w.answers.release(p)
		return len(p), nil
	}
	out := p
	if w.transform != nil {
		out = w.transform(p)
	}
	if w.answers != nil && w.answers.n.Load() > 0 {
		buf := getSpliceBuf()
		if whole, ok := w.answers.splice(*buf, out); ok {
			out = whole
			defer putSpliceBuf(buf, whole)
		} else {
			putSpliceBuf(buf, *buf)
		}
	}
	n, err := w.ResponseWriter.Write(out)
	if n == len(out) {
		n = len(p)
	}
	if w.after != nil {
		w.after(p)
	}
	return n, err
}

func (w *respWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
}

func (w *respWriter) flushLocked() {
	if !w.wrote {
		w.writeHeaderLocked(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP listens on o.Listen until ctx ends, then shuts down gracefully.
// Unless GOGC is set, it lets the heap grow further between collections
// (see servingGCPercent): a server process trades some memory for CPU.
func ServeHTTP(ctx context.Context, s *mcpserver.MCPServer, o HTTPOptions) error {
	if err := checkAuthConfig(o, o.Listen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	tuneGCForServing()
	return ServeListener(ctx, s, ln, o)
}

// ServeListener is ServeHTTP on an existing listener. When ctx ends it
// stops taking new work (new sessions and requests get 503, /readyz fails),
// lets the calls in flight finish within the grace period, closes the
// streams and the listener, and returns nil.
func ServeListener(ctx context.Context, s *mcpserver.MCPServer, ln net.Listener, o HTTPOptions) error {
	if err := checkAuthConfig(o, ln.Addr().String()); err != nil {
		ln.Close()
		return err
	}
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	h := newHTTPHandler(s, o)
	read, write := o.ReadTimeout, o.WriteTimeout
	if read <= 0 {
		read = defaultReadTimeout
	}
	if write <= 0 {
		write = defaultWriteTimeout
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       read,
		WriteTimeout:      write,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	path := "/mcp"
	if o.Transport == "sse" {
		path = "/sse"
	}
	log.Info("serving MCP over HTTP", zap.String("transport", o.Transport), zap.String("url", "http://"+ln.Addr().String()+path),
		zap.Bool("authentication", o.Auth != nil))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	h.drain(srv, o.ShutdownGrace, log)
	log.Info("HTTP listener closed")
	return nil
}
