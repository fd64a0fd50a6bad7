package sampledata

import (
	"math/rand/v2"
	"time"
)

// gen wraps a fixed-seed PCG source with the few draws the builders need.
type gen struct{ r *rand.Rand }

func newGen(seed1, seed2 uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed1, seed2))}
}

// intn returns a value in [0, n).
func (g *gen) intn(n int) int { return g.r.IntN(n) }

// between returns an int in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// float returns a value in [lo, hi).
func (g *gen) float(lo, hi float64) float64 { return lo + g.r.Float64()*(hi-lo) }

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// norm draws from a normal distribution.
func (g *gen) norm(mean, sd float64) float64 { return mean + g.r.NormFloat64()*sd }

func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// weighted picks an index with probability proportional to its weight.
func (g *gen) weighted(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayIn returns a uniformly drawn day in [from, to].
func (g *gen) dayIn(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours()/24) + 1
	return from.AddDate(0, 0, g.intn(days))
}
