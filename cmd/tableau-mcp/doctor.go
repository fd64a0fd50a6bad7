package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
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
		return exitCode(1)
	}

	name, err := cfg.chooseBackend()
	if err != nil {
		return fail("settings", cfg.explain(err), "see `tableau-mcp doctor --help` and the README's settings table")
	}
	_, served, err := cfg.selectedTools()
	if err != nil {
		return fail("settings", cfg.explain(err), "correct the setting named above")
	}
	b, err := openBackend(cfg, log, served)
	if err != nil {
		return fail("settings", cfg.explain(err), "correct the setting named above")
	}
	defer closeBackend(b, log)
	settings := describeSettings(cfg, name)
	if cfg.dotenv != "" {
		settings += fmt.Sprintf("; %s read from %s", strings.Join(cfg.dotenvProvided(), ", "), cfg.dotenv)
	}
	ok("settings", settings)

	identifier := cfg.ScalekitIdentifier
	switch c := b.(type) {
	case *scalekit.Client:
		if err := c.Token(ctx); err != nil {
			if step, fix, ok := diagnoseTransport("SCALEKIT_ENVIRONMENT_URL", cfg.ScalekitEnvURL, err); ok {
				return fail(step, err, fix)
			}
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
				fmt.Sprintf("connect it again with a valid Tableau Personal Access Token: tableau-mcp connect --identifier %s", identifier))
		}
		ok("connected account", fmt.Sprintf("%q on connection %q is ACTIVE", identifier, c.Connection()))
	case *tableau.Client:
		rest, product, err := c.ServerInfo(ctx)
		if err != nil {
			step, fix := diagnoseReach(cfg.TableauServerURL, err)
			return fail(step, err, fix)
		}
		detail := fmt.Sprintf("Tableau %s answers at %s, REST API %s", product, cfg.TableauServerURL, rest)
		if cfg.TableauAPIVersion != "" {
			if versionLess(rest, cfg.TableauAPIVersion) {
				return fail("REST API version", fmt.Errorf("TABLEAU_API_VERSION %s is newer than the server's REST API %s", cfg.TableauAPIVersion, rest),
					"remove TABLEAU_API_VERSION (the server's version is then used) or set it to "+rest+" or lower")
			}
			detail += "; TABLEAU_API_VERSION " + cfg.TableauAPIVersion + " is used"
		}
		ok("tableau server answers", detail)
		direct, scopes := c.DirectTrust()
		if !direct {
			site, err := c.SiteID(ctx)
			if err != nil {
				step, fix := diagnoseSignIn(cfg, err)
				return fail(step, err, fix)
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
	if err := checkAPIAccess(ctx, b, ok, fail); err != nil {
		return err
	}
	fmt.Fprintln(w, "all checks passed")
	return nil
}

// exitCode ends the process with a status and no further message: doctor
// has said what failed and how to fix it.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// checkAPIAccess lists one data source over the REST API and reads its
// fields through the VizQL Data Service, as the query tools do.
func checkAPIAccess(ctx context.Context, b backend.Backend, ok func(step, detail string), fail func(string, error, string) error) error {
	raw, err := b.Invoke(ctx, backend.Call{Tool: "tableau_datasources_list", Forward: true, Params: map[string]any{"page_size": 1},
		Request: backend.Request{Method: "GET", Scope: backend.SiteScope, Path: "/datasources", Query: url.Values{"pageSize": {"1"}}}})
	if err != nil {
		return fail("REST API access", err, apiFix(err, "the user of these credentials must be able to list the site's content: check their site role"))
	}
	var list struct {
		Datasources struct {
			Datasource []struct{ ID, Name string } `json:"datasource"`
		} `json:"datasources"`
		Pagination struct {
			Total string `json:"totalAvailable"`
		} `json:"pagination"`
	}
	json.Unmarshal(raw, &list)
	if len(list.Datasources.Datasource) == 0 {
		ok("REST API access", "lists the site's content (no published data source to try the VizQL Data Service on)")
		return nil
	}
	ds := list.Datasources.Datasource[0]
	ok("REST API access", fmt.Sprintf("lists the site's content (%s data sources)", list.Pagination.Total))
	_, err = b.Invoke(ctx, backend.Call{Tool: "tableau_datasource_metadata_get", Params: map[string]any{"datasource_luid": ds.ID},
		Request: backend.Request{Method: "POST", Scope: backend.VDSScope, Path: "/read-metadata",
			Body: map[string]any{"datasource": map[string]any{"datasourceLuid": ds.ID}}}})
	if err != nil {
		return fail("VizQL Data Service", err, apiFix(err, "tableau_query_view will not work; the other tools do"))
	}
	ok("VizQL Data Service", fmt.Sprintf("reads the fields of %q", ds.Name))
	return nil
}

// apiFix is what to do about a refused API call, by Tableau's error code.
func apiFix(err error, otherwise string) string {
	var apiErr *backend.APIError
	if !errors.As(err, &apiErr) {
		return otherwise
	}
	switch apiErr.Code {
	case "403800":
		return "the user lacks the API Access capability on this data source: a site or project administrator grants it (Permissions → API Access, part of Connect), for every data source agents should query"
	case "403157":
		return "the VizQL Data Service is off on this site, or the server is older than Tableau Server 2023.1: a server administrator enables it; until then tableau_query_view does not work"
	case "403133", "403000":
		return "the user's site role or permissions do not allow this: a site administrator gives them a role with access (Explorer, or Viewer for reading)"
	}
	if apiErr.Status == 404 {
		return "the server does not offer this API (an older Tableau Server?): set TABLEAU_API_VERSION no higher than the server's"
	}
	return otherwise
}

// diagnoseReach names what stopped the server from answering serverinfo
// and how to fix it: the name, the connection, TLS, or something that is
// not Tableau.
func diagnoseReach(serverURL string, err error) (step, fix string) {
	var notTableau *tableau.NotTableauError
	if errors.As(err, &notTableau) {
		return "is it Tableau", "set TABLEAU_SERVER_URL to the address you sign in to Tableau at, without a path: your Tableau Server, or for Tableau Cloud the pod in the browser's address bar (such as https://prod-useast-a.online.tableau.com); the site goes in TABLEAU_SITE"
	}
	if step, fix, ok := diagnoseTransport("TABLEAU_SERVER_URL", serverURL, err); ok {
		return step, fix
	}
	return "reach the server", "check TABLEAU_SERVER_URL and this machine's network access to it"
}

// diagnoseTransport recognises a failure to connect to the URL a setting
// gives: an unknown name, a refused port, TLS mistakes, a timeout.
func diagnoseTransport(setting, rawURL string, err error) (step, fix string, ok bool) {
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var certVerify *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return "reach the server", fmt.Sprintf("the host name %q is not known: check its spelling in %s, and the DNS or VPN this machine needs to see it", dnsErr.Name, setting), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "reach the server", fmt.Sprintf("nothing accepts connections at %s: check the port and the scheme in %s (https uses 443), that the server is running, and any firewall", host, setting), true
	case errors.As(err, &hostErr):
		return "TLS", fmt.Sprintf("the server's certificate is not for %s: use the host name the certificate was issued for in %s", hostErr.Host, setting), true
	case errors.As(err, &unknownCA), errors.As(err, &certVerify):
		return "TLS", "the server's certificate is not signed by an authority this machine trusts: add your organisation's CA certificate to the system's trust store, or point SSL_CERT_FILE at it", true
	case errors.As(err, &invalid):
		return "TLS", "the server's certificate is not valid (expired, or not yet valid): its administrator must renew it", true
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS", fmt.Sprintf("%s does not speak TLS: use http:// in %s for it, or the server's HTTPS port", host, setting), true
	case errors.As(err, &netErr) && netErr.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "reach the server", fmt.Sprintf("%s did not answer in time: check firewalls and proxies between this machine and it (HTTPS_PROXY is honoured)", host), true
	}
	return "", "", false
}

// diagnoseSignIn tells a wrong site from wrong credentials where it can.
// Tableau answers 401001 to both, so the site is blamed when its value
// cannot be a content URL, when Tableau Cloud is asked for the Default
// site (it has none), or when Tableau's detail says so.
func diagnoseSignIn(cfg *config, err error) (step, fix string) {
	var apiErr *backend.APIError
	if !errors.As(err, &apiErr) {
		return "sign in with the PAT", ""
	}
	detail := strings.ToLower(apiErr.Detail + " " + apiErr.Summary)
	siteFix := "set TABLEAU_SITE to the site's content URL: the part after /site/ in the browser's address when you are on the site (https://…/#/site/CONTENT_URL/home); leave it empty only for the Default site of Tableau Server"
	cloud := strings.Contains(strings.ToLower(cfg.TableauServerURL), "online.tableau.com")
	switch {
	case strings.Contains(detail, "unlicensed"):
		return "API access", "the PAT's user is Unlicensed on this site: a site administrator gives them a site role (Viewer or above) to use the API"
	case strings.ContainsAny(cfg.TableauSite, "/# ") || cloud && cfg.TableauSite == "" || strings.Contains(detail, "no site") || strings.Contains(detail, "site not found"):
		return "wrong site", siteFix
	case apiErr.Code == "401001" || apiErr.Status == 401:
		return "sign in with the PAT", "check TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET (the secret is shown once, when the token is created; a revoked or expired token must be created again under My Account Settings → Personal Access Tokens), and that TABLEAU_SITE is the content URL of the site the token was created on"
	}
	return "sign in with the PAT", ""
}

// versionLess reports whether REST API version a is older than b.
func versionLess(a, b string) bool {
	parse := func(v string) (int, int) {
		maj, min, _ := strings.Cut(v, ".")
		x, _ := strconv.Atoi(maj)
		y, _ := strconv.Atoi(min)
		return x, y
	}
	am, an := parse(a)
	bm, bn := parse(b)
	return am < bm || am == bm && an < bn
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
