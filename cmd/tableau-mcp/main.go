// Command tableau-mcp is an MCP server for Tableau Cloud and Tableau Server.
//
//	tableau-mcp                       serve MCP over stdio (demo site unless configured)
//	tableau-mcp --transport http      serve streamable HTTP at /mcp (--transport sse: /sse)
//	tableau-mcp tools                 list the tools
//	tableau-mcp call TOOL '{json}'    run one tool and print its result
//	tableau-mcp doctor                check the configuration end to end
//	tableau-mcp emulator --listen A   run the Tableau emulator on address A
//	tableau-mcp health                ask a running HTTP server whether it is ready
//	tableau-mcp version               print the version, commit and build date
//
// `tableau-mcp help` lists the commands; `tableau-mcp help CMD` shows one.
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
	"slices"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	// Grows the main goroutine's stack before the other packages initialise.
	_ "github.com/tableau-mcp/tableau-mcp/internal/stackstart"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/backend/upstream"
	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		var code exitCode
		if !errors.As(err, &code) {
			fmt.Fprintln(os.Stderr, "tableau-mcp:", err)
			code = 1
		}
		os.Exit(int(code))
	}
}

// newLogger logs to w at level: JSON lines, or zap's console lines (time,
// level, message, then the fields as JSON) when w is a terminal a person reads.
func newLogger(level string, w io.Writer) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", level)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	encoder := zapcore.NewJSONEncoder(enc)
	if isTerminal(w) {
		enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		enc.EncodeLevel = zapcore.CapitalLevelEncoder
		encoder = zapcore.NewConsoleEncoder(enc)
	}
	core := zapcore.NewCore(encoder, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}

// isTerminal reports whether w is a terminal (a person reads it) rather than
// a pipe or file (a desktop client's log, a container's log collector).
func isTerminal(w io.Writer) bool {
	if t, ok := w.(interface{ IsTerminal() bool }); ok {
		return t.IsTerminal()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// announceStdio says, once, that the process serves MCP on stdin and
// stdout, for what, and how to try it: a sentence on a terminal, where a
// person ran it by hand, and a log line otherwise.
func announceStdio(cfg *config, log *zap.Logger, stderr io.Writer, backendName string, tools int) {
	target := describeTarget(cfg, backendName)
	if isTerminal(stderr) {
		fmt.Fprintf(stderr, "tableau-mcp %s serves MCP on stdin/stdout (%d tools, %s backend: %s).\n"+
			"It waits for an MCP client to write to its stdin: configure it in Claude Desktop, Cursor or VS Code (see the README).\n"+
			"To try it: tableau-mcp call tableau_workbooks_list  or  npx @modelcontextprotocol/inspector tableau-mcp   (Ctrl-C stops it)\n",
			version, tools, backendName, target)
		return
	}
	log.Info("tableau-mcp serving MCP on stdin/stdout", zap.String("version", version), zap.String("backend", backendName), zap.String("site", target),
		zap.String("transport", "stdio"), zap.Int("tools", tools),
		zap.String("try", "tableau-mcp call tableau_workbooks_list, or npx @modelcontextprotocol/inspector tableau-mcp"))
}

// describeTarget names the site a backend serves, for people.
func describeTarget(cfg *config, backendName string) string {
	switch backendName {
	case "tableau":
		site := cfg.TableauSite
		if site == "" {
			site = "Default"
		}
		return fmt.Sprintf("site %q on %s", site, cfg.TableauServerURL)
	case "scalekit":
		if cfg.DemoViaScalekit {
			return "the demo site through in-process Scalekit and Tableau emulators"
		}
		who := cfg.ScalekitIdentifier
		if who == "" {
			who = "(no SCALEKIT_IDENTIFIER)"
		}
		return fmt.Sprintf("Scalekit %s, connection %q, acting for %s", cfg.ScalekitEnvURL, cfg.ScalekitConnection, who)
	}
	return "the demo site with sample data"
}

// openBackend builds the configured backend for the tools served (their
// connected-app scopes). It makes no network call.
func openBackend(cfg *config, log *zap.Logger, served []tools.Tool) (backend.Backend, error) {
	name, err := cfg.chooseBackend()
	if err != nil {
		return nil, err
	}
	policy := upstream.Policy{Timeout: cfg.UpstreamTimeout, Log: log}
	switch name {
	case "tableau":
		tc := tableau.Config{
			ServerURL: cfg.TableauServerURL, Site: cfg.TableauSite,
			PATName: cfg.TableauPATName, PATSecret: cfg.TableauPATSecret,
			APIVersion: cfg.TableauAPIVersion, Logger: log, Retry: policy,
		}
		if cfg.connectedApp() {
			tc.ConnectedApp = tableau.ConnectedApp{ClientID: cfg.ConnectedAppClientID, SecretID: cfg.ConnectedAppSecretID,
				SecretValue: cfg.ConnectedAppSecretValue, Sub: cfg.JWTSub}
			names := make([]string, len(served))
			for i, t := range served {
				names[i] = t.Name
			}
			if tc.Scopes, err = tableau.ToolScopes(names); err != nil {
				return nil, err
			}
		}
		return tableau.New(tc)
	case "scalekit":
		if cfg.DemoViaScalekit {
			log.Warn("serving the DEMO site through in-process Scalekit and Tableau emulators (sample data)", zap.String("identifier", cfg.ScalekitIdentifier))
			c, _, _, err := demo.ViaScalekit(log, func(c *scalekit.Config) { c.Retry = policy })
			return c, err
		}
		return scalekit.New(scalekit.Config{
			EnvironmentURL: cfg.ScalekitEnvURL, ClientID: cfg.ScalekitClientID, ClientSecret: cfg.ScalekitClientSecret,
			Connection: cfg.ScalekitConnection, APIVersion: cfg.TableauAPIVersion, Logger: log, Retry: policy,
		})
	default:
		log.Warn("no Tableau or Scalekit settings: serving the DEMO site with generated sample data; set TABLEAU_SERVER_URL, TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET for a real site")
		return demo.Lazy(log, func(c *tableau.Config) { c.Retry = policy })
	}
}

func serve(ctx context.Context, cfg *config, log *zap.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	demoAS, err := cfg.startDemoOAuth(stderr)
	if err != nil {
		return err
	}
	if demoAS != nil {
		defer demoAS.Close()
	}
	exports, err := cfg.exports()
	if err != nil {
		return err
	}
	sw, list, err := cfg.selectedTools()
	if err != nil {
		return err
	}
	overHTTP := cfg.Transport == "http" || cfg.Transport == "sse"
	if !overHTTP && cfg.Transport != "stdio" {
		return fmt.Errorf("--transport %q is not one of stdio, http, sse", cfg.Transport)
	}
	var authn auth.Authenticator
	var tokens *auth.TokenFile
	var resource *server.ProtectedResource
	if overHTTP {
		if authn, tokens, err = cfg.authenticator(log); err != nil {
			return err
		}
		if resource, err = cfg.protectedResource(); err != nil {
			return err
		}
		if authn != nil && sw.noAuth {
			return fmt.Errorf("--no-auth contradicts the authentication settings (--auth-file, --jwt-*, --jwks-url, --trusted-header); keep one or the other")
		}
	}
	b, err := openBackend(cfg, log, list)
	if err != nil {
		return err
	}
	defer closeBackend(b, log)
	var metrics *server.Metrics
	served := b
	if overHTTP {
		metrics = server.NewMetrics()
		served = metrics.Instrument(b)
	}
	opts := cfg.serverOptions(sw, exports, log)
	opts.Backend, opts.Tools, opts.Metrics = served, list, metrics
	s, err := server.New(opts)
	if err != nil {
		return err
	}
	if !overHTTP {
		announceStdio(cfg, log, stderr, b.Name(), len(list))
	} else {
		log.Info("tableau-mcp starting", zap.String("version", version), zap.String("backend", b.Name()), zap.String("transport", cfg.Transport),
			zap.Int("tools", len(list)), zap.Bool("read_only", sw.selection.ReadOnly), zap.Bool("scoped", sw.scope.Active()))
	}
	if !overHTTP {
		if cfg.JWTSub == tableau.IdentitySub && cfg.ScalekitIdentifier == "" {
			log.Warn("TABLEAU_JWT_SUB is {identity} but no SCALEKIT_IDENTIFIER names the Tableau user this stdio process acts for: every tool call will fail")
		}
		if b.Name() == "scalekit" && cfg.ScalekitIdentifier == "" {
			log.Warn("no SCALEKIT_IDENTIFIER: every tool call will fail until it names the connected account this process acts for")
		}
		return server.ServeStdio(ctx, s, stdin, stdout, cfg.ScalekitIdentifier, log)
	}
	if tokens != nil {
		// Registered before serving, so a SIGHUP never finds the default action (exit).
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go reloadOnHangup(ctx, hup, tokens, log)
	}
	return server.ServeHTTP(ctx, s, server.HTTPOptions{
		Transport: cfg.Transport, Listen: cfg.Listen, Logger: log,
		Auth: authn, NoAuth: sw.noAuth, NoAuthIdentity: cfg.ScalekitIdentifier, AllowedOrigins: sw.origins, AllowedHosts: sw.hosts,
		Resource: resource, Metrics: metrics, Ready: readiness(b), ShutdownGrace: sw.grace,
		SessionIdleTimeout: sw.sessionIdle, MaxSessionsPerIdentity: sw.maxSessions, SessionSecret: sw.sessionSecret, Peers: sw.peers,
	})
}

// reloadOnHangup reads the auth file again on each SIGHUP; sessions stay open.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, f *auth.TokenFile, log *zap.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := f.Reload(); err != nil {
				log.Error("auth file not reloaded; the tokens in force stay", zap.Error(err))
			} else {
				log.Info("auth file reloaded", zap.Int("tokens", f.Len()))
			}
		}
	}
}

// readiness checks that the backend is reachable and signed in: with the
// backend's own Ready method when it has one, else, for a Tableau session,
// by reading the current session.
func readiness(b backend.Backend) func(context.Context) error {
	if r, ok := b.(interface{ Ready(context.Context) error }); ok {
		return r.Ready
	}
	if b.Name() != "tableau" && b.Name() != "demo" {
		return nil
	}
	return func(ctx context.Context) error {
		_, err := b.Invoke(ctx, backend.Call{Tool: "tableau_session_get", Forward: true, Params: map[string]any{},
			Request: backend.Request{Method: http.MethodGet, Scope: backend.APIScope, Path: "/sessions/current"}})
		return err
	}
}

// serverOptions are the server settings that serving and `call` share.
func (c *config) serverOptions(sw switches, exports tools.ExportOptions, log *zap.Logger) server.Options {
	return server.Options{
		Version: version, Logger: log,
		AllowDestructive: sw.allowDestructive, Scope: sw.scope, Limits: sw.limits, SessionSecret: sw.sessionSecret,
		MetadataTTL: c.MetadataTTL, SkipQueryCheck: !c.QueryCheck, Exports: exports, Results: c.Results,
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

// listTools prints the tools the current settings would serve.
func listTools(cfg *config, w io.Writer) error {
	_, list, err := cfg.selectedTools()
	if err != nil {
		return err
	}
	for _, t := range list {
		fmt.Fprintf(w, "%-40s %s  %-11s %s\n", t.Name, t.Kind, t.Toolset, t.Title)
	}
	return nil
}

// callTool runs one tool through the same server as serve (selection,
// scope, limits, confirmation rules), in process.
func callTool(ctx context.Context, cfg *config, log *zap.Logger, args []string, w io.Writer, outDir string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: tableau-mcp call TOOL ['{\"json\":\"arguments\"}']")
	}
	t, err := tools.ByName(args[0])
	if err != nil {
		return err
	}
	sw, list, err := cfg.selectedTools()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(list, func(x tools.Tool) bool { return x.Name == t.Name }) {
		return fmt.Errorf("%s is not served with the current settings (toolsets, --tools, --exclude-tools, --read-only); add --toolsets all or --tools %s", t.Name, t.Name)
	}
	var arguments map[string]any
	if len(args) == 2 {
		if err := json.Unmarshal([]byte(args[1]), &arguments); err != nil {
			return fmt.Errorf("the arguments %q are not a JSON object; write them like '{\"workbook_id\":\"...\"}'", args[1])
		}
	}
	exports, err := cfg.exports()
	if err != nil {
		return err
	}
	b, err := openBackend(cfg, log, []tools.Tool{t})
	if err != nil {
		return err
	}
	defer closeBackend(b, log)
	opts := cfg.serverOptions(sw, exports, log)
	opts.Backend, opts.Tools = b, []tools.Tool{t}
	s, err := server.New(opts)
	if err != nil {
		return err
	}
	if cfg.ScalekitIdentifier != "" {
		ctx = auth.WithIdentity(ctx, cfg.ScalekitIdentifier)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "tableau-mcp call", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		return err
	}
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = t.Name, arguments
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return err
	}
	printResult(w, res)
	if outDir != "" && !res.IsError {
		if err := saveFiles(ctx, c, t.Name, res, outDir, w); err != nil {
			return err
		}
	}
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
	app := emu.DefaultConnectedApp()
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(w, "Tableau emulator (sample data, VizQL Data Service included) listening on %s\nSign in with:\n  TABLEAU_SERVER_URL=%s\n  TABLEAU_SITE=%s\n  TABLEAU_PAT_NAME=%s\n  TABLEAU_PAT_SECRET=%s\n",
		url, url, pat.SiteContentURL, pat.Name, pat.Secret)
	fmt.Fprintf(w, "or, with the connected app (Direct Trust; several sessions per user may be live), instead of the PAT:\n  TABLEAU_CONNECTED_APP_CLIENT_ID=%s\n  TABLEAU_CONNECTED_APP_SECRET_ID=%s\n  TABLEAU_CONNECTED_APP_SECRET_VALUE=%s\n  TABLEAU_JWT_SUB=%s\n(TABLEAU_JWT_SUB={identity} signs each HTTP caller in as the site user their identifier names)\n",
		app.ClientID, app.SecretID, app.SecretValue, "admin@example.com")
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
