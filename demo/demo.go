// Package demo runs the server against the embedded Tableau emulator: a
// sample site that needs no account, reached in memory without a socket.
package demo

import (
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"sync"

	"go.uber.org/zap"

	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/tableau"
)

// BaseURL is the address the demo client uses; no socket is ever opened for it.
const BaseURL = "http://demo.tableau-mcp.invalid"

// New returns a Tableau client signed in (lazily) to a fresh emulated site,
// its VizQL Data Service included; tune may adjust the client's settings.
func New(log *zap.Logger, tune ...func(*tableau.Config)) (*tableau.Client, *tableauemu.Emulator, error) {
	c, site, err := open(log, tune)
	return c, site(), err
}

// Lazy is New for a process that may never call a tool: the emulated site
// is built, and its sample data generated, on the client's first request
// rather than before the server's first answer.
func Lazy(log *zap.Logger, tune ...func(*tableau.Config)) (*tableau.Client, error) {
	c, _, err := open(log, tune)
	return c, err
}

func open(log *zap.Logger, tune []func(*tableau.Config)) (*tableau.Client, func() *tableauemu.Emulator, error) {
	site := sync.OnceValue(func() *tableauemu.Emulator {
		emu, _ := NewSite(tableauemu.Config{})
		return emu
	})
	cfg := tableau.Config{
		ServerURL:   BaseURL,
		Site:        tableauemu.DemoSite,
		PATName:     tableauemu.DemoPATName,
		PATSecret:   tableauemu.DemoPATSecret,
		HTTPClient:  &http.Client{Transport: HandlerTransport{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { site().ServeHTTP(w, r) })}},
		Logger:      log,
		BackendName: "demo",
	}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := tableau.New(cfg)
	return c, site, err
}

// HandlerTransport is an http.RoundTripper that serves requests with an
// in-process handler, streaming the answer through a pipe so that large
// downloads are never held whole in memory.
type HandlerTransport struct{ Handler http.Handler }

// RoundTrip runs the handler and returns as soon as it has written headers.
func (t HandlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, pw: pw, ready: make(chan struct{})}
	in := serverSide(req)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprintf(w, "handler panic: %v", p)
			}
			w.markReady(http.StatusOK)
			pw.Close()
			// As a server does, the request body is closed once the
			// handler returns: a streamed upload the handler refused
			// unread (an expired session) must not wait for a reader.
			in.Body.Close()
		}()
		t.Handler.ServeHTTP(w, in)
	}()
	select {
	case <-w.ready:
	case <-req.Context().Done():
		pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{
		Status:     http.StatusText(w.status),
		StatusCode: w.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        w.sent,
		Body:          pr,
		ContentLength: -1,
		Request:       req,
	}, nil
}

// serverSide gives the handler the request as a server would see it after the
// wire: canonical header names, a non-nil body, the request URI and host.
func serverSide(req *http.Request) *http.Request {
	in := req.Clone(req.Context())
	in.Header = make(http.Header, len(req.Header))
	for k, v := range req.Header {
		key := textproto.CanonicalMIMEHeaderKey(k)
		in.Header[key] = append(in.Header[key], v...)
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	in.Host = req.URL.Host
	in.RemoteAddr = "127.0.0.1:1"
	return in
}

type pipeWriter struct {
	header http.Header
	sent   http.Header
	pw     *io.PipeWriter
	once   sync.Once
	ready  chan struct{}
	status int
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) markReady(status int) {
	w.once.Do(func() {
		w.status = status
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) WriteHeader(status int) { w.markReady(status) }

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.markReady(http.StatusOK)
	return w.pw.Write(b)
}

// Flush is a no-op: every write already reaches the reader.
func (w *pipeWriter) Flush() {}
