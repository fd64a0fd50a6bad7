package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/internal/metrics"
)

// Metrics are the Prometheus metrics the server exports at /metrics. A nil
// *Metrics records nothing. They exist only for the HTTP transports: a
// stdio process makes none.
type Metrics struct {
	reg      *metrics.Registry
	calls    *metrics.CounterVec
	duration *metrics.HistogramVec
	inFlight *metrics.Gauge
	upstream *metrics.CounterVec
	authFail *metrics.CounterVec
}

// NewMetrics makes the metrics in their own registry, with the Go runtime
// and process families.
func NewMetrics() *Metrics {
	reg := metrics.NewRegistry()
	reg.RegisterRuntime()
	return &Metrics{
		reg: reg,
		calls: reg.NewCounterVec("tableau_mcp_tool_calls_total",
			"Tool calls by tool and outcome (ok, error, refused, cancelled, input_required, failed).", "tool", "outcome"),
		duration: reg.NewHistogramVec("tableau_mcp_tool_call_duration_seconds",
			"Time from receiving a tool call to answering it.",
			[]float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}, "tool"),
		inFlight: reg.NewGauge("tableau_mcp_tool_calls_in_flight", "Tool calls running now."),
		upstream: reg.NewCounterVec("tableau_mcp_upstream_responses_total",
			"Answers from the backend by HTTP status: 2xx for success, the status code of an error, or error when no status was received.", "status"),
		authFail: reg.NewCounterVec("tableau_mcp_http_unauthorized_total",
			"HTTP requests refused for missing or invalid credentials.", "reason"),
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return m.reg.Handler() }

func (m *Metrics) started() {
	if m != nil {
		m.inFlight.Inc()
	}
}

func (m *Metrics) finished() {
	if m != nil {
		m.inFlight.Dec()
	}
}

func (m *Metrics) observe(tool, outcome string, d time.Duration) {
	if m != nil {
		m.calls.With(tool, outcome).Inc()
		m.duration.With(tool).Observe(d.Seconds())
	}
}

func (m *Metrics) unauthorized(reason string) {
	if m != nil {
		m.authFail.With(reason).Inc()
	}
}

// Instrument wraps b so that every answer's status is counted, and exports
// the backend's sign-ins and session renewals when it counts them (methods
// SignIns() int and Renewals() int). A nil *Metrics returns b unchanged.
func (m *Metrics) Instrument(b backend.Backend) backend.Backend {
	if m == nil {
		return b
	}
	if c, ok := b.(interface{ SignIns() int }); ok {
		m.reg.NewCounterFunc("tableau_mcp_upstream_sign_ins_total",
			"Sign-ins to Tableau (or token fetches from Scalekit) made by the backend.",
			func() float64 { return float64(c.SignIns()) })
	}
	if c, ok := b.(interface{ Renewals() int }); ok {
		m.reg.NewCounterFunc("tableau_mcp_upstream_session_renewals_total",
			"Sessions or tokens renewed after the upstream rejected them.",
			func() float64 { return float64(c.Renewals()) })
	}
	return &instrumented{inner: b, m: m}
}

// instrumented is a backend.Backend that counts answers by status.
type instrumented struct {
	inner backend.Backend
	m     *Metrics
}

func (b *instrumented) Name() string { return b.inner.Name() }

// Unwrap returns the wrapped backend, for code that needs its own methods.
func (b *instrumented) Unwrap() backend.Backend { return b.inner }

func (b *instrumented) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	raw, err := b.inner.Invoke(ctx, call)
	b.record(err)
	return raw, err
}

func (b *instrumented) Open(ctx context.Context, req backend.Request) (*http.Response, error) {
	resp, err := b.inner.Open(ctx, req)
	b.record(err)
	return resp, err
}

// Close ends the wrapped backend's session, if it keeps one.
func (b *instrumented) Close(ctx context.Context) error {
	if c, ok := b.inner.(backend.Closer); ok {
		return c.Close(ctx)
	}
	return nil
}

func (b *instrumented) record(err error) {
	status := "2xx"
	var ae *backend.APIError
	switch {
	case err == nil:
	case errors.As(err, &ae):
		status = strconv.Itoa(ae.Status)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = "cancelled"
	default:
		status = "error"
	}
	b.m.upstream.With(status).Inc()
}
