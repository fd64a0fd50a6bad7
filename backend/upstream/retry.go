package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Defaults of Policy.
const (
	DefaultAttempts      = 3
	DefaultBackoff       = 500 * time.Millisecond
	DefaultMaxRetryAfter = 10 * time.Second
	DefaultBudget        = 12 * time.Second
	DefaultTimeout       = 60 * time.Second
)

// Policy says how a backend tries a call and how long it may take.
//
// A call that may be repeated (a GET, a VizQL Data Service read, a tool
// marked idempotent) is sent again after a connection reset or refusal, or
// an answer 429, 500, 502, 503 or 504: at most Attempts times in all, waiting
// an exponentially growing, jittered time between attempts, or what the
// answer's Retry-After asks up to MaxRetryAfter. No wait starts that would
// end after Budget from the first attempt or after the call's deadline, so
// a persistent fault ends the call in well under fifteen seconds.
//
// Any other call (a write) is sent again only when the connection was
// refused, that is when the request provably never left this process.
type Policy struct {
	Attempts      int           // default 3
	Backoff       time.Duration // first wait (default 500ms); doubles each time, ±50% jitter
	MaxRetryAfter time.Duration // longest Retry-After honoured (default 10s)
	Budget        time.Duration // no wait ends later than this after the first attempt (default 12s)
	// Timeout bounds one call, every attempt included (default 60s). A
	// download is bounded by idle time instead: its answer must start, and
	// then keep coming, with no pause this long.
	Timeout time.Duration
	// Log notes each retry; nil logs nothing.
	Log *zap.Logger
	// OnRetry, when set, is told of each retry before its wait (for tests).
	OnRetry func(attempt int, wait time.Duration, reason string)
}

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Backoff <= 0 {
		p.Backoff = DefaultBackoff
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.Budget <= 0 {
		p.Budget = DefaultBudget
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Log == nil {
		p.Log = zap.NewNop()
	}
	return p
}

// Transient reports whether an answer's status is worth another attempt of
// a call that may be repeated.
func Transient(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// neverSent reports whether a transport error happened before any byte of
// the request could reach the upstream: the connection was refused.
func neverSent(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// transientNet reports whether a transport error is a connection that was
// refused, reset or closed before the answer came.
func transientNet(err error) bool {
	return neverSent(err) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// RetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// Send makes one attempt of a call. It must build a fresh request each time
// it is called, on the context it is given.
type Send func(ctx context.Context) (*http.Response, error)

// Outcome says how a call went, for the error message of a failure.
type Outcome struct {
	// Attempts is how many times the request was sent.
	Attempts int
	// Unrepeated is true when the answer was a server error (5xx) to a call
	// that may not be repeated: it was not sent again because it may have
	// taken effect upstream. (A 429 to such a call is not repeated either,
	// but it says the request was refused.)
	Unrepeated bool
	// RetryAfter is what the last answer asked to wait, when it asked for
	// more than the policy honours.
	RetryAfter time.Duration
}

// transient marks an attempt worth repeating; it carries the wait the
// upstream asked for, if any.
type transient struct {
	reason string
	err    error
	after  *backoff.RetryAfterError
}

func (t *transient) Error() string { return t.reason }

func (t *transient) Unwrap() []error {
	var out []error
	if t.err != nil {
		out = append(out, t.err)
	}
	if t.after != nil {
		out = append(out, t.after)
	}
	return out
}

// Do sends a call, and sends it again while the policy allows. It returns
// the last answer, whatever its status (the caller reads its body), or the
// last transport error, with the outcome of the tries.
func (p Policy) Do(ctx context.Context, repeatable bool, send Send) (*http.Response, Outcome, error) {
	p = p.WithDefaults()
	var out Outcome
	var last *http.Response
	discard := func() {
		if last != nil {
			io.Copy(io.Discard, io.LimitReader(last.Body, 64<<10))
			last.Body.Close()
			last = nil
		}
	}
	op := func() (*http.Response, error) {
		discard()
		out.Attempts++
		resp, err := send(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, backoff.Permanent(err)
			}
			if neverSent(err) || (repeatable && transientNet(err)) {
				return nil, &transient{reason: err.Error(), err: err}
			}
			return nil, backoff.Permanent(err)
		}
		if !Transient(resp.StatusCode) {
			return resp, nil
		}
		if !repeatable {
			// A 429 refused the request; a 5xx may have come after it
			// took effect.
			out.Unrepeated = resp.StatusCode != http.StatusTooManyRequests
			return resp, nil
		}
		last = resp
		t := &transient{reason: fmt.Sprintf("answer %d", resp.StatusCode)}
		if d, ok := RetryAfter(resp.Header, time.Now()); ok {
			if d > p.MaxRetryAfter {
				out.RetryAfter = d
				last = nil
				return resp, nil
			}
			t.after = &backoff.RetryAfterError{Duration: d}
		}
		return nil, t
	}
	budget := p.Budget
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl))
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.Backoff,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         p.Budget,
	}
	resp, err := backoff.Retry(ctx, op,
		backoff.WithBackOff(b),
		backoff.WithMaxTries(uint(p.Attempts)),
		backoff.WithMaxElapsedTime(max(budget, time.Nanosecond)),
		backoff.WithNotify(func(err error, wait time.Duration) {
			p.Log.Info("upstream call failed; trying again", zap.String("reason", err.Error()), zap.Int("attempt", out.Attempts), zap.Duration("after", wait))
			if p.OnRetry != nil {
				p.OnRetry(out.Attempts, wait, err.Error())
			}
		}))
	var t *transient
	switch {
	case err == nil:
		return resp, out, nil
	case errors.As(err, &t) && t.err == nil && last != nil:
		// Out of attempts (or time) on a transient answer: hand it back.
		resp, last = last, nil
		return resp, out, nil
	case errors.As(err, &t) && t.err != nil:
		err = t.err
	}
	discard()
	return nil, out, err
}

// Tries renders how often a call was sent, for an error message: "" for once.
func (o Outcome) Tries() string {
	if o.Attempts <= 1 {
		return ""
	}
	return fmt.Sprintf("tried %d times", o.Attempts)
}

// Annotate adds how often a call was tried to its error: an APIError keeps
// the count in its fields, any other error gets it appended.
func (o Outcome) Annotate(err error) error {
	var ae *backend.APIError
	if errors.As(err, &ae) {
		ae.Attempts = max(ae.Attempts, o.Attempts)
		ae.Unrepeated = ae.Unrepeated || o.Unrepeated
		if o.RetryAfter > 0 {
			ae.RetryAfter = o.RetryAfter
		}
		return err
	}
	if err == nil || o.Attempts <= 1 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, o.Tries())
}
