// Command tableau-mcp is an MCP server for Tableau Cloud and Tableau Server.
//
//	tableau-mcp                       serve MCP over stdio (demo site unless configured)
//	tableau-mcp --transport http      serve streamable HTTP at /mcp (--transport sse: /sse)
//	tableau-mcp tools                 list the tools
//	tableau-mcp call TOOL '{json}'    run one tool and print its result
//	tableau-mcp doctor                check the configuration end to end
//	tableau-mcp emulator --listen A   run the Tableau emulator on address A
//	tableau-mcp version
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/joho/godotenv"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tableau-mcp:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet()
	fs.SetOutput(stderr)
	var cfg config
	cfg.define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cmd, rest := "serve", fs.Args()
	if len(rest) > 0 {
		cmd = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = fs.Args()
	}
	// A .env file in the working directory fills what the environment lacks.
	if err := godotenv.Load(); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading .env: %w", err)
	}
	if err := cfg.resolve(fs); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, stderr)
	if err != nil {
		return err
	}
	defer log.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, &cfg, log, stdin, stdout)
	case "tools":
		return listTools(stdout)
	case "call":
		return callTool(ctx, &cfg, log, rest, stdout)
	case "emulator":
		return runEmulator(ctx, &cfg, stdout)
	case "doctor":
		return doctor(ctx, &cfg, log, stdout)
	case "version":
		fmt.Fprintln(stdout, "tableau-mcp", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q; commands: serve (default), tools, call, doctor, emulator, version", cmd)
	}
}

func newLogger(level string, w io.Writer) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", level)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}

// openBackend builds the configured backend. It makes no network call.
func openBackend(cfg *config, log *zap.Logger) (backend.Backend, error) {
	name, err := cfg.chooseBackend()
	if err != nil {
		return nil, err
	}
	switch name {
	case "tableau":
		return tableau.New(tableau.Config{
			ServerURL: cfg.TableauServerURL, Site: cfg.TableauSite,
			PATName: cfg.TableauPATName, PATSecret: cfg.TableauPATSecret,
			APIVersion: cfg.TableauAPIVersion, Logger: log,
		})
	case "scalekit":
		if cfg.DemoViaScalekit {
			log.Warn("serving the DEMO site through in-process Scalekit and Tableau emulators (sample data)", zap.String("identifier", cfg.ScalekitIdentifier))
			c, _, _, err := demo.ViaScalekit(log)
			return c, err
		}
		return scalekit.New(scalekit.Config{
			EnvironmentURL: cfg.ScalekitEnvURL, ClientID: cfg.ScalekitClientID, ClientSecret: cfg.ScalekitClientSecret,
			Connection: cfg.ScalekitConnection, APIVersion: cfg.TableauAPIVersion, Logger: log,
		})
	default:
		log.Warn("no Tableau or Scalekit settings: serving the DEMO site with generated sample data; set TABLEAU_SERVER_URL, TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET for a real site")
		c, _, err := demo.New(log)
		return c, err
	}
}

func serve(ctx context.Context, cfg *config, log *zap.Logger, stdin io.Reader, stdout io.Writer) error {
	exports, err := cfg.exports()
	if err != nil {
		return err
	}
	b, err := openBackend(cfg, log)
	if err != nil {
		return err
	}
	defer closeBackend(b, log)
	s, err := server.New(server.Options{Version: version, Backend: b, Logger: log, MetadataTTL: cfg.MetadataTTL, SkipQueryCheck: !cfg.QueryCheck, Exports: exports})
	if err != nil {
		return err
	}
	log.Info("tableau-mcp starting", zap.String("version", version), zap.String("backend", b.Name()), zap.String("transport", cfg.Transport))
	switch cfg.Transport {
	case "stdio":
		return server.ServeStdio(ctx, s, stdin, stdout, cfg.ScalekitIdentifier, log)
	case "http", "sse":
		return server.ServeHTTP(ctx, s, server.HTTPOptions{Transport: cfg.Transport, Listen: cfg.Listen, Logger: log})
	default:
		return fmt.Errorf("--transport %q is not one of stdio, http, sse", cfg.Transport)
	}
}

func closeBackend(b backend.Backend, log *zap.Logger) {
	if c, ok := b.(backend.Closer); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			log.Warn("closing the backend", zap.Error(err))
		}
	}
}

func listTools(w io.Writer) error {
	for _, t := range tools.All() {
		fmt.Fprintf(w, "%-40s %s  %s\n", t.Name, t.Kind, t.Title)
	}
	return nil
}

func callTool(ctx context.Context, cfg *config, log *zap.Logger, args []string, w io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: tableau-mcp call TOOL ['{\"json\":\"arguments\"}']")
	}
	t, err := tools.ByName(args[0])
	if err != nil {
		return err
	}
	raw := json.RawMessage("{}")
	if len(args) == 2 {
		if !json.Valid([]byte(args[1])) {
			return fmt.Errorf("the arguments %q are not valid JSON; write them like '{\"workbook_id\":\"...\"}'", args[1])
		}
		raw = json.RawMessage(args[1])
	}
	exports, err := cfg.exports()
	if err != nil {
		return err
	}
	b, err := openBackend(cfg, log)
	if err != nil {
		return err
	}
	defer closeBackend(b, log)
	if cfg.ScalekitIdentifier != "" {
		ctx = auth.WithIdentity(ctx, cfg.ScalekitIdentifier)
	}
	env := &tools.Env{Backend: b, Log: log, Metadata: tools.NewMetadataCache(cfg.MetadataTTL), SkipQueryCheck: !cfg.QueryCheck, Exports: exports}
	res, err := t.Handle(ctx, env, raw)
	if err != nil {
		return err
	}
	printResult(w, res)
	if res.IsError {
		return fmt.Errorf("%s returned an error", t.Name)
	}
	return nil
}

func printResult(w io.Writer, res *mcp.CallToolResult) {
	for _, c := range res.Content {
		switch c := c.(type) {
		case mcp.TextContent:
			var v any
			if json.Unmarshal([]byte(c.Text), &v) == nil {
				b, _ := json.MarshalIndent(v, "", "  ")
				fmt.Fprintln(w, string(b))
			} else {
				fmt.Fprintln(w, c.Text)
			}
		case mcp.ImageContent:
			fmt.Fprintf(w, "[image %s, %d base64 characters]\n", c.MIMEType, len(c.Data))
		case mcp.ResourceLink:
			fmt.Fprintf(w, "[resource link %s (%s)]\n", c.URI, c.MIMEType)
		case mcp.EmbeddedResource:
			switch r := c.Resource.(type) {
			case mcp.BlobResourceContents:
				fmt.Fprintf(w, "[embedded resource %s (%s), %d base64 characters]\n", r.URI, r.MIMEType, len(r.Blob))
			case mcp.TextResourceContents:
				fmt.Fprintf(w, "[embedded resource %s (%s), %d characters]\n", r.URI, r.MIMEType, len(r.Text))
			default:
				fmt.Fprintf(w, "[embedded resource]\n")
			}
		default:
			fmt.Fprintf(w, "[%T]\n", c)
		}
	}
}

func runEmulator(ctx context.Context, cfg *config, w io.Writer) error {
	emu, _ := demo.NewSite(tableauemu.Config{})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	pat := emu.DefaultPAT()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(w, "Tableau emulator (sample data, VizQL Data Service included) listening on %s\nSign in with:\n  TABLEAU_SERVER_URL=%s\n  TABLEAU_SITE=%s\n  TABLEAU_PAT_NAME=%s\n  TABLEAU_PAT_SECRET=%s\n",
		url, url, pat.SiteContentURL, pat.Name, pat.Secret)
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
