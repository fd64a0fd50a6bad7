package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
)

// Set at build time: go build -ldflags "-X main.version=1.2.0 -X main.commit=abc123 -X main.date=2026-01-31T10:00:00Z".
// Without them, the module version and the VCS stamp Go records are shown.
var (
	version = "0.1.0-dev"
	commit  = ""
	date    = ""
)

// app is one run of the command: its settings and where it reads and writes.
type app struct {
	cfg            config
	stdin          io.Reader
	stdout, stderr io.Writer

	showVersion bool   // --version
	outDir      string // call --out
	healthURL   string // health --url

	// specs are the settings each subcommand's help shows; a subcommand's
	// setting flags are registered only when it is the one run (or help or
	// completion asks), which keeps the start of a process short.
	specs map[*cobra.Command]commandSpec
}

// commandSpec says which settings a command's help shows; every command
// accepts all of them, so a flag written before the command name works too.
type commandSpec struct {
	known  bool
	groups []string // whole sections of settingGroups
	flags  []string // single settings
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	a.cfg.init()
	if len(args) == 0 {
		// Started with no arguments, as MCP clients start it: it serves,
		// as the root command does, without building the commands and
		// their help (and cobra's completion command) it will not use, nor
		// a set of flags none of which can have been given.
		return a.cfg.explain(forUsage(a.serveWith(nil), "tableau-mcp"))
	}
	root := a.commands()
	args = longFlags(args, a.cfg.settings)
	a.settingFlags(root) // Find reads the root's flags to skip their values
	root.InitDefaultHelpCmd()
	completing := len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
	if target, _, err := root.Find(args); err == nil && a.specs[target].known && !completing {
		a.settingFlags(target)
	} else { // help, completion, or a mistake: every command's help may be asked for
		for c := range a.specs {
			a.settingFlags(c)
		}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	var unknown string
	if err != nil && cmd != nil {
		if _, e := fmt.Sscanf(err.Error(), "unknown command %q", &unknown); e == nil {
			err = unknownCommand(cmd, unknown)
		}
	}
	if err != nil && cmd != nil {
		err = forUsage(err, cmd.CommandPath())
	}
	return a.cfg.explain(err)
}

// forUsage points a mistake in the command line to the help of command.
func forUsage(err error, command string) error {
	if err != nil && isUsageError(err) {
		return fmt.Errorf("%w\nRun '%s --help' for usage.", err, command)
	}
	return err
}

// unknownCommand names the commands there are, and the likely one.
func unknownCommand(c *cobra.Command, name string) error {
	if !c.HasSubCommands() {
		return usageError{fmt.Errorf("%s takes no arguments (got %q)", c.CommandPath(), name)}
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			names = append(names, sub.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q; commands: %s", name, strings.Join(names, ", "))
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{errors.New(msg)}
}

// usageError marks a mistake in the command line itself.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func isUsageError(err error) bool {
	_, ok := err.(usageError)
	return ok || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "accepts ")
}

// longFlags keeps the single-dash long flags (-transport http) that the
// standard flag package accepted working: they become --transport http.
func longFlags(args []string, settings []setting) []string {
	var known map[string]bool // made for the first argument that needs it
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if len(a) <= 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		if known == nil {
			known = map[string]bool{"version": true, "help": true, "out": true, "url": true}
			for _, s := range settings {
				known[s.flag] = true
			}
		}
		if name, _, _ := strings.Cut(a[1:], "="); known[name] {
			out[i] = "-" + a
		}
	}
	return out
}

func (a *app) commands() *cobra.Command {
	a.specs = map[*cobra.Command]commandSpec{}
	root := &cobra.Command{
		Use:   "tableau-mcp",
		Short: "MCP server for Tableau Cloud and Tableau Server",
		Long: `tableau-mcp serves MCP (the Model Context Protocol) so that LLM agents can browse,
query and export Tableau content. With no command it serves MCP: over stdin and
stdout for a desktop client (Claude Desktop, Cursor, VS Code), or over HTTP with
--transport http or sse. Without Tableau or Scalekit settings it serves a demo
site with sample data.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.showVersion {
				return a.printVersion()
			}
			return a.serve(cmd)
		},
	}
	root.Flags().BoolVarP(&a.showVersion, "version", "v", false, "print the version, commit and build date, and exit")
	a.specs[root] = commandSpec{known: true, groups: allGroups()}

	serveCmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve MCP (the default when no command is given)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return a.serve(cmd) },
	}
	a.specs[serveCmd] = commandSpec{known: true, groups: allGroups()}

	toolsCmd := &cobra.Command{
		Use:   "tools",
		Short: "List the tools the current settings serve",
		Long:  "List the tools the current settings serve: name, kind (R read, W write, D destructive), toolset and title.\nOver stdio every tool is served by default; over http and sse a smaller default set (--toolsets all for every one).",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.prepare(cmd); err != nil {
				return err
			}
			return listTools(&a.cfg, a.stdout)
		},
	}
	a.specs[toolsCmd] = commandSpec{known: true, groups: []string{"Tools and safety"}, flags: []string{"transport"}}

	callCmd := &cobra.Command{
		Use:   "call TOOL ['{\"json\":\"arguments\"}']",
		Short: "Run one tool against the configured backend and print its result",
		Long: `Run one tool against the configured backend (the demo site without settings) and
print its result, through the same server as serving: the same toolsets, scope,
limits and confirmation rules. With --out DIR every image, PDF and file of the
result is written into DIR and its path printed.`,
		Example: `  tableau-mcp call tableau_workbooks_list '{"page_size":3}'
  tableau-mcp call tableau_view_image_get '{"view_id":"..."}' --out ./exports`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("call takes a tool name and, optionally, its arguments as one JSON object; got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := a.prepare(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return callTool(ctx, &a.cfg, log, args, a.stdout, a.outDir)
		},
	}
	callCmd.Flags().StringVar(&a.outDir, "out", "", "write every image, PDF and file of the result into `DIR` (created if missing) and print their paths")
	a.specs[callCmd] = commandSpec{known: true, groups: []string{"Tableau", "Scalekit", "Tools and safety", "Queries and exports"}, flags: []string{"log-level"}}

	doctorCmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration end to end and say how to fix what fails",
		Long: `Check the configuration end to end, one line per step: the settings, that the
server answers and is Tableau (serverinfo), the sign-in with the Personal Access
Token on the site, the session, and access to the REST API and the VizQL Data
Service; or, through Scalekit, the access token and the connected account.
The first failing step says what is wrong and how to fix it. Exit status 0 when
every step passes, 1 otherwise. Log lines are shown only with --log-level debug.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.human(cmd, func(ctx context.Context, log *zap.Logger) error {
				return doctor(ctx, &a.cfg, log, a.stdout)
			})
		},
	}
	a.specs[doctorCmd] = commandSpec{known: true, groups: []string{"Tableau", "Scalekit"}, flags: []string{"log-level"}}

	var identifier string
	connectCmd := &cobra.Command{
		Use:   "connect",
		Short: "Save a Tableau personal access token as a Scalekit connected account, then check it",
		Long: `Create or update the Scalekit connected account of --identifier (or
SCALEKIT_IDENTIFIER) on the Tableau connection with a personal access token: the
Tableau server, site, token name and token secret are asked at the terminal (the
secret is not shown; without a terminal each is read as a line of stdin). Then
the account is checked as doctor does, with tableau_session_get. Needs the
Scalekit settings (SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID,
SCALEKIT_CLIENT_SECRET). With Scalekit MCP Auth a caller's identifier is the sub
of their token (usr_...).`,
		Example: `  tableau-mcp connect --identifier usr_0123456789`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.human(cmd, func(ctx context.Context, log *zap.Logger) error {
				return connect(ctx, &a.cfg, log, identifier, a.stdin, a.stdout, a.stderr)
			})
		},
	}
	connectCmd.Flags().StringVar(&identifier, "identifier", "", "the connected account's `ID` (default SCALEKIT_IDENTIFIER)")
	a.specs[connectCmd] = commandSpec{known: true, groups: []string{"Scalekit"}, flags: []string{"log-level"}}

	emulatorCmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the Tableau emulator (REST and VizQL Data Service) over HTTP",
		Long:  "Run the Tableau emulator (REST API and VizQL Data Service, sample data) over HTTP on --listen,\nand print the settings that sign in to it.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.prepare(cmd); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return runEmulator(ctx, &a.cfg, a.stdout)
		},
	}
	a.specs[emulatorCmd] = commandSpec{known: true, flags: []string{"listen", "log-level"}}

	healthCmd := &cobra.Command{
		Use:   "health",
		Short: "Check that a running HTTP server is ready (for container health checks)",
		Long: `Ask a running tableau-mcp HTTP server whether it is ready (GET /readyz) and exit 0
when it answers 200, 1 otherwise. The server is found at --url, else at --listen
(TABLEAU_MCP_LISTEN; an address on all interfaces is asked on loopback).
With the stdio transport there is nothing to ask: it says so and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.prepare(cmd); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return health(ctx, &a.cfg, a.healthURL, a.stdout)
		},
	}
	healthCmd.Flags().StringVar(&a.healthURL, "url", "", "`URL` to ask instead, such as http://127.0.0.1:8080/healthz")
	a.specs[healthCmd] = commandSpec{known: true, flags: []string{"transport", "listen"}}

	versionCmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return a.printVersion() },
	}
	a.specs[versionCmd] = commandSpec{known: true}

	root.SuggestionsMinimumDistance = 2
	root.AddCommand(serveCmd, toolsCmd, callCmd, doctorCmd, connectCmd, emulatorCmd, healthCmd, versionCmd)
	root.SetUsageFunc(usage)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

func allGroups() []string {
	var out []string
	for _, g := range settingGroups {
		out = append(out, g.name)
	}
	return out
}

// settingFlags registers every setting on cmd, hiding from its help those
// the spec does not name.
func (a *app) settingFlags(cmd *cobra.Command) {
	spec, ok := a.specs[cmd]
	fs := cmd.Flags()
	if !ok || fs.Lookup("transport") != nil {
		return
	}
	a.cfg.define(fs)
	shown := map[string]bool{}
	for _, f := range spec.flags {
		shown[f] = true
	}
	for _, g := range settingGroups {
		for _, name := range spec.groups {
			if g.name == name {
				for _, f := range g.flags {
					shown[f] = true
				}
			}
		}
	}
	for _, s := range a.cfg.settings {
		if !shown[s.flag] {
			fs.MarkHidden(s.flag)
		}
	}
}

// prepare reads the .env file and the settings, and makes the logger.
func (a *app) prepare(cmd *cobra.Command) (*zap.Logger, error) {
	return a.prepareWith(cmd.Flags())
}

// prepareWith is prepare with the flags of the command line (nil: none).
func (a *app) prepareWith(flags *pflag.FlagSet) (*zap.Logger, error) {
	if err := a.cfg.loadDotEnv(); err != nil {
		return nil, err
	}
	if err := a.cfg.resolve(flags); err != nil {
		return nil, err
	}
	log, err := newLogger(a.cfg.LogLevel, a.stderr)
	if err != nil {
		return nil, err
	}
	if a.cfg.dotenv != "" {
		log.Info("read settings from a .env file", zap.String("file", a.cfg.dotenv), zap.Strings("variables", a.cfg.dotenvProvided()))
	}
	return log, nil
}

func (a *app) serve(cmd *cobra.Command) error { return a.serveWith(cmd.Flags()) }

func (a *app) serveWith(flags *pflag.FlagSet) error {
	log, err := a.prepareWith(flags)
	if err != nil {
		return err
	}
	defer log.Sync()
	ctx, stop := signalContext()
	defer stop()
	return serve(ctx, &a.cfg, log, a.stdin, a.stdout, a.stderr)
}

// human runs a command whose output is for a person (doctor, connect): log
// lines only with --log-level debug, and a context that signals end.
func (a *app) human(cmd *cobra.Command, run func(ctx context.Context, log *zap.Logger) error) error {
	log, err := a.prepare(cmd)
	if err != nil {
		return err
	}
	if a.cfg.LogLevel != "debug" {
		log = zap.NewNop()
	}
	ctx, stop := signalContext()
	defer stop()
	return run(ctx, log)
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// usage prints a command's usage with its settings in sections.
func usage(c *cobra.Command) error {
	w := c.OutOrStderr()
	fmt.Fprintf(w, "Usage:\n  %s\n", c.UseLine())
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(w, "  %s COMMAND [flags]\n", c.CommandPath())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintln(w, "\nCommands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(w, "  %-11s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	if c.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", c.Example)
	}
	grouped := map[string]bool{}
	settings := false
	for _, g := range settingGroups {
		fs := pflag.NewFlagSet(g.name, pflag.ContinueOnError)
		for _, name := range g.flags {
			grouped[name] = true
			if f := c.LocalFlags().Lookup(name); f != nil && !f.Hidden {
				fs.AddFlag(f)
			}
		}
		if fs.HasFlags() {
			settings = true
			fmt.Fprintf(w, "\n%s:\n%s", g.name, fs.FlagUsagesWrapped(110))
		}
	}
	other := pflag.NewFlagSet("other", pflag.ContinueOnError)
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if !grouped[f.Name] && !f.Hidden {
			other.AddFlag(f)
		}
	})
	if other.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", other.FlagUsagesWrapped(110))
	}
	if settings {
		fmt.Fprintln(w, "\nEach setting is also read from the environment variable in [$...], which a .env file in\nthe working directory fills where unset; a flag wins over both. The README has the details.")
	}
	switch {
	case c.HasAvailableSubCommands() && !c.HasParent():
		fmt.Fprintf(w, "\nRun '%s help COMMAND' (or '%s COMMAND --help') for a command's own usage and flags.\n", c.CommandPath(), c.CommandPath())
	case c.HasAvailableSubCommands():
		fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's own usage and flags.\n", c.CommandPath())
	}
	return nil
}

// printVersion prints the version, commit and build date: the values set at
// build time, else what Go recorded of the module and version control.
func (a *app) printVersion() error {
	v, rev, when, modified := version, commit, date, false
	whenLabel := "built"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "0.1.0-dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version // go install ...@vX.Y.Z
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.time":
				if when == "" {
					when, whenLabel = s.Value, "committed"
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
		fmt.Fprintf(a.stdout, "tableau-mcp %s\n", v)
		if rev == "" {
			rev = "unknown"
		} else if modified {
			rev += " (with uncommitted changes)"
		}
		if when == "" {
			when = "unknown"
		}
		fmt.Fprintf(a.stdout, "commit:  %s\n%-8s %s\ngo:      %s\n", rev, whenLabel+":", when, info.GoVersion)
		return nil
	}
	fmt.Fprintf(a.stdout, "tableau-mcp %s\ncommit:  %s\nbuilt:   %s\n", v, cmp.Or(rev, "unknown"), cmp.Or(when, "unknown"))
	return nil
}
