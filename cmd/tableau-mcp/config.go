package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// setting is one option, settable by flag or environment variable; the flag wins.
type setting struct {
	env, flag, usage, def string
	secret                bool
	value                 *string
	// boolean settings may be given as a bare flag (--read-only).
	boolean bool
}

// settingValue is the flag of a setting; its Type is what help shows.
type settingValue struct{ s *setting }

func (v settingValue) String() string     { return *v.s.value }
func (v settingValue) Set(x string) error { *v.s.value = x; return nil }
func (v settingValue) Type() string {
	if v.s.boolean {
		return "bool"
	}
	if k, ok := flagKinds[v.s.flag]; ok {
		return k
	}
	return "string"
}

// flagKinds names what a setting holds, for help; the others are strings.
var flagKinds = map[string]string{
	"listen": "host:port", "log-level": "level", "tableau-server-url": "url", "scalekit-environment-url": "url", "jwks-url": "url",
	"auth-file": "file", "jwt-public-key": "file", "export-dir": "dir", "import-dir": "dir", "public-url": "url", "authorization-server": "list",
	"allowed-origins": "list", "allowed-hosts": "list", "toolsets": "list", "tools": "list", "exclude-tools": "list",
	"scope-projects": "list", "scope-workbooks": "list", "scope-datasources": "list", "scope-tags": "list",
	"max-concurrent-calls": "int", "max-calls-per-minute": "int", "max-csv-chars": "int",
	"metadata-ttl": "duration", "shutdown-grace": "duration", "session-idle-timeout": "duration", "max-sessions-per-identity": "int", "max-inline-bytes": "size", "max-image-bytes": "size",
	"query-check": "on|off", "results": "compact|tableau", "transport": "stdio|http|sse", "backend": "name", "tableau-api-version": "version",
}

// settingGroups orders the settings into the sections of the help.
var settingGroups = []struct {
	name  string
	flags []string
}{
	{"Serving", []string{"transport", "listen", "log-level"}},
	{"Tableau", []string{"backend", "tableau-server-url", "tableau-site", "tableau-pat-name", "tableau-pat-secret",
		"tableau-connected-app-client-id", "tableau-connected-app-secret-id", "tableau-connected-app-secret-value", "tableau-jwt-sub", "tableau-api-version", "upstream-timeout"}},
	{"Scalekit", []string{"scalekit-environment-url", "scalekit-client-id", "scalekit-client-secret", "scalekit-connection-name", "scalekit-identifier", "demo-via-scalekit"}},
	{"HTTP access", []string{"public-url", "authorization-server", "scalekit-resource-id", "require-scopes", "demo-oauth", "auth-file", "jwt-public-key", "jwks-url", "jwt-issuer", "jwt-audience", "jwt-identity-claim", "trusted-header", "trusted-header-secret", "no-auth", "allowed-origins", "allowed-hosts", "shutdown-grace", "session-idle-timeout", "max-sessions-per-identity", "session-secret", "peers"}},
	{"Tools and safety", []string{"toolsets", "tools", "exclude-tools", "read-only", "allow-destructive", "scope-projects", "scope-workbooks", "scope-datasources", "scope-tags", "max-concurrent-calls", "max-calls-per-minute"}},
	{"Queries and exports", []string{"metadata-ttl", "query-check", "results", "export-dir", "max-inline-bytes", "max-image-bytes", "max-csv-chars"}},
	{"Publishing", []string{"import-dir"}},
}

// origin says where a setting's value came from.
type origin struct {
	kind string // "flag", "env", "dotenv"; empty: the default
	name string // the flag or variable that gave it
}

// config is everything the command reads from flags, the environment and .env.
type config struct {
	Transport, Listen, Backend, LogLevel string

	TableauServerURL, TableauSite, TableauPATName, TableauPATSecret, TableauAPIVersion string

	// Connected app (Direct Trust) sign-in, instead of the PAT.
	ConnectedAppClientID, ConnectedAppSecretID, ConnectedAppSecretValue, JWTSub string

	ScalekitEnvURL, ScalekitClientID, ScalekitClientSecret, ScalekitConnection, ScalekitIdentifier string

	// UpstreamTimeout bounds one call to Tableau or Scalekit (a download:
	// its idle time).
	UpstreamTimeout time.Duration
	upstreamTimeout string

	// MetadataTTL is how long data source metadata is kept for the query
	// checks (negative: not kept); QueryCheck false skips those checks.
	MetadataTTL time.Duration
	QueryCheck  bool
	metadataTTL string
	queryCheck  string
	// Results is compact or tableau: what list and get tools answer with.
	Results string
	// Exports: where downloads go and how much is returned inline.
	ExportDir, MaxInlineBytes, MaxImageBytes, MaxCSVChars string
	// ImportDir is the only directory workbooks are published from.
	ImportDir string

	// DemoViaScalekit runs the Scalekit backend against in-process Scalekit
	// and Tableau emulators.
	DemoViaScalekit bool
	demoViaScalekit string

	// Serving over HTTP: who may call, and as whom.
	AuthFile, JWTPublicKey, JWKSURL, JWTIssuer, JWTAudience, JWTIdentityClaim string
	TrustedHeader, TrustedHeaderSecret, NoAuth, AllowedOrigins, AllowedHosts  string

	// OAuth: this server as a protected resource (see oauth.go).
	PublicURL, AuthorizationServer, ScalekitResourceID, RequireScopes, DemoOAuth string

	// Safety switches.
	ReadOnly, Toolsets, Tools, ExcludeTools, AllowDestructive  string
	ScopeProjects, ScopeWorkbooks, ScopeDatasources, ScopeTags string
	MaxConcurrentCalls, MaxCallsPerMinute, ShutdownGrace       string
	SessionIdleTimeout, MaxSessionsPerIdentity                 string
	SessionSecret, Peers                                       string

	settings []setting
	// origins maps a flag name to where its value came from; dotenv is the
	// .env file read, and dotenvKeys the variables it provided.
	origins    map[string]origin
	dotenv     string
	dotenvKeys map[string]bool
}

// define registers every setting as a flag of fs.
func (c *config) define(fs *pflag.FlagSet) {
	if c.settings == nil {
		c.init()
	}
	for i := range c.settings {
		s := &c.settings[i]
		usage := s.usage + " [$" + s.env + "]"
		f := fs.VarPF(settingValue{s}, s.flag, "", usage)
		f.DefValue = s.def
		if s.boolean {
			f.NoOptDefVal = "true"
		}
	}
}

func (c *config) init() {
	c.settings = []setting{
		{"TABLEAU_MCP_TRANSPORT", "transport", "MCP transport: stdio, http (streamable HTTP at /mcp) or sse (legacy /sse and /message)", "stdio", false, &c.Transport, false},
		{"TABLEAU_MCP_LISTEN", "listen", "address for --transport http or sse", "127.0.0.1:8080", false, &c.Listen, false},
		{"TABLEAU_MCP_BACKEND", "backend", "demo, tableau or scalekit (default: chosen from the settings present)", "", false, &c.Backend, false},
		{"TABLEAU_MCP_LOG_LEVEL", "log-level", "debug, info, warn or error (logs go to stderr)", "info", false, &c.LogLevel, false},
		{"TABLEAU_SERVER_URL", "tableau-server-url", "Tableau server URL, e.g. https://prod-useast-a.online.tableau.com", "", false, &c.TableauServerURL, false},
		{"TABLEAU_SITE", "tableau-site", "site content URL (empty for the Default site)", "", false, &c.TableauSite, false},
		{"TABLEAU_PAT_NAME", "tableau-pat-name", "Personal Access Token name", "", false, &c.TableauPATName, false},
		{"TABLEAU_PAT_SECRET", "tableau-pat-secret", "Personal Access Token secret (prefer the environment variable)", "", true, &c.TableauPATSecret, false},
		{"TABLEAU_CONNECTED_APP_CLIENT_ID", "tableau-connected-app-client-id", "connected app (Direct Trust) client ID: sign in with short-lived JWTs instead of a PAT", "", false, &c.ConnectedAppClientID, false},
		{"TABLEAU_CONNECTED_APP_SECRET_ID", "tableau-connected-app-secret-id", "connected app secret ID (the JWT's kid)", "", false, &c.ConnectedAppSecretID, false},
		{"TABLEAU_CONNECTED_APP_SECRET_VALUE", "tableau-connected-app-secret-value", "connected app secret value that signs the JWTs (prefer the environment variable)", "", true, &c.ConnectedAppSecretValue, false},
		{"TABLEAU_JWT_SUB", "tableau-jwt-sub", "Tableau user name the connected app signs in as, or {identity}: each HTTP caller as the user their identifier names", "", false, &c.JWTSub, false},
		{"TABLEAU_API_VERSION", "tableau-api-version", "REST API version, e.g. 3.28 (default: read from serverinfo)", "", false, &c.TableauAPIVersion, false},
		{"TABLEAU_MCP_UPSTREAM_TIMEOUT", "upstream-timeout", "how long one call to Tableau or Scalekit may take, retries included, a Go duration such as 60s; a download may take longer as long as data keeps coming (this bounds its pauses)", "60s", false, &c.upstreamTimeout, false},
		{"SCALEKIT_ENVIRONMENT_URL", "scalekit-environment-url", "Scalekit environment URL (SCALEKIT_ENV_URL is read too)", "", false, &c.ScalekitEnvURL, false},
		{"SCALEKIT_CLIENT_ID", "scalekit-client-id", "Scalekit client ID", "", false, &c.ScalekitClientID, false},
		{"SCALEKIT_CLIENT_SECRET", "scalekit-client-secret", "Scalekit client secret (prefer the environment variable)", "", true, &c.ScalekitClientSecret, false},
		{"SCALEKIT_CONNECTION_NAME", "scalekit-connection-name", "Scalekit connection name of the Tableau connector", "tableau", false, &c.ScalekitConnection, false},
		{"SCALEKIT_IDENTIFIER", "scalekit-identifier", "connected-account identifier this stdio process acts for", "", false, &c.ScalekitIdentifier, false},

		{"TABLEAU_MCP_PUBLIC_URL", "public-url", "URL clients reach this server at (https://mcp.example.com, or with /mcp); with an authorization server it publishes OAuth protected resource metadata and is the audience tokens must name", "", false, &c.PublicURL, false},
		{"TABLEAU_MCP_AUTHORIZATION_SERVER", "authorization-server", "OAuth authorization servers (issuer URLs, comma-separated) clients sign in with; the first one's metadata names the JWKS and it is the expected issuer unless --jwks-url / --jwt-issuer say otherwise", "", false, &c.AuthorizationServer, false},
		{"SCALEKIT_RESOURCE_ID", "scalekit-resource-id", "Scalekit MCP Auth: the res_... ID of this MCP server in Scalekit; with SCALEKIT_ENVIRONMENT_URL it sets the authorization server, issuer, JWKS and audience", "", false, &c.ScalekitResourceID, false},
		{"TABLEAU_MCP_REQUIRE_SCOPES", "require-scopes", "a JWT without a scope claim grants no tool (otherwise it is not limited by tableau:read/write/delete)", "", false, &c.RequireScopes, true},
		{"TABLEAU_MCP_DEMO_OAUTH", "demo-oauth", "serve the demo site over HTTP on loopback behind an in-process OAuth authorization server, to watch a client sign in", "", false, &c.DemoOAuth, true},
		{"TABLEAU_MCP_AUTH_FILE", "auth-file", "file of static bearer tokens, one 'IDENTIFIER TOKEN' a line (TOKEN plain or sha256:HEX); reloaded on SIGHUP", "", false, &c.AuthFile, false},
		{"TABLEAU_MCP_JWT_PUBLIC_KEY", "jwt-public-key", "PEM file of the public key that verifies RS256/ES256 bearer JWTs", "", false, &c.JWTPublicKey, false},
		{"TABLEAU_MCP_JWKS_URL", "jwks-url", "URL of the JWKS that verifies RS256/ES256 bearer JWTs", "", false, &c.JWKSURL, false},
		{"TABLEAU_MCP_JWT_ISSUER", "jwt-issuer", "required iss of bearer JWTs", "", false, &c.JWTIssuer, false},
		{"TABLEAU_MCP_JWT_AUDIENCE", "jwt-audience", "required aud of bearer JWTs", "", false, &c.JWTAudience, false},
		{"TABLEAU_MCP_JWT_IDENTITY_CLAIM", "jwt-identity-claim", "JWT claim holding the caller's identifier", "sub", false, &c.JWTIdentityClaim, false},
		{"TABLEAU_MCP_TRUSTED_HEADER", "trusted-header", "header naming the caller, set by a trusted gateway (believed only with the gateway secret)", "", false, &c.TrustedHeader, false},
		{"TABLEAU_MCP_TRUSTED_HEADER_SECRET", "trusted-header-secret", "secret the gateway sends in X-Gateway-Secret (prefer the environment variable)", "", true, &c.TrustedHeaderSecret, false},
		{"TABLEAU_MCP_NO_AUTH", "no-auth", "serve HTTP without authentication (only on a loopback --listen address)", "false", false, &c.NoAuth, true},
		{"TABLEAU_MCP_ALLOWED_ORIGINS", "allowed-origins", "comma list of browser origins allowed to call (CORS); a loopback listener also allows loopback origins", "", false, &c.AllowedOrigins, false},
		{"TABLEAU_MCP_ALLOWED_HOSTS", "allowed-hosts", "comma list of Host header values accepted (default: loopback names on a loopback listener, any elsewhere)", "", false, &c.AllowedHosts, false},

		{"TABLEAU_MCP_READ_ONLY", "read-only", "serve only tools that change nothing", "false", false, &c.ReadOnly, true},
		{"TABLEAU_MCP_TOOLSETS", "toolsets", "comma list of toolsets to serve, or all (default: all over stdio; site,workbooks,views,datasources,query,exports,projects over http and sse)", "", false, &c.Toolsets, false},
		{"TABLEAU_MCP_TOOLS", "tools", "comma list of tools to serve in addition to the toolsets", "", false, &c.Tools, false},
		{"TABLEAU_MCP_EXCLUDE_TOOLS", "exclude-tools", "comma list of tools not to serve", "", false, &c.ExcludeTools, false},
		{"TABLEAU_MCP_ALLOW_DESTRUCTIVE", "allow-destructive", "let destructive tools run for clients that cannot ask the user to confirm", "false", false, &c.AllowDestructive, true},
		{"TABLEAU_MCP_SCOPE_PROJECTS", "scope-projects", "comma list of project IDs: content outside them (and the other scope lists) is refused and filtered out", "", false, &c.ScopeProjects, false},
		{"TABLEAU_MCP_SCOPE_WORKBOOKS", "scope-workbooks", "comma list of workbook IDs in scope", "", false, &c.ScopeWorkbooks, false},
		{"TABLEAU_MCP_SCOPE_DATASOURCES", "scope-datasources", "comma list of data source IDs in scope", "", false, &c.ScopeDatasources, false},
		{"TABLEAU_MCP_SCOPE_TAGS", "scope-tags", "comma list of tags: workbooks and data sources carrying one are in scope", "", false, &c.ScopeTags, false},
		{"TABLEAU_MCP_MAX_CONCURRENT_CALLS", "max-concurrent-calls", "tool calls one identity may run at once (0: no limit)", "8", false, &c.MaxConcurrentCalls, false},
		{"TABLEAU_MCP_MAX_CALLS_PER_MINUTE", "max-calls-per-minute", "tool calls one identity may start per minute (0: no limit)", "120", false, &c.MaxCallsPerMinute, false},
		{"TABLEAU_MCP_SHUTDOWN_GRACE", "shutdown-grace", "how long calls in flight may finish after SIGTERM", "20s", false, &c.ShutdownGrace, false},
		{"TABLEAU_MCP_SESSION_IDLE_TIMEOUT", "session-idle-timeout", "an HTTP or SSE session unused for this long is closed", "30m", false, &c.SessionIdleTimeout, false},
		{"TABLEAU_MCP_SESSION_SECRET", "session-secret", "secret (32+ characters) that signs MCP session IDs and confirmations, shared by every replica so any of them serves any session; default: random, this process only", "", true, &c.SessionSecret, false},
		{"TABLEAU_MCP_PEERS", "peers", "comma list of host:port of every replica (a name may resolve to several, e.g. a headless Service): a confirmation answered on another replica is passed to the one that asked", "", false, &c.Peers, false},
		{"TABLEAU_MCP_MAX_SESSIONS_PER_IDENTITY", "max-sessions-per-identity", "sessions one identity may hold; opening one more closes its least recently used", "64", false, &c.MaxSessionsPerIdentity, false},

		{"TABLEAU_MCP_METADATA_TTL", "metadata-ttl", "how long a data source's metadata is reused for the checks of tableau_query_view and of view_filters, a Go duration such as 5m (0: read it for every query)", "5m", false, &c.metadataTTL, false},
		{"TABLEAU_MCP_QUERY_CHECK", "query-check", "on or off: check queries against the data source's fields before sending them", "on", false, &c.queryCheck, false},
		{"TABLEAU_MCP_RESULTS", "results", "compact (the fields an agent uses, names beside IDs) or tableau (Tableau's JSON unchanged): what list and get tools return", "compact", false, &c.Results, false},
		{"TABLEAU_MCP_EXPORT_DIR", "export-dir", "directory that workbook and data source downloads (and exports too large to return inline) are written to; empty: none", "", false, &c.ExportDir, false},
		{"TABLEAU_MCP_MAX_INLINE_BYTES", "max-inline-bytes", "largest file returned inside a result or resource read, or taken inline by the publish tools, in bytes (suffixes KB MB KiB MiB accepted)", "20MiB", false, &c.MaxInlineBytes, false},
		{"TABLEAU_MCP_MAX_IMAGE_BYTES", "max-image-bytes", "largest PNG returned as image content for the model to see; larger ones are offered as a resource", "3840KiB", false, &c.MaxImageBytes, false},
		{"TABLEAU_MCP_IMPORT_DIR", "import-dir", "directory tableau_workbook_publish and tableau_datasource_publish read files from (paths outside it refused); empty: nothing is published, inline content included", "", false, &c.ImportDir, false},
		{"TABLEAU_MCP_MAX_CSV_CHARS", "max-csv-chars", "characters of a view's CSV shown as text before it is cut (the whole file stays a resource)", "50000", false, &c.MaxCSVChars, false},
		{"TABLEAU_MCP_DEMO_VIA_SCALEKIT", "demo-via-scalekit", "run the Scalekit path against in-process Scalekit and Tableau emulators (sample data)", "", false, &c.demoViaScalekit, true},
	}
}

// loadDotEnv reads the .env file of the working directory, when there is
// one, into the variables the environment lacks, and remembers which.
func (c *config) loadDotEnv() error {
	const name = ".env"
	vals, err := godotenv.Read(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	path, _ := filepath.Abs(name)
	if err != nil {
		return fmt.Errorf("reading %s: %w; correct the file or remove it (it is read from the working directory)", path, err)
	}
	c.dotenv, c.dotenvKeys = path, map[string]bool{}
	for k, v := range vals {
		if _, ok := os.LookupEnv(k); ok {
			continue // the environment wins
		}
		os.Setenv(k, v)
		c.dotenvKeys[k] = true
	}
	return nil
}

// dotenvProvided lists the variables the .env file provided, sorted.
func (c *config) dotenvProvided() []string {
	var out []string
	for k := range c.dotenvKeys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// resolve fills unset flags from the environment, then defaults, and
// parses the typed settings. fs is nil when no flag was given.
func (c *config) resolve(fs *pflag.FlagSet) error {
	set := map[string]bool{}
	if fs != nil {
		fs.Visit(func(f *pflag.Flag) { set[f.Name] = true })
	}
	c.origins = map[string]origin{}
	for _, s := range c.settings {
		if set[s.flag] {
			c.origins[s.flag] = origin{"flag", "--" + s.flag}
			continue
		}
		name := s.env
		v, ok := os.LookupEnv(name)
		if !ok && s.env == "SCALEKIT_ENVIRONMENT_URL" {
			name = "SCALEKIT_ENV_URL"
			v, ok = os.LookupEnv(name)
		}
		*s.value = ""
		if ok {
			*s.value = strings.TrimSpace(v)
			if *s.value != "" {
				kind := "env"
				if c.dotenvKeys[name] {
					kind = "dotenv"
				}
				c.origins[s.flag] = origin{kind, name}
			}
		}
		if *s.value == "" {
			*s.value = s.def
		}
	}
	c.DemoViaScalekit = c.demoViaScalekit == "true" || c.demoViaScalekit == "1"
	if c.DemoViaScalekit && c.ScalekitIdentifier == "" {
		c.ScalekitIdentifier = "demo-user"
	}
	ut, err := time.ParseDuration(c.upstreamTimeout)
	if err != nil || ut <= 0 {
		return fmt.Errorf("--upstream-timeout / TABLEAU_MCP_UPSTREAM_TIMEOUT %q is not a positive duration such as 60s or 2m", c.upstreamTimeout)
	}
	c.UpstreamTimeout = ut
	ttl, err := time.ParseDuration(c.metadataTTL)
	if c.metadataTTL == "0" {
		ttl, err = 0, nil
	}
	if err != nil || ttl < 0 {
		return fmt.Errorf("--metadata-ttl / TABLEAU_MCP_METADATA_TTL %q is not a duration such as 5m, 30s or 0", c.metadataTTL)
	}
	c.MetadataTTL = ttl
	if ttl == 0 {
		c.MetadataTTL = -1 // keep nothing
	}
	switch strings.ToLower(c.queryCheck) {
	case "on", "true", "1", "yes":
		c.QueryCheck = true
	case "off", "false", "0", "no":
		c.QueryCheck = false
	default:
		return fmt.Errorf("--query-check / TABLEAU_MCP_QUERY_CHECK %q is not on or off", c.queryCheck)
	}
	switch c.Results = strings.ToLower(strings.TrimSpace(c.Results)); c.Results {
	case tools.ResultsCompact, tools.ResultsTableau:
	default:
		return fmt.Errorf("--results / TABLEAU_MCP_RESULTS %q is not compact or tableau", c.Results)
	}
	return nil
}

// chooseBackend applies the rule: an explicit --backend wins; otherwise
// scalekit when Scalekit settings are present, tableau when Tableau settings
// are, else demo. Partial settings are an error naming what is missing.
func (c *config) chooseBackend() (string, error) {
	tab := map[string]string{"TABLEAU_SERVER_URL": c.TableauServerURL, "TABLEAU_PAT_NAME": c.TableauPATName, "TABLEAU_PAT_SECRET": c.TableauPATSecret,
		"TABLEAU_CONNECTED_APP_CLIENT_ID": c.ConnectedAppClientID, "TABLEAU_CONNECTED_APP_SECRET_ID": c.ConnectedAppSecretID,
		"TABLEAU_CONNECTED_APP_SECRET_VALUE": c.ConnectedAppSecretValue, "TABLEAU_JWT_SUB": c.JWTSub}
	sk := map[string]string{"SCALEKIT_ENVIRONMENT_URL": c.ScalekitEnvURL, "SCALEKIT_CLIENT_ID": c.ScalekitClientID, "SCALEKIT_CLIENT_SECRET": c.ScalekitClientSecret}
	b := c.Backend
	if c.DemoViaScalekit {
		if b != "" && b != "scalekit" {
			return "", fmt.Errorf("--demo-via-scalekit runs the scalekit backend; it cannot be combined with --backend %s", b)
		}
		return "scalekit", nil
	}
	if b == "" {
		switch {
		case anySet(sk):
			b = "scalekit"
		case anySet(tab):
			b = "tableau"
		default:
			b = "demo"
		}
	}
	switch b {
	case "demo":
	case "tableau":
		if c.connectedApp() {
			if miss := missing(tab, "TABLEAU_SERVER_URL", "TABLEAU_CONNECTED_APP_CLIENT_ID", "TABLEAU_CONNECTED_APP_SECRET_ID", "TABLEAU_CONNECTED_APP_SECRET_VALUE", "TABLEAU_JWT_SUB"); miss != "" {
				return "", fmt.Errorf("connected-app sign-in needs %s (flags --tableau-server-url, --tableau-connected-app-client-id, --tableau-connected-app-secret-id, --tableau-connected-app-secret-value, --tableau-jwt-sub)", miss)
			}
			if c.TableauPATName != "" || c.TableauPATSecret != "" {
				return "", fmt.Errorf("both a Personal Access Token (TABLEAU_PAT_NAME, TABLEAU_PAT_SECRET) and a connected app (TABLEAU_CONNECTED_APP_*) are set; keep one way to sign in")
			}
			break
		}
		if miss := missing(tab, "TABLEAU_SERVER_URL", "TABLEAU_PAT_NAME", "TABLEAU_PAT_SECRET"); miss != "" {
			return "", c.partial("tableau", miss, tab, "TABLEAU_SERVER_URL", "TABLEAU_PAT_NAME", "TABLEAU_PAT_SECRET")
		}
	case "scalekit":
		if miss := missing(sk, "SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET"); miss != "" {
			return "", c.partial("scalekit", miss, sk, "SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET")
		}
	default:
		return "", fmt.Errorf("--backend %q is not one of demo, tableau, scalekit", b)
	}
	return b, nil
}

// connectedApp reports whether any connected-app setting is given.
func (c *config) connectedApp() bool {
	return c.ConnectedAppClientID != "" || c.ConnectedAppSecretID != "" || c.ConnectedAppSecretValue != "" || c.JWTSub != ""
}

// partial explains settings for a backend that are only partly given: what
// is missing, what is present and where each came from, and the two fixes.
func (c *config) partial(name, miss string, m map[string]string, order ...string) error {
	var present []string
	fromFile := false
	for _, k := range order {
		if m[k] == "" {
			continue
		}
		o := c.originOfEnv(k)
		present = append(present, k+" ("+o.describe(c.dotenv)+")")
		fromFile = fromFile || o.kind == "dotenv"
	}
	flags := strings.ToLower(strings.ReplaceAll(miss, "_", "-"))
	flags = strings.ReplaceAll(flags, " and ", ", --")
	msg := fmt.Sprintf("the %s backend needs %s (flags --%s)", name, miss, flags)
	if name == "tableau" {
		msg += ", or a connected app (TABLEAU_CONNECTED_APP_CLIENT_ID, TABLEAU_CONNECTED_APP_SECRET_ID, TABLEAU_CONNECTED_APP_SECRET_VALUE, TABLEAU_JWT_SUB)"
	}
	if len(present) > 0 {
		verb := " is set"
		if len(present) > 1 {
			verb = " are set"
		}
		msg += "; only " + strings.Join(present, " and ") + verb
	}
	switch {
	case fromFile:
		msg += fmt.Sprintf(". Add the missing ones to %s, or remove its %s lines (or the file) to run the demo site", c.dotenv, strings.ToUpper(name[:1])+name[1:])
	case name == "tableau":
		msg += "; set them, or unset the Tableau settings to run the demo"
	default:
		msg += "; set them, or unset the Scalekit settings"
	}
	return errors.New(msg)
}

// originOfEnv is where the setting read from the variable env came from.
func (c *config) originOfEnv(env string) origin {
	for _, s := range c.settings {
		if s.env == env {
			return c.origins[s.flag]
		}
	}
	return origin{}
}

// describe says where a value came from, for messages.
func (o origin) describe(dotenv string) string {
	switch o.kind {
	case "flag":
		return "given as " + o.name
	case "env":
		return "from the environment"
	case "dotenv":
		return "from " + dotenv
	}
	return "the default"
}

// explain adds to an error the source of each setting it names that was not
// left at its default: which flag, the environment, or which .env file, so
// the fix is made in the right place.
func (c *config) explain(err error) error {
	if err == nil || len(c.origins) == 0 {
		return err
	}
	msg := err.Error()
	var notes []string
	for _, s := range c.settings {
		o, ok := c.origins[s.flag]
		if !ok || strings.Contains(msg, o.name+" (") {
			continue // unset, or the message says where already
		}
		if !mentions(msg, s.env) && !mentions(msg, "--"+s.flag) && !mentions(msg, o.name) {
			continue
		}
		switch o.kind {
		case "flag":
			notes = append(notes, o.name+" was given on the command line")
		case "env":
			notes = append(notes, o.name+" is set in the environment")
		case "dotenv":
			notes = append(notes, o.name+" is set in "+c.dotenv)
		}
	}
	if len(notes) == 0 {
		return err
	}
	return fmt.Errorf("%w [%s]", err, strings.Join(notes, "; "))
}

// mentions reports whether msg holds name as a whole word (--tools is not in
// --toolsets, TABLEAU_MCP_TOOLS not in TABLEAU_MCP_TOOLSETS).
func mentions(msg, name string) bool {
	word := func(r byte) bool {
		return r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	for i := 0; ; {
		j := strings.Index(msg[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || !word(msg[start-1])) && (end == len(msg) || !word(msg[end])) {
			return true
		}
		i = start + 1
	}
}

func anySet(m map[string]string) bool {
	for _, v := range m {
		if v != "" {
			return true
		}
	}
	return false
}

func missing(m map[string]string, order ...string) string {
	var out []string
	for _, k := range order {
		if m[k] == "" {
			out = append(out, k)
		}
	}
	return strings.Join(out, " and ")
}

func flagSet() *pflag.FlagSet { return pflag.NewFlagSet("tableau-mcp", pflag.ContinueOnError) }

// exports turns the export settings into the tools' options.
func (c *config) exports() (tools.ExportOptions, error) {
	var o tools.ExportOptions
	var err error
	if c.ExportDir != "" {
		if o.Dir, err = filepath.Abs(c.ExportDir); err != nil {
			return o, fmt.Errorf("TABLEAU_MCP_EXPORT_DIR %q: %v", c.ExportDir, err)
		}
	}
	if c.ImportDir != "" {
		if o.ImportDir, err = filepath.Abs(c.ImportDir); err != nil {
			return o, fmt.Errorf("TABLEAU_MCP_IMPORT_DIR %q: %v", c.ImportDir, err)
		}
		if st, err := os.Stat(o.ImportDir); err != nil || !st.IsDir() {
			return o, fmt.Errorf("TABLEAU_MCP_IMPORT_DIR %q is not a directory that can be read", c.ImportDir)
		}
	}
	if o.MaxInlineBytes, err = parseSize("TABLEAU_MCP_MAX_INLINE_BYTES", c.MaxInlineBytes); err != nil {
		return o, err
	}
	if o.MaxImageBytes, err = parseSize("TABLEAU_MCP_MAX_IMAGE_BYTES", c.MaxImageBytes); err != nil {
		return o, err
	}
	n, err := parseSize("TABLEAU_MCP_MAX_CSV_CHARS", c.MaxCSVChars)
	if err != nil {
		return o, err
	}
	o.MaxCSVChars = int(n)
	return o.WithDefaults(), nil
}

// parseSize reads a positive size: a number of bytes, or one with a suffix
// KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024). Empty is 0.
func parseSize(name, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToLower(s), strings.ToLower(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%s must be a positive whole number, optionally with KB, MB, KiB or MiB, such as 20MiB", name)
	}
	return n * mult, nil
}

// switches are the parsed safety switches and HTTP settings.
type switches struct {
	selection        tools.Selection
	scope            server.Scope
	limits           server.Limits
	grace            time.Duration
	sessionIdle      time.Duration
	maxSessions      int
	sessionSecret    []byte
	peers            []string
	allowDestructive bool
	noAuth           bool
	origins, hosts   []string
}

// commaList splits "a, b,c" into its non-empty items.
func commaList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func parseFlagBool(name, v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("--%s %q is not true or false", name, v)
	}
	return b, nil
}

func parseCount(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--%s %q is not a whole number of 0 or more", name, v)
	}
	return n, nil
}

// switches parses the safety switches.
func (c *config) switches() (switches, error) {
	var sw switches
	var err error
	ro, err := parseFlagBool("read-only", c.ReadOnly)
	if err != nil {
		return sw, err
	}
	if sw.allowDestructive, err = parseFlagBool("allow-destructive", c.AllowDestructive); err != nil {
		return sw, err
	}
	if sw.noAuth, err = parseFlagBool("no-auth", c.NoAuth); err != nil {
		return sw, err
	}
	sets := commaList(c.Toolsets)
	if len(sets) == 0 && c.Transport == "stdio" {
		// A stdio server serves one user who launched it with their own
		// credentials: every tool, unless toolsets are chosen. The sidecar
		// (http, sse) defaults to discovery, querying and exports.
		sets = []string{"all"}
	}
	sw.selection = tools.Selection{Toolsets: sets, Include: commaList(c.Tools), Exclude: commaList(c.ExcludeTools), ReadOnly: ro}
	sw.scope = server.Scope{Projects: commaList(c.ScopeProjects), Workbooks: commaList(c.ScopeWorkbooks), Datasources: commaList(c.ScopeDatasources), Tags: commaList(c.ScopeTags)}
	for flag, ids := range map[string][]string{"scope-projects": sw.scope.Projects, "scope-workbooks": sw.scope.Workbooks, "scope-datasources": sw.scope.Datasources} {
		for _, id := range ids {
			if !backend.IsLUID(id) {
				return sw, fmt.Errorf("--%s: %q is not a Tableau LUID (an ID such as 4f3c2a1e-...); find IDs with tableau-mcp call tableau_projects_list", flag, id)
			}
		}
	}
	if sw.limits.MaxConcurrent, err = parseCount("max-concurrent-calls", c.MaxConcurrentCalls); err != nil {
		return sw, err
	}
	if sw.limits.PerMinute, err = parseCount("max-calls-per-minute", c.MaxCallsPerMinute); err != nil {
		return sw, err
	}
	if c.Transport == "stdio" {
		// A stdio server serves the one user who started it: the
		// per-identity limits, meant to share a sidecar fairly, apply only
		// when set explicitly.
		if c.origins["max-concurrent-calls"].kind == "" {
			sw.limits.MaxConcurrent = 0
		}
		if c.origins["max-calls-per-minute"].kind == "" {
			sw.limits.PerMinute = 0
		}
	}
	if sw.grace, err = time.ParseDuration(c.ShutdownGrace); err != nil || sw.grace <= 0 {
		return sw, fmt.Errorf("--shutdown-grace %q is not a duration such as 20s", c.ShutdownGrace)
	}
	if sw.sessionIdle, err = time.ParseDuration(c.SessionIdleTimeout); err != nil || sw.sessionIdle <= 0 {
		return sw, fmt.Errorf("--session-idle-timeout %q is not a positive duration such as 30m", c.SessionIdleTimeout)
	}
	if c.SessionSecret != "" {
		if len(c.SessionSecret) < 32 {
			return sw, fmt.Errorf("--session-secret / TABLEAU_MCP_SESSION_SECRET is %d characters; use at least 32 random ones (openssl rand -hex 32), the same on every replica", len(c.SessionSecret))
		}
		sw.sessionSecret = []byte(c.SessionSecret)
	}
	sw.peers = commaList(c.Peers)
	for _, p := range sw.peers {
		if _, port, err := net.SplitHostPort(p); err != nil || port == "" {
			return sw, fmt.Errorf("--peers / TABLEAU_MCP_PEERS: %q is not host:port, such as tableau-mcp-peers:8080", p)
		}
	}
	if sw.maxSessions, err = strconv.Atoi(c.MaxSessionsPerIdentity); err != nil || sw.maxSessions <= 0 {
		return sw, fmt.Errorf("--max-sessions-per-identity %q is not a whole number of 1 or more", c.MaxSessionsPerIdentity)
	}
	sw.origins, sw.hosts = commaList(c.AllowedOrigins), commaList(c.AllowedHosts)
	return sw, nil
}

// selectedTools parses the safety switches and applies their tool selection.
func (c *config) selectedTools() (switches, []tools.Tool, error) {
	sw, err := c.switches()
	if err != nil {
		return sw, nil, err
	}
	list, err := tools.SelectFromAll(sw.selection)
	return sw, list, err
}

// authenticator builds the HTTP authentication from the settings: the
// trusted gateway header first, then bearer tokens (static file, then JWT).
// It returns nil when none is configured, and the token file for reloads.
// log receives the JWT verifier's failed and recovered key set fetches.
func (c *config) authenticator(log *zap.Logger) (auth.Authenticator, *auth.TokenFile, error) {
	var chain []auth.Authenticator
	if c.TrustedHeader != "" || c.TrustedHeaderSecret != "" {
		if c.TrustedHeader == "" {
			return nil, nil, fmt.Errorf("--trusted-header-secret is set without --trusted-header (the header naming the caller)")
		}
		th, err := auth.NewTrustedHeader(c.TrustedHeader, c.TrustedHeaderSecret)
		if err != nil {
			return nil, nil, err
		}
		chain = append(chain, th)
	}
	bearer := &auth.Bearer{}
	if c.AuthFile != "" {
		f, err := auth.LoadTokenFile(c.AuthFile)
		if err != nil {
			return nil, nil, err
		}
		bearer.Tokens = f
	}
	jc, err := c.jwtConfig()
	if err != nil {
		return nil, nil, err
	}
	if jc != nil {
		jc.Logger = log
		v, err := auth.NewJWT(*jc)
		if err != nil {
			return nil, nil, err
		}
		bearer.JWT = v
	}
	if bearer.Tokens != nil || bearer.JWT != nil {
		chain = append(chain, bearer)
	}
	if len(chain) == 0 {
		return nil, nil, nil
	}
	return auth.Chain(chain...), bearer.Tokens, nil
}
