package server

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// Outcomes of a tool call, as logged and counted.
const (
	OutcomeOK            = "ok"             // the tool answered
	OutcomeError         = "error"          // the tool answered with an error result
	OutcomeRefused       = "refused"        // a safety switch refused the call before it ran
	OutcomeCancelled     = "cancelled"      // the user declined the confirmation, or the client cancelled the call
	OutcomeInputRequired = "input_required" // the user was asked to confirm
	OutcomeFailed        = "failed"         // a protocol or server fault
)

// callInfo travels in the context of one tool call so that the guards can
// tell the access log and the metrics why a call ended as it did.
type callInfo struct {
	outcome, reason string
}

type callInfoKey struct{}

// identityOf names the caller in logs and limits ("-" when anonymous).
func identityOf(ctx context.Context) string {
	if id, ok := auth.IdentityFrom(ctx); ok {
		return id
	}
	return "-"
}

// Limits bound each identity's use of the server. Zero means no limit.
type Limits struct {
	MaxConcurrent int // calls running at once
	PerMinute     int // calls started per minute
}

// limiter keeps, per identity, the calls running and a token bucket that
// holds PerMinute calls and refills at PerMinute a minute.
type limiter struct {
	l   Limits
	now func() time.Time

	mu  sync.Mutex
	per map[string]*usage
}

type usage struct {
	running int
	tokens  float64
	last    time.Time
}

func newLimiter(l Limits) *limiter {
	return &limiter{l: l, now: time.Now, per: map[string]*usage{}}
}

// acquire admits a call for id or says why not.
func (lm *limiter) acquire(id string) (release func(), refusal string) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	now := lm.now()
	u := lm.per[id]
	if u == nil {
		if len(lm.per) > 10000 {
			lm.sweep(now)
		}
		u = &usage{tokens: float64(lm.l.PerMinute), last: now}
		lm.per[id] = u
	}
	if lm.l.MaxConcurrent > 0 && u.running >= lm.l.MaxConcurrent {
		return nil, fmt.Sprintf("too many calls at once: this caller already has %d tool calls running, the most the server allows; wait for one to finish, then retry", u.running)
	}
	if lm.l.PerMinute > 0 {
		rate := float64(lm.l.PerMinute) / 60
		u.tokens = math.Min(float64(lm.l.PerMinute), u.tokens+now.Sub(u.last).Seconds()*rate)
		u.last = now
		if u.tokens < 1 {
			wait := math.Ceil((1 - u.tokens) / rate)
			return nil, fmt.Sprintf("rate limit: this caller may start %d tool calls per minute and has used them; retry in %.0f seconds", lm.l.PerMinute, wait)
		}
		u.tokens--
	}
	u.running++
	return func() {
		lm.mu.Lock()
		u.running--
		lm.mu.Unlock()
	}, ""
}

// sweep forgets identities with nothing running and a full bucket.
func (lm *limiter) sweep(now time.Time) {
	for id, u := range lm.per {
		full := lm.l.PerMinute == 0 || u.tokens+now.Sub(u.last).Minutes()*float64(lm.l.PerMinute) >= float64(lm.l.PerMinute)
		if u.running == 0 && full {
			delete(lm.per, id)
		}
	}
}

// admit admits a call for id or refuses it; release must be called when
// the call ends.
func (lm *limiter) admit(id string) (release func(), r *refusal) {
	if lm.l.MaxConcurrent <= 0 && lm.l.PerMinute <= 0 {
		return func() {}, nil
	}
	release, why := lm.acquire(id)
	if why != "" {
		return nil, refused("limit", "%s", why)
	}
	return release, nil
}
