package main

import (
	"testing"
	"time"
)

func TestQuantileNearestRank(t *testing.T) {
	xs := []int64{50, 10, 40, 20, 30}
	for _, c := range []struct {
		q    float64
		want int64
	}{{0, 10}, {0.2, 10}, {0.5, 30}, {0.75, 40}, {0.99, 50}, {1, 50}} {
		if got := quantile(xs, c.q); got != c.want {
			t.Errorf("quantile(%v) = %d, want %d", c.q, got, c.want)
		}
	}
	if xs[0] != 50 {
		t.Error("quantile sorted its argument in place")
	}
	if quantile([]time.Duration(nil), 0.5) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}
