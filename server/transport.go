package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// StdioDrainTimeout bounds how long the calls in flight when the client
// closes stdin may still run before the process gives up on them.
const StdioDrainTimeout = 10 * time.Minute

// ServeStdio serves MCP on in/out until ctx ends or the client closes input.
// Every request acts for identity (the one user this process serves). When
// input ends, the requests already read are answered before it returns, so
// that `printf '...' | tableau-mcp` gets its answers.
func ServeStdio(ctx context.Context, s *mcpserver.MCPServer, in io.Reader, out io.Writer, identity string, log *zap.Logger) error {
	std := mcpserver.NewStdioServer(s)
	std.SetErrorLogger(zap.NewStdLog(log))
	c := newCancellations()
	w := &stdioWriter{w: out, c: c, answers: newAnswers(maxHeldStdio)}
	std.SetContextFunc(func(ctx context.Context) context.Context {
		if identity != "" {
			ctx = auth.WithIdentity(ctx, identity)
		}
		return withAnswers(context.WithValue(ctx, notifierKey{}, notifier(w.notify)), w.answers)
	})
	p := &pendingCalls{ids: map[string]bool{}, idle: make(chan struct{})}
	close(p.idle)
	r := &drainingReader{r: &stdioReader{r: in, c: c}, p: p, ctx: ctx, timeout: StdioDrainTimeout, log: log}
	err := std.Listen(ctx, r, &answerWriter{w: w, p: p})
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// notifier sends a notification to the client of the request in whose
// context it is found, ahead of the request's answer.
type notifier func(ctx context.Context, method string, params map[string]any) error

type notifierKey struct{}

// notify sends a notification to the client of the request in ctx: by the
// transport's own notifier when it has one, otherwise through mcp-go's
// session queue.
func notify(ctx context.Context, srv *mcpserver.MCPServer, method string, params map[string]any) error {
	if n, ok := ctx.Value(notifierKey{}).(notifier); ok {
		return n(ctx, method, params)
	}
	return srv.SendNotificationToClient(ctx, method, params)
}

// pendingCalls are the requests read and not yet answered.
type pendingCalls struct {
	mu   sync.Mutex
	ids  map[string]bool
	idle chan struct{} // closed when ids is empty
}

func (p *pendingCalls) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		p.idle = make(chan struct{})
	}
	p.ids[id] = true
}

func (p *pendingCalls) done(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids[id] {
		delete(p.ids, id)
		if len(p.ids) == 0 {
			close(p.idle)
		}
	}
}

func (p *pendingCalls) wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle
}

func (p *pendingCalls) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}

// lines splits a byte stream into lines, calling fn with each whole one.
type lines struct{ buf []byte }

func (l *lines) feed(p []byte, fn func([]byte)) {
	if len(l.buf) == 0 {
		// Whole lines are read in place; only a partial one is kept.
		for {
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				break
			}
			fn(p[:i])
			p = p[i+1:]
		}
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		fn(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) == 0 {
		l.buf = nil // let a large line's buffer go
	}
}

// drainingReader passes stdin on, noting each request read; at the end of
// input it holds the end back until every noted request is answered (or ctx
// ends, or the timeout passes), so that the server does not cancel them.
type drainingReader struct {
	r       io.Reader
	p       *pendingCalls
	ctx     context.Context
	timeout time.Duration
	log     *zap.Logger

	in      lines
	last    byte
	ended   error
	drained bool
}

func (d *drainingReader) Read(b []byte) (int, error) {
	if d.ended == nil {
		n, err := d.r.Read(b)
		if n > 0 {
			d.last = b[n-1]
			d.in.feed(b[:n], d.note)
		}
		if err == nil || n > 0 {
			if err != nil {
				d.ended = err
			}
			return n, nil
		}
		d.ended = err
	}
	if !d.drained {
		d.drained = true
		if d.last != 0 && d.last != '\n' && len(b) > 0 {
			// The last message had no newline: end it, so it is read.
			d.in.feed([]byte{'\n'}, d.note)
			d.last = '\n'
			d.drained = false
			b[0] = '\n'
			return 1, nil
		}
		d.drain()
	}
	return 0, d.ended
}

// note records a request (a message with a method and an id).
func (d *drainingReader) note(line []byte) {
	var m rpcHead
	if json.Unmarshal(bytes.TrimSpace(line), &m) == nil && m.isRequest() {
		d.p.add(normID(m.ID))
	}
}

func (d *drainingReader) drain() {
	n := d.p.count()
	if n == 0 {
		return
	}
	d.log.Info("input closed: answering the calls in flight before exiting", zap.Int("in_flight", n))
	t := time.NewTimer(d.timeout)
	defer t.Stop()
	select {
	case <-d.p.wait():
	case <-d.ctx.Done():
	case <-t.C:
		d.log.Warn("input closed and calls still unanswered after the drain timeout", zap.Int("in_flight", d.p.count()), zap.Duration("timeout", d.timeout))
	}
}

// answerWriter passes stdout on and notes each answer written.
type answerWriter struct {
	w   io.Writer
	p   *pendingCalls
	mu  sync.Mutex
	out lines
}

func (a *answerWriter) Write(b []byte) (int, error) {
	n, err := a.w.Write(b)
	a.mu.Lock()
	a.out.feed(b[:n], func(line []byte) {
		// Only the head of the answer is read (see rpcHeadOf).
		if m, ok := rpcHeadOf(bytes.TrimSpace(line)); ok && m.Method == "" && len(m.ID) > 0 {
			a.p.done(normID(m.ID))
		}
	})
	a.mu.Unlock()
	return n, err
}
