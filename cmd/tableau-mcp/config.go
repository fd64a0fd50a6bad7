package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// setting is one option, settable by flag or environment variable; the flag wins.
type setting struct {
	env, flag, usage, def string
	boolean               bool // a switch: --flag alone means true
	value                 *string
}

// switchValue is a string setting that may be given as a bare --flag.
type switchValue struct{ p *string }

func (v switchValue) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v switchValue) Set(s string) error { *v.p = s; return nil }
func (v switchValue) IsBoolFlag() bool   { return true }

// config is everything the command reads from flags, the environment and .env.
type config struct {
	Transport, Listen, Backend, LogLevel string

	TableauServerURL, TableauSite, TableauPATName, TableauPATSecret, TableauAPIVersion string

	ScalekitEnvURL, ScalekitClientID, ScalekitClientSecret, ScalekitConnection, ScalekitIdentifier string

	// MetadataTTL is how long data source metadata is kept for the query
	// checks (negative: not kept); QueryCheck false skips those checks.
	MetadataTTL time.Duration
	QueryCheck  bool
	metadataTTL string
	queryCheck  string
	// Exports: where downloads go and how much is returned inline.
	ExportDir, MaxInlineBytes, MaxImageBytes, MaxCSVChars string

	// DemoViaScalekit runs the Scalekit backend against in-process Scalekit
	// and Tableau emulators.
	DemoViaScalekit bool
	demoViaScalekit string

	settings []setting
}

func (c *config) define(fs *flag.FlagSet) {
	c.settings = []setting{
		{"TABLEAU_MCP_TRANSPORT", "transport", "MCP transport: stdio, http (streamable HTTP at /mcp) or sse (legacy /sse and /message)", "stdio", false, &c.Transport},
		{"TABLEAU_MCP_LISTEN", "listen", "address for --transport http or sse", "127.0.0.1:8080", false, &c.Listen},
		{"TABLEAU_MCP_BACKEND", "backend", "demo, tableau or scalekit (default: chosen from the settings present)", "", false, &c.Backend},
		{"TABLEAU_MCP_LOG_LEVEL", "log-level", "debug, info, warn or error (logs go to stderr)", "info", false, &c.LogLevel},
		{"TABLEAU_SERVER_URL", "tableau-server-url", "Tableau server URL, e.g. https://prod-useast-a.online.tableau.com", "", false, &c.TableauServerURL},
		{"TABLEAU_SITE", "tableau-site", "site content URL (empty for the Default site)", "", false, &c.TableauSite},
		{"TABLEAU_PAT_NAME", "tableau-pat-name", "Personal Access Token name", "", false, &c.TableauPATName},
		{"TABLEAU_PAT_SECRET", "tableau-pat-secret", "Personal Access Token secret (prefer the environment variable)", "", false, &c.TableauPATSecret},
		{"TABLEAU_API_VERSION", "tableau-api-version", "REST API version, e.g. 3.28 (default: read from serverinfo)", "", false, &c.TableauAPIVersion},
		{"SCALEKIT_ENVIRONMENT_URL", "scalekit-environment-url", "Scalekit environment URL (SCALEKIT_ENV_URL is read too)", "", false, &c.ScalekitEnvURL},
		{"SCALEKIT_CLIENT_ID", "scalekit-client-id", "Scalekit client ID", "", false, &c.ScalekitClientID},
		{"SCALEKIT_CLIENT_SECRET", "scalekit-client-secret", "Scalekit client secret (prefer the environment variable)", "", false, &c.ScalekitClientSecret},
		{"SCALEKIT_CONNECTION_NAME", "scalekit-connection-name", "Scalekit connection name of the Tableau connector", "tableau", false, &c.ScalekitConnection},
		{"SCALEKIT_IDENTIFIER", "scalekit-identifier", "connected-account identifier this stdio process acts for", "", false, &c.ScalekitIdentifier},
		{"TABLEAU_MCP_METADATA_TTL", "metadata-ttl", "how long tableau_query_view reuses a data source's metadata for its checks, a Go duration such as 5m (0: read it for every query)", "5m", false, &c.metadataTTL},
		{"TABLEAU_MCP_QUERY_CHECK", "query-check", "on or off: check queries against the data source's fields before sending them", "on", false, &c.queryCheck},
		{"TABLEAU_MCP_EXPORT_DIR", "export-dir", "directory that workbook and data source downloads (and exports too large to return inline) are written to; empty: none", "", false, &c.ExportDir},
		{"TABLEAU_MCP_MAX_INLINE_BYTES", "max-inline-bytes", "largest file returned inside a result or resource read, in bytes (suffixes KB MB KiB MiB accepted)", "20MiB", false, &c.MaxInlineBytes},
		{"TABLEAU_MCP_MAX_IMAGE_BYTES", "max-image-bytes", "largest PNG returned as image content for the model to see; larger ones are offered as a resource", "3840KiB", false, &c.MaxImageBytes},
		{"TABLEAU_MCP_MAX_CSV_CHARS", "max-csv-chars", "characters of a view's CSV shown as text before it is cut (the whole file stays a resource)", "50000", false, &c.MaxCSVChars},
		{"TABLEAU_MCP_DEMO_VIA_SCALEKIT", "demo-via-scalekit", "run the Scalekit path against in-process Scalekit and Tableau emulators (sample data)", "", true, &c.demoViaScalekit},
	}
	for _, s := range c.settings {
		usage := fmt.Sprintf("%s [$%s]", s.usage, s.env)
		if s.boolean {
			fs.Var(switchValue{s.value}, s.flag, usage)
			continue
		}
		fs.StringVar(s.value, s.flag, "", usage)
	}
}

// resolve fills unset flags from the environment, then defaults, and
// parses the typed settings.
func (c *config) resolve(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range c.settings {
		if set[s.flag] {
			continue
		}
		v, ok := os.LookupEnv(s.env)
		if !ok && s.env == "SCALEKIT_ENVIRONMENT_URL" {
			v, ok = os.LookupEnv("SCALEKIT_ENV_URL")
		}
		if ok {
			*s.value = strings.TrimSpace(v)
		}
		if *s.value == "" {
			*s.value = s.def
		}
	}
	c.DemoViaScalekit = c.demoViaScalekit == "true" || c.demoViaScalekit == "1"
	if c.DemoViaScalekit && c.ScalekitIdentifier == "" {
		c.ScalekitIdentifier = "demo-user"
	}
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
	return nil
}

// chooseBackend applies the rule: an explicit --backend wins; otherwise
// scalekit when Scalekit settings are present, tableau when Tableau settings
// are, else demo. Partial settings are an error naming what is missing.
func (c *config) chooseBackend() (string, error) {
	tab := map[string]string{"TABLEAU_SERVER_URL": c.TableauServerURL, "TABLEAU_PAT_NAME": c.TableauPATName, "TABLEAU_PAT_SECRET": c.TableauPATSecret}
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
		if miss := missing(tab, "TABLEAU_SERVER_URL", "TABLEAU_PAT_NAME", "TABLEAU_PAT_SECRET"); miss != "" {
			return "", fmt.Errorf("the tableau backend needs %s (flags --tableau-server-url, --tableau-pat-name, --tableau-pat-secret); set them, or unset the Tableau settings to run the demo", miss)
		}
	case "scalekit":
		if miss := missing(sk, "SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET"); miss != "" {
			return "", fmt.Errorf("the scalekit backend needs %s; set them, or unset the Scalekit settings", miss)
		}
	default:
		return "", fmt.Errorf("--backend %q is not one of demo, tableau, scalekit", b)
	}
	return b, nil
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

func flagSet() *flag.FlagSet { return flag.NewFlagSet("tableau-mcp", flag.ContinueOnError) }

// exports turns the export settings into the tools' options.
func (c *config) exports() (tools.ExportOptions, error) {
	var o tools.ExportOptions
	var err error
	if c.ExportDir != "" {
		if o.Dir, err = filepath.Abs(c.ExportDir); err != nil {
			return o, fmt.Errorf("TABLEAU_MCP_EXPORT_DIR %q: %v", c.ExportDir, err)
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
