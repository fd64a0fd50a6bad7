package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOneFetchServesConcurrentCallers(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	r := &Renewer[string]{Fetch: func(context.Context) (string, time.Time, error) {
		<-release
		return "tok" + string(rune('0'+n.Add(1))), time.Time{}, nil
	}}
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, err := r.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		}(i)
	}
	time.Sleep(10 * time.Millisecond)
	close(release)
	wg.Wait()
	if n.Load() != 1 {
		t.Fatalf("%d fetches for 50 concurrent callers, want 1", n.Load())
	}
	for _, v := range got {
		if v != "tok1" {
			t.Fatalf("caller got %q", v)
		}
	}
}

func TestRenewOnceForManyStaleReports(t *testing.T) {
	var n atomic.Int32
	r := &Renewer[int]{Fetch: func(context.Context) (int, time.Time, error) {
		return int(n.Add(1)), time.Time{}, nil
	}}
	first, _ := r.Get(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Renew(context.Background(), first)
			if err != nil || v != 2 {
				t.Errorf("renew gave %d, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n.Load() != 2 {
		t.Fatalf("%d fetches, want 2 (the first and one renewal)", n.Load())
	}
	if r.Fetches() != 2 || r.Renewals() != 1 {
		t.Errorf("counted %d fetches and %d renewals, want 2 and 1", r.Fetches(), r.Renewals())
	}
}

func TestRenewsBeforeExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var n int
	r := &Renewer[int]{Skew: time.Minute, Now: func() time.Time { return now },
		Fetch: func(context.Context) (int, time.Time, error) { n++; return n, now.Add(time.Hour), nil }}
	r.Get(context.Background())
	now = now.Add(58 * time.Minute)
	if v, _ := r.Get(context.Background()); v != 1 {
		t.Fatalf("renewed too early: %d", v)
	}
	now = now.Add(90 * time.Second)
	if v, _ := r.Get(context.Background()); v != 2 {
		t.Fatalf("did not renew within the skew: %d", v)
	}
}

func TestFailedFetchIsNotCached(t *testing.T) {
	fail := true
	r := &Renewer[int]{Fetch: func(context.Context) (int, time.Time, error) {
		if fail {
			return 0, time.Time{}, errors.New("down")
		}
		return 7, time.Time{}, nil
	}}
	if _, err := r.Get(context.Background()); err == nil {
		t.Fatal("want the error")
	}
	fail = false
	if v, err := r.Get(context.Background()); err != nil || v != 7 {
		t.Fatalf("got %d %v", v, err)
	}
}

func TestIdentityTravelsInContext(t *testing.T) {
	if _, ok := IdentityFrom(context.Background()); ok {
		t.Fatal("empty context has an identity")
	}
	ctx := WithIdentity(context.Background(), "user_1")
	if id, ok := IdentityFrom(ctx); !ok || id != "user_1" {
		t.Fatalf("got %q", id)
	}
}
