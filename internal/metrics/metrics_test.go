package metrics

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
)

// The text below is written out by hand from the exposition format:
// families by name, labels by name, series by label values, cumulative
// buckets with le last, values spelled as Prometheus' client spells them.
func TestTextExposition(t *testing.T) {
	r := NewRegistry()
	calls := r.NewCounterVec("x_calls_total", "Calls by tool and outcome.", "tool", "outcome")
	dur := r.NewHistogramVec("x_duration_seconds", "Time.\nTwo lines, a \\ too.", []float64{0.01, 0.5, 2}, "tool")
	g := r.NewGauge("x_in_flight", "Now.")
	r.NewCounterFunc("x_sign_ins_total", "Sign-ins.", func() float64 { return 1234567 })
	r.NewCounterVec("x_unused_total", "Never touched.", "reason")

	calls.With("b", "ok").Inc()
	calls.With("a", "ok").Inc()
	calls.With("a", "error").Inc()
	calls.With("a", "ok").Inc()
	calls.With(`q"\`+"\n", "ok").Inc()
	dur.With("a").Observe(0.01) // on a bound: counted in it
	dur.With("a").Observe(0.3)
	dur.With("a").Observe(7)
	g.Inc()
	g.Inc()
	g.Dec()

	want := `# HELP x_calls_total Calls by tool and outcome.
# TYPE x_calls_total counter
x_calls_total{outcome="error",tool="a"} 1
x_calls_total{outcome="ok",tool="a"} 2
x_calls_total{outcome="ok",tool="b"} 1
x_calls_total{outcome="ok",tool="q\"\\\n"} 1
# HELP x_duration_seconds Time.\nTwo lines, a \\ too.
# TYPE x_duration_seconds histogram
x_duration_seconds_bucket{tool="a",le="0.01"} 1
x_duration_seconds_bucket{tool="a",le="0.5"} 2
x_duration_seconds_bucket{tool="a",le="2"} 2
x_duration_seconds_bucket{tool="a",le="+Inf"} 3
x_duration_seconds_sum{tool="a"} 7.31
x_duration_seconds_count{tool="a"} 3
# HELP x_in_flight Now.
# TYPE x_in_flight gauge
x_in_flight 1
# HELP x_sign_ins_total Sign-ins.
# TYPE x_sign_ins_total counter
x_sign_ins_total 1.234567e+06
`
	var b bytes.Buffer
	r.WriteText(&b)
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestRuntimeFamiliesAsRecorded compares the Go and process families'
// HELP and TYPE lines with those Prometheus' Go client (v1.25) served at
// /metrics before this package replaced it (testdata/runtime_families.txt).
func TestRuntimeFamiliesAsRecorded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process families are read from /proc")
	}
	rec, err := os.ReadFile("testdata/runtime_families.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry()
	r.RegisterRuntime()
	var b bytes.Buffer
	r.WriteText(&b)
	var got []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "# ") {
			got = append(got, line)
		}
	}
	want := strings.Split(strings.TrimSpace(string(rec)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("families differ from the record:\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, series := range []string{"go_goroutines ", "go_info{version=\"" + runtime.Version() + "\"} 1", "go_gc_duration_seconds{quantile=\"0.5\"} ",
		"process_resident_memory_bytes ", "process_open_fds ", "process_start_time_seconds 1."} {
		if !strings.Contains(b.String(), "\n"+series) {
			t.Errorf("no series %q in:\n%s", series, b.String())
		}
	}
}

func TestHandlerCompressesOnlyWhenAsked(t *testing.T) {
	r := NewRegistry()
	r.NewGauge("x_up", "Up.").Inc()
	for _, c := range []struct {
		accept string
		gz     bool
	}{{"", false}, {"gzip", true}, {"deflate, gzip;q=1.0, *;q=0.5", true}, {"gzip;q=0", false}, {"identity", false}} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if c.accept != "" {
			req.Header.Set("Accept-Encoding", c.accept)
		}
		w := httptest.NewRecorder()
		r.Handler().ServeHTTP(w, req)
		if ct := w.Header().Get("Content-Type"); ct != ContentType {
			t.Errorf("%q: Content-Type %q", c.accept, ct)
		}
		body := w.Body.Bytes()
		if c.gz {
			if w.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("%q: not compressed", c.accept)
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		} else if w.Header().Get("Content-Encoding") != "" {
			t.Errorf("%q: compressed though not asked", c.accept)
		}
		if !strings.Contains(string(body), "\nx_up 1\n") {
			t.Errorf("%q: body %q", c.accept, body)
		}
	}
}

func TestSoftLimitAndOctets(t *testing.T) {
	limits := "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \nMax address space         unlimited            unlimited            bytes     \n"
	if v, ok := softLimit(limits, "Max open files"); !ok || v != 1024 {
		t.Errorf("open files: %v %v", v, ok)
	}
	if v, ok := softLimit(limits, "Max address space"); !ok || v != float64(^uint64(0)) {
		t.Errorf("address space: %v %v", v, ok)
	}
	netstat := "TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InNoRoutes InOctets OutOctets\nIpExt: 0 1500 2500\n"
	if in, out, ok := ipOctets(netstat); !ok || in != 1500 || out != 2500 {
		t.Errorf("octets: %v %v %v", in, out, ok)
	}
}

func TestGOGCAsTheRuntimeReadsIt(t *testing.T) {
	for v, want := range map[string]float64{"": 100, "off": -1, "50": 50, "junk": 100} {
		if got := gogc(v); got != want {
			t.Errorf("GOGC=%q: %v, want %v", v, got, want)
		}
	}
}
