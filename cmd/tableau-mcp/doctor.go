package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// doctor checks a configuration end to end, one line per step, and stops at
// the first failing step with what to do about it.
func doctor(ctx context.Context, cfg *config, log *zap.Logger, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ok := func(step, detail string) { fmt.Fprintf(w, "ok    %-28s %s\n", step, detail) }
	fail := func(step string, err error, fix string) error {
		fmt.Fprintf(w, "FAIL  %-28s %v\n", step, err)
		if fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", fix)
		}
		return fmt.Errorf("doctor: %s failed", step)
	}

	name, err := cfg.chooseBackend()
	if err != nil {
		return fail("settings", err, "see `tableau-mcp --help` and the README's settings table")
	}
	_, served, err := cfg.selectedTools()
	if err != nil {
		return fail("settings", err, "correct the setting named above")
	}
	b, err := openBackend(cfg, log, served)
	if err != nil {
		return fail("settings", err, "correct the setting named above")
	}
	defer closeBackend(b, log)
	ok("settings", describeSettings(cfg, name))

	identifier := cfg.ScalekitIdentifier
	switch c := b.(type) {
	case *scalekit.Client:
		if err := c.Token(ctx); err != nil {
			return fail("scalekit access token", err, "check SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET (Scalekit dashboard → Developers → API Credentials)")
		}
		ok("scalekit access token", "obtained with client credentials")
		if identifier == "" {
			return fail("connected account", fmt.Errorf("no identifier"), "set SCALEKIT_IDENTIFIER to the connected account's identifier (e.g. user_123)")
		}
		status, err := c.AccountStatus(ctx, identifier)
		if err != nil {
			return fail("connected account", err, "")
		}
		if status != "ACTIVE" {
			return fail("connected account", fmt.Errorf("%q on connection %q is %s", identifier, c.Connection(), status),
				"re-authorise the connected account in Scalekit with a valid Tableau Personal Access Token")
		}
		ok("connected account", fmt.Sprintf("%q on connection %q is ACTIVE", identifier, c.Connection()))
	case *tableau.Client:
		v, err := c.Version(ctx)
		if err != nil {
			return fail("tableau server reachable", err, "check TABLEAU_SERVER_URL (https://your-server, no path), or set TABLEAU_API_VERSION")
		}
		ok("tableau server reachable", "REST API version "+v)
		direct, scopes := c.DirectTrust()
		if !direct {
			site, err := c.SiteID(ctx)
			if err != nil {
				return fail("sign in with the PAT", err, "")
			}
			ok("sign in with the PAT", "site "+site)
			break
		}
		user := cfg.JWTSub
		if user == tableau.IdentitySub {
			if identifier == "" {
				ok("connected app", fmt.Sprintf("each HTTP caller signs in as the Tableau user their identifier names, with scopes %s", strings.Join(scopes, " ")))
				fmt.Fprintln(w, "      (set SCALEKIT_IDENTIFIER to a Tableau user name to try a sign-in as that user)")
				fmt.Fprintln(w, "all checks passed")
				return nil
			}
			user = identifier
		}
		site, err := c.SiteID(auth.WithIdentity(ctx, user))
		if err != nil {
			return fail("sign in with the connected app", err, "")
		}
		ok("sign in with the connected app", fmt.Sprintf("site %s as %q, scopes %s", site, user, strings.Join(scopes, " ")))
		identifier = user
	}
	if identifier != "" {
		ctx = auth.WithIdentity(ctx, identifier)
	}
	t, _ := tools.ByName("tableau_session_get")
	raw, err := b.Invoke(ctx, backend.Call{Tool: t.Name, Forward: true, Params: map[string]any{},
		Request: backend.Request{Method: "GET", Scope: backend.APIScope, Path: "/sessions/current"}})
	if err != nil {
		return fail("tableau_session_get", err, "")
	}
	var s struct {
		Session struct {
			Site struct{ ID, Name, ContentURL string } `json:"site"`
			User struct{ ID, Name, SiteRole string }   `json:"user"`
		} `json:"session"`
	}
	json.Unmarshal(raw, &s)
	ok("tableau_session_get", fmt.Sprintf("site %q (%s) as %s (%s)", s.Session.Site.Name, s.Session.Site.ID, s.Session.User.Name, s.Session.User.SiteRole))
	fmt.Fprintln(w, "all checks passed")
	return nil
}

func describeSettings(cfg *config, backendName string) string {
	switch backendName {
	case "tableau":
		site := cfg.TableauSite
		if site == "" {
			site = "(Default)"
		}
		if cfg.connectedApp() {
			return fmt.Sprintf("backend tableau: %s, site %s, connected app %q as %s", cfg.TableauServerURL, site, cfg.ConnectedAppClientID, cfg.JWTSub)
		}
		return fmt.Sprintf("backend tableau: %s, site %s, PAT %q", cfg.TableauServerURL, site, cfg.TableauPATName)
	case "scalekit":
		if cfg.DemoViaScalekit {
			return "backend scalekit: in-process Scalekit and Tableau emulators (sample data)"
		}
		return fmt.Sprintf("backend scalekit: %s, client %q, connection %q", cfg.ScalekitEnvURL, cfg.ScalekitClientID, cfg.ScalekitConnection)
	}
	return "backend demo: the embedded sample site (no account needed)"
}
