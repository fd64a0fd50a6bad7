package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// TimeoutError says the upstream did not answer in time, or stopped sending
// a download for too long.
type TimeoutError struct {
	Upstream string // "Tableau", "Scalekit"
	Limit    time.Duration
	Idle     bool // a download that stalled
}

func (e *TimeoutError) Error() string {
	if e.Idle {
		return fmt.Sprintf("%s sent nothing for %s, so the download was stopped (the upstream timeout, --upstream-timeout / TABLEAU_MCP_UPSTREAM_TIMEOUT)", e.Upstream, e.Limit)
	}
	return fmt.Sprintf("%s did not answer within %s (the upstream timeout, --upstream-timeout / TABLEAU_MCP_UPSTREAM_TIMEOUT)", e.Upstream, e.Limit)
}

// Bound gives a call its deadline: the policy's Timeout from now.
func (p Policy) Bound(ctx context.Context, upstreamName string) (context.Context, context.CancelFunc) {
	p = p.WithDefaults()
	return context.WithTimeoutCause(ctx, p.Timeout, &TimeoutError{Upstream: upstreamName, Limit: p.Timeout})
}

// Timed returns the TimeoutError that ended ctx, when that is why err
// happened; otherwise err.
func Timed(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var te *TimeoutError
	if errors.As(context.Cause(ctx), &te) {
		return te
	}
	return err
}

// Watch bounds a download by idle time: the context it gives ends when
// neither the answer's start nor any of its bytes arrive for Timeout.
type Watch struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	limit  time.Duration
	cause  error

	mu    sync.Mutex
	timer *time.Timer
}

// Download starts a watch for one download. Call Stop when the request
// fails, or Body to hand the answer on (its Close ends the watch).
func (p Policy) Download(ctx context.Context, upstreamName string) (context.Context, *Watch) {
	p = p.WithDefaults()
	w := &Watch{limit: p.Timeout, cause: &TimeoutError{Upstream: upstreamName, Limit: p.Timeout, Idle: true}}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	w.timer = time.AfterFunc(w.limit, func() { w.cancel(w.cause) })
	return w.ctx, w
}

func (w *Watch) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Reset(w.limit)
}

// Stop ends the watch and its context.
func (w *Watch) Stop() {
	w.timer.Stop()
	w.cancel(context.Canceled)
}

// Body wraps a download's body: every read that brings bytes restarts the
// idle clock, a read cut by the clock says so, and Close ends the watch.
func (w *Watch) Body(rc io.ReadCloser) io.ReadCloser { return &watchedBody{rc: rc, w: w} }

type watchedBody struct {
	rc io.ReadCloser
	w  *Watch
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.w.progress()
	}
	if err != nil && err != io.EOF && context.Cause(b.w.ctx) == b.w.cause {
		err = b.w.cause
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.w.Stop()
	return err
}
