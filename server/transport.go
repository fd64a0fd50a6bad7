package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// ServeStdio serves MCP on in/out until ctx ends or the client closes input.
// Every request acts for identity (the one user this process serves).
func ServeStdio(ctx context.Context, s *mcpserver.MCPServer, in io.Reader, out io.Writer, identity string, log *zap.Logger) error {
	std := mcpserver.NewStdioServer(s)
	std.SetErrorLogger(zap.NewStdLog(log))
	std.SetContextFunc(func(ctx context.Context) context.Context {
		if identity != "" {
			ctx = auth.WithIdentity(ctx, identity)
		}
		return ctx
	})
	err := std.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// HTTPOptions configure the HTTP transports.
type HTTPOptions struct {
	Transport string // "http" (streamable HTTP at /mcp) or "sse" (/sse and /message)
	Listen    string // host:port
	Logger    *zap.Logger
	// Identity resolves the caller of an HTTP request; the empty identity
	// means none. The sidecar's authentication plugs in here.
	Identity func(r *http.Request) string
	// Ready reports whether the backend can serve (for /readyz); nil: always.
	Ready func(ctx context.Context) error
	// ShutdownGrace bounds how long in-flight requests may finish.
	ShutdownGrace time.Duration
}

// Handler returns the HTTP handler for the chosen transport plus health endpoints.
func Handler(s *mcpserver.MCPServer, o HTTPOptions) http.Handler {
	mux := http.NewServeMux()
	ctxFn := func(ctx context.Context, r *http.Request) context.Context {
		if o.Identity != nil {
			if id := o.Identity(r); id != "" {
				ctx = auth.WithIdentity(ctx, id)
			}
		}
		return ctx
	}
	switch o.Transport {
	case "sse":
		sse := mcpserver.NewSSEServer(s,
			mcpserver.WithSSEContextFunc(ctxFn),
			mcpserver.WithUseFullURLForMessageEndpoint(false),
			mcpserver.WithKeepAlive(true),
		)
		mux.Handle("/sse", sse)
		mux.Handle("/message", sse)
	default:
		mux.Handle("/mcp", mcpserver.NewStreamableHTTPServer(s,
			mcpserver.WithHTTPContextFunc(ctxFn),
			mcpserver.WithEndpointPath("/mcp"),
		))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if o.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
			defer cancel()
			if err := o.Ready(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "not ready: "+err.Error()+"\n")
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	return mux
}

// ServeHTTP listens on o.Listen until ctx ends, then lets in-flight requests
// finish within the grace period.
func ServeHTTP(ctx context.Context, s *mcpserver.MCPServer, o HTTPOptions) error {
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return err
	}
	return ServeListener(ctx, s, ln, o)
}

// ServeListener is ServeHTTP on an existing listener.
func ServeListener(ctx context.Context, s *mcpserver.MCPServer, ln net.Listener, o HTTPOptions) error {
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	srv := &http.Server{
		Handler:           Handler(s, o),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	path := "/mcp"
	if o.Transport == "sse" {
		path = "/sse"
	}
	log.Info("serving MCP over HTTP", zap.String("transport", o.Transport), zap.String("url", "http://"+ln.Addr().String()+path))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := o.ShutdownGrace
	if grace <= 0 {
		grace = 20 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	log.Info("shutting down HTTP listener", zap.Duration("grace", grace))
	return srv.Shutdown(sctx)
}
