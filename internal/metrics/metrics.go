// Package metrics keeps counters, gauges and histograms and serves them in
// the Prometheus text exposition format (version 0.0.4), with the Go
// runtime and process families that Prometheus' Go client exports by
// default, under the same names, help and types.
//
// It is written here rather than taken from Prometheus' client because that
// client, with protobuf and procfs beneath it, registers its default
// collectors at package initialisation: every process paid for them,
// including a stdio session that never serves /metrics. This package does
// nothing until a Registry is made, which the server does only for the HTTP
// transports.
package metrics

import (
	"bytes"
	"compress/gzip"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metric families and writes them sorted by name.
type Registry struct {
	mu   sync.Mutex
	fams map[string]family
}

type family interface {
	write(b *bytes.Buffer)
}

// NewRegistry makes an empty registry.
func NewRegistry() *Registry { return &Registry{fams: map[string]family{}} }

func (r *Registry) add(name string, f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.fams[name]; dup {
		panic("metrics: " + name + " registered twice")
	}
	r.fams[name] = f
}

// WriteText writes every family in the text format, sorted by name; a
// family with no series yet is left out, as Prometheus' client does.
func (r *Registry) WriteText(b *bytes.Buffer) {
	r.mu.Lock()
	names := make([]string, 0, len(r.fams))
	for n := range r.fams {
		names = append(names, n)
	}
	fams := r.fams
	r.mu.Unlock()
	slices.Sort(names)
	for _, n := range names {
		fams[n].write(b)
	}
}

// ContentType is the media type of the text format as Prometheus' client
// announces it.
const ContentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// Handler serves the registry, gzip-compressed when the scraper accepts it.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var b bytes.Buffer
		r.WriteText(&b)
		w.Header().Set("Content-Type", ContentType)
		if acceptsGzip(req.Header.Get("Accept-Encoding")) {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(b.Bytes())
			zw.Close()
			return
		}
		w.Write(b.Bytes())
	})
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// header writes a family's HELP and TYPE lines.
func header(b *bytes.Buffer, name, typ, help string) {
	b.WriteString("# HELP ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(escapeHelp(help))
	b.WriteString("\n# TYPE ")
	b.WriteString(name)
	b.WriteByte(' ')
	b.WriteString(typ)
	b.WriteByte('\n')
}

var (
	helpEscaper  = lazy.Value[*strings.Replacer]{Build: func() *strings.Replacer { return strings.NewReplacer(`\`, `\\`, "\n", `\n`) }}
	labelEscaper = lazy.Value[*strings.Replacer]{Build: func() *strings.Replacer { return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`) }}
)

func escapeHelp(s string) string { return helpEscaper.Get().Replace(s) }

// sample writes one line: name{labels} value. extra is a last label pair
// (le or quantile) or empty.
func sample(b *bytes.Buffer, name string, names, values []string, extraName, extraValue string, v float64) {
	b.WriteString(name)
	if len(names) > 0 || extraName != "" {
		b.WriteByte('{')
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
			b.WriteString(`="`)
			b.WriteString(labelEscaper.Get().Replace(values[i]))
			b.WriteByte('"')
		}
		if extraName != "" {
			if len(names) > 0 {
				b.WriteByte(',')
			}
			b.WriteString(extraName)
			b.WriteString(`="`)
			b.WriteString(extraValue)
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

// formatFloat spells a value as Prometheus' client does.
func formatFloat(f float64) string {
	switch {
	case f == 1:
		return "1"
	case f == 0:
		return "0"
	case f == -1:
		return "-1"
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, +1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// vec keeps one child per combination of label values.
type vec[T any] struct {
	name, help string
	labels     []string
	mu         sync.RWMutex
	children   map[string]*child[T]
	make       func() *T
}

type child[T any] struct {
	values []string
	m      *T
}

func newVec[T any](name, help string, labels []string, mk func() *T) *vec[T] {
	l := slices.Clone(labels)
	slices.Sort(l) // the text format lists labels by name
	return &vec[T]{name: name, help: help, labels: l, children: map[string]*child[T]{}, make: mk}
}

// with returns the child for values given in the order of the labels as
// declared (declared is that order).
func (v *vec[T]) with(declared []string, values []string) *T {
	if len(values) != len(declared) {
		panic("metrics: " + v.name + " takes " + strconv.Itoa(len(declared)) + " label values")
	}
	key := strings.Join(values, "\xff")
	v.mu.RLock()
	c := v.children[key]
	v.mu.RUnlock()
	if c != nil {
		return c.m
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c = v.children[key]; c == nil {
		sorted := make([]string, len(v.labels))
		for i, l := range v.labels {
			sorted[i] = values[slices.Index(declared, l)]
		}
		c = &child[T]{values: sorted, m: v.make()}
		v.children[key] = c
	}
	return c.m
}

// sorted returns the children ordered by their label values.
func (v *vec[T]) sorted() []*child[T] {
	v.mu.RLock()
	out := make([]*child[T], 0, len(v.children))
	for _, c := range v.children {
		out = append(out, c)
	}
	v.mu.RUnlock()
	slices.SortFunc(out, func(a, b *child[T]) int { return slices.Compare(a.values, b.values) })
	return out
}

// Counter counts up from zero.
type Counter struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// CounterVec is a counter per combination of label values.
type CounterVec struct {
	v        *vec[Counter]
	declared []string
}

// NewCounterVec registers a counter family with these labels.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{v: newVec(name, help, labels, func() *Counter { return new(Counter) }), declared: labels}
	r.add(name, c)
	return c
}

// With returns the counter for label values in the declared order.
func (c *CounterVec) With(values ...string) *Counter { return c.v.with(c.declared, values) }

func (c *CounterVec) write(b *bytes.Buffer) {
	kids := c.v.sorted()
	if len(kids) == 0 {
		return
	}
	header(b, c.v.name, "counter", c.v.help)
	for _, k := range kids {
		sample(b, c.v.name, c.v.labels, k.values, "", "", float64(k.m.n.Load()))
	}
}

// Gauge goes up and down.
type Gauge struct {
	name, help string
	n          atomic.Int64
}

// NewGauge registers a gauge without labels.
func (r *Registry) NewGauge(name, help string) *Gauge {
	g := &Gauge{name: name, help: help}
	r.add(name, g)
	return g
}

// Inc adds one; Dec takes one away.
func (g *Gauge) Inc() { g.n.Add(1) }
func (g *Gauge) Dec() { g.n.Add(-1) }

func (g *Gauge) write(b *bytes.Buffer) {
	header(b, g.name, "gauge", g.help)
	sample(b, g.name, nil, nil, "", "", float64(g.n.Load()))
}

// NewCounterFunc registers a counter whose value f reads when scraped.
func (r *Registry) NewCounterFunc(name, help string, f func() float64) {
	r.add(name, funcFamily{name: name, typ: "counter", help: help, f: f})
}

type funcFamily struct {
	name, typ, help string
	f               func() float64
}

func (f funcFamily) write(b *bytes.Buffer) {
	header(b, f.name, f.typ, f.help)
	sample(b, f.name, nil, nil, "", "", f.f())
}

// Histogram counts observations in cumulative buckets.
type Histogram struct {
	upper  []float64
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i, _ := slices.BinarySearch(h.upper, v) // first bucket whose bound is >= v
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.count++
	h.mu.Unlock()
}

// HistogramVec is a histogram per combination of label values.
type HistogramVec struct {
	v        *vec[Histogram]
	declared []string
	upper    []float64
}

// NewHistogramVec registers a histogram family with these bucket bounds
// (ascending) and labels.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	upper := slices.Clone(buckets)
	h := &HistogramVec{declared: labels, upper: upper}
	h.v = newVec(name, help, labels, func() *Histogram {
		return &Histogram{upper: upper, counts: make([]uint64, len(upper)+1)}
	})
	r.add(name, h)
	return h
}

// With returns the histogram for label values in the declared order.
func (h *HistogramVec) With(values ...string) *Histogram { return h.v.with(h.declared, values) }

func (h *HistogramVec) write(b *bytes.Buffer) {
	kids := h.v.sorted()
	if len(kids) == 0 {
		return
	}
	name := h.v.name
	header(b, name, "histogram", h.v.help)
	for _, k := range kids {
		k.m.mu.Lock()
		counts, sum, count := slices.Clone(k.m.counts), k.m.sum, k.m.count
		k.m.mu.Unlock()
		var cum uint64
		for i, up := range h.upper {
			cum += counts[i]
			sample(b, name+"_bucket", h.v.labels, k.values, "le", formatFloat(up), float64(cum))
		}
		sample(b, name+"_bucket", h.v.labels, k.values, "le", "+Inf", float64(count))
		sample(b, name+"_sum", h.v.labels, k.values, "", "", sum)
		sample(b, name+"_count", h.v.labels, k.values, "", "", float64(count))
	}
}
