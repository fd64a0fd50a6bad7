// Package auth holds the credentials the server keeps on behalf of its
// callers: the Tableau session signed in with a Personal Access Token, the
// Scalekit access token, and the identity of the caller of each request.
package auth

import (
	"context"
	"sync"
	"time"
)

// Renewer caches one credential (a session token, an access token) and
// fetches a new one when there is none, when it is about to expire, or when a
// caller reports it stale. However many goroutines ask at once, only one fetch
// runs; the others wait for its result.
type Renewer[T comparable] struct {
	// Fetch obtains a fresh credential and, when known, its expiry (zero: none).
	Fetch func(ctx context.Context) (T, time.Time, error)
	// Skew renews this long before the expiry.
	Skew time.Duration
	// Now defaults to time.Now.
	Now func() time.Time

	mu       sync.Mutex
	have     bool
	cur      T
	expires  time.Time
	flight   *flight[T]
	fetches  int
	renewals int
}

type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func (r *Renewer[T]) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Get returns the cached credential, fetching one when needed.
func (r *Renewer[T]) Get(ctx context.Context) (T, error) {
	r.mu.Lock()
	if r.have && (r.expires.IsZero() || r.now().Add(r.Skew).Before(r.expires)) {
		v := r.cur
		r.mu.Unlock()
		return v, nil
	}
	return r.join(ctx, false)
}

// Renew reports stale as rejected upstream and returns a fresh credential.
// When another caller has already replaced stale, the newer one is returned
// without a second fetch: one renewal serves every call that saw the old one.
func (r *Renewer[T]) Renew(ctx context.Context, stale T) (T, error) {
	r.mu.Lock()
	if r.have && r.cur != stale {
		v := r.cur
		r.mu.Unlock()
		return v, nil
	}
	r.have = false
	return r.join(ctx, true)
}

// Refresh fetches a newer value than seen (which is not rejected, only
// possibly out of date: a key set without a newly published key) while
// Get keeps returning the current one; if the fetch fails, the current
// value stays. When another caller has already replaced seen, the newer
// one is returned without a fetch.
func (r *Renewer[T]) Refresh(ctx context.Context, seen T) (T, error) {
	r.mu.Lock()
	if r.have && r.cur != seen {
		v := r.cur
		r.mu.Unlock()
		return v, nil
	}
	return r.join(ctx, true)
}

// Current returns the cached credential without fetching.
func (r *Renewer[T]) Current() (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur, r.have
}

// Clear forgets the credential (after a sign-out) and returns what it held.
func (r *Renewer[T]) Clear() (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, had := r.cur, r.have
	var zero T
	r.cur, r.have, r.expires = zero, false, time.Time{}
	return v, had
}

// Fetches counts the fetches made so far.
func (r *Renewer[T]) Fetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

// Renewals counts the fetches started because a credential was reported
// stale (a subset of Fetches).
func (r *Renewer[T]) Renewals() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.renewals
}

// join waits for the fetch in flight or starts one; r.mu is held on entry.
func (r *Renewer[T]) join(ctx context.Context, renewal bool) (T, error) {
	f := r.flight
	if f == nil {
		f = &flight[T]{done: make(chan struct{})}
		r.flight = f
		r.fetches++
		if renewal {
			r.renewals++
		}
		go r.run(f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// run fetches detached from any one caller's context, so that a caller that
// gives up does not fail the others waiting on the same fetch.
func (r *Renewer[T]) run(f *flight[T]) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	v, exp, err := r.Fetch(ctx)
	r.mu.Lock()
	f.val, f.err = v, err
	if err == nil {
		r.cur, r.have, r.expires = v, true, exp
	}
	r.flight = nil
	r.mu.Unlock()
	close(f.done)
}
