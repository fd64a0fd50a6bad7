package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"

	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
)

func runDoctor(t *testing.T, env map[string]string, flags ...string) (string, error) {
	t.Helper()
	setEnv(t, env)
	var out, errb bytes.Buffer
	err := run(append(flags, "doctor"), nil, &out, &errb)
	return out.String(), err
}

func TestDoctorPassesOnTheDemo(t *testing.T) {
	out, err := runDoctor(t, nil)
	if err != nil || !strings.Contains(out, "all checks passed") || !strings.Contains(out, "sample data") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = runDoctor(t, nil, "--demo-via-scalekit")
	if err != nil || !strings.Contains(out, "connected account") || !strings.Contains(out, "ACTIVE") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestDoctorNamesTheFirstFailingStep(t *testing.T) {
	_, settings := startEmulator(t)
	settings["TABLEAU_PAT_SECRET"] = "wrong"
	out, err := runDoctor(t, settings)
	if err == nil || !strings.Contains(out, "ok    tableau server answers") || !strings.Contains(out, "FAIL  sign in with the PAT") || !strings.Contains(out, "TABLEAU_PAT_SECRET") {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "wrong") {
		t.Error("doctor printed the PAT secret")
	}

	sk := scalekitemu.New(scalekitemu.Config{ClientID: "id", ClientSecret: "right"})
	srv := httptest.NewServer(sk)
	t.Cleanup(srv.Close)
	skEnv := map[string]string{"SCALEKIT_ENVIRONMENT_URL": srv.URL, "SCALEKIT_CLIENT_ID": "id", "SCALEKIT_CLIENT_SECRET": "bad-secret", "SCALEKIT_IDENTIFIER": "u1"}
	out, err = runDoctor(t, skEnv)
	if err == nil || !strings.Contains(out, "FAIL  scalekit access token") || !strings.Contains(out, "fix:") || strings.Contains(out, "bad-secret") {
		t.Fatalf("%v\n%s", err, out)
	}
	skEnv["SCALEKIT_CLIENT_SECRET"] = "right"
	out, err = runDoctor(t, skEnv)
	if err == nil || !strings.Contains(out, "ok    scalekit access token") || !strings.Contains(out, "FAIL  connected account") || !strings.Contains(out, "no connected account") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestDoctorChecksTheConnectedApp(t *testing.T) {
	emu, settings := startEmulator(t)
	app := emu.DefaultConnectedApp()
	delete(settings, "TABLEAU_PAT_NAME")
	delete(settings, "TABLEAU_PAT_SECRET")
	settings["TABLEAU_CONNECTED_APP_CLIENT_ID"] = app.ClientID
	settings["TABLEAU_CONNECTED_APP_SECRET_ID"] = app.SecretID
	settings["TABLEAU_CONNECTED_APP_SECRET_VALUE"] = app.SecretValue
	settings["TABLEAU_JWT_SUB"] = "admin@example.com"
	out, err := runDoctor(t, settings)
	if err != nil || !strings.Contains(out, "ok    sign in with the connected app") || !strings.Contains(out, "tableau:content:read") || !strings.Contains(out, "all checks passed") {
		t.Fatalf("%v\n%s", err, out)
	}
	settings["TABLEAU_JWT_SUB"] = "Admin@example.com" // user names are case sensitive
	out, err = runDoctor(t, settings)
	if err == nil || !strings.Contains(out, "FAIL  sign in with the connected app") || !strings.Contains(out, "SYSTEM_USER_NOT_FOUND") || strings.Contains(out, app.SecretValue) {
		t.Fatalf("%v\n%s", err, out)
	}
	settings["TABLEAU_JWT_SUB"] = "{identity}"
	settings["SCALEKIT_IDENTIFIER"] = "vic.viewer@example.com"
	out, err = runDoctor(t, settings)
	if err != nil || !strings.Contains(out, `as "vic.viewer@example.com"`) {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestStdioThroughScalekitDemo runs the binary with --demo-via-scalekit: the
// whole path MCP -> Scalekit -> Tableau, with the stdio identity.
func TestStdioThroughScalekitDemo(t *testing.T) {
	c, err := client.NewStdioMCPClient(binary, cleanEnv(), "--demo-via-scalekit")
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	if !strings.Contains(Str(s.OK("tableau_session_get", nil), "session", "site", "name"), "sample data") {
		t.Error("not the demo site")
	}
	groups := List(s.OK("tableau_groups_list", nil), "groups", "group")
	if len(groups) == 0 {
		t.Fatal("no groups")
	}
	s.OK("tableau_group_users_list", map[string]any{"group_id": groups[0]["id"]}) // over the proxy
}

// TestScalekitSecretsStayOutOfLogs runs a Scalekit call at debug level and
// looks for the client secret and every access token in what was logged.
func TestScalekitSecretsStayOutOfLogs(t *testing.T) {
	tab, tabSettings := startEmulator(t)
	sk := scalekitemu.New(scalekitemu.Config{ClientID: "cid", ClientSecret: "super-secret-client-value", TableauURL: tabSettings["TABLEAU_SERVER_URL"]})
	pat := tab.DefaultPAT()
	sk.AddAccount(scalekitemu.Account{Identifier: "u1", PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	srv := httptest.NewServer(sk)
	t.Cleanup(srv.Close)
	setEnv(t, map[string]string{"SCALEKIT_ENVIRONMENT_URL": srv.URL, "SCALEKIT_CLIENT_ID": "cid", "SCALEKIT_CLIENT_SECRET": "super-secret-client-value", "SCALEKIT_IDENTIFIER": "u1"})
	var out, errb bytes.Buffer
	if err := run([]string{"--log-level", "debug", "--toolsets", "all", "call", "tableau_group_users_list", `{"group_id":"00000000-0000-4000-8000-000000000001"}`}, nil, &out, &errb); err == nil {
		t.Log("the unknown group was expected to fail")
	}
	logs := errb.String()
	if !strings.Contains(logs, "scalekit access token") {
		t.Fatalf("no token log line; logs: %s", logs)
	}
	secrets := []string{"super-secret-client-value", pat.Secret}
	for _, r := range sk.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			secrets = append(secrets, tok)
		}
	}
	for _, r := range tab.Requests() {
		if tok := r.Header.Get("X-Tableau-Auth"); tok != "" {
			secrets = append(secrets, tok)
		}
	}
	if len(secrets) < 4 {
		t.Fatalf("expected access and session tokens to look for, have %d secrets", len(secrets))
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%d characters) appears in the logs", len(s))
		}
	}
}

// TestDoctorDiagnoses points doctor at what a new user gets wrong: the
// emulator with a wrong site, secret or version, a user without API access,
// a web server that is not Tableau, a refused port and TLS mistakes. Each
// failing step is named with its fix; no log line is mixed in; only a
// complete pass exits 0.
func TestDoctorDiagnoses(t *testing.T) {
	emu, good := startEmulator(t)
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	notTableau := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotImplemented)
		io.WriteString(w, "<html><body>Not Implemented</body></html>")
	}))
	t.Cleanup(notTableau.Close)
	tlsEmu := httptest.NewTLSServer(emu) // its certificate is signed by no authority this process trusts
	t.Cleanup(tlsEmu.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	unlicensedID, ok := emu.UserIDByName(good["TABLEAU_SITE"], "una.unlicensed@example.com")
	if !ok {
		t.Fatal("no unlicensed user on the sample site")
	}
	if err := emu.AddPAT(tableauemu.PAT{Name: "una", Secret: "una-secret", SiteContentURL: good["TABLEAU_SITE"], UserID: unlicensedID}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		env    map[string]string
		before func()
		want   []string // in the output, in order
		not    []string
	}{
		{"all good", good, nil, []string{"ok    tableau server answers       Tableau 2026.1.0 answers at " + good["TABLEAU_SERVER_URL"] + ", REST API 3.28",
			"ok    sign in with the PAT", "ok    tableau_session_get", "ok    REST API access", "ok    VizQL Data Service", "all checks passed"}, []string{"FAIL"}},
		{"wrong site", with("TABLEAU_SITE", "nosuchsite"), nil, []string{"ok    tableau server answers", "FAIL  wrong site", "fix: set TABLEAU_SITE to the site's content URL"}, nil},
		{"site pasted as a page address", with("TABLEAU_SITE", "#/site/demo/home"), nil, []string{"FAIL  wrong site"}, nil},
		{"bad PAT", with("TABLEAU_PAT_SECRET", "not-the-secret"), nil, []string{"FAIL  sign in with the PAT", "fix: check TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET"}, []string{"not-the-secret", "wrong site"}},
		{"unlicensed user", with("TABLEAU_PAT_NAME", "una", "TABLEAU_PAT_SECRET", "una-secret"), nil, []string{"FAIL  API access", "is unlicensed", "fix: the PAT's user is Unlicensed"}, nil},
		{"no API Access capability", good, func() { emu.FailNext("POST", "read-metadata", 403, "403800") }, []string{"ok    REST API access", "FAIL  VizQL Data Service", "403800", "fix: the user lacks the API Access capability"}, []string{"all checks passed"}},
		{"API version newer than the server", with("TABLEAU_API_VERSION", "3.99"), nil, []string{"FAIL  REST API version", "TABLEAU_API_VERSION 3.99 is newer than the server's REST API 3.28", "fix: remove TABLEAU_API_VERSION"}, nil},
		{"API version given: still asked", with("TABLEAU_API_VERSION", "3.21"), nil, []string{"ok    tableau server answers       Tableau 2026.1.0", "TABLEAU_API_VERSION 3.21 is used", "all checks passed"}, nil},
		{"not Tableau", with("TABLEAU_SERVER_URL", notTableau.URL), nil, []string{"FAIL  is it Tableau", "501 Not Implemented (text/html)", "fix: set TABLEAU_SERVER_URL to the address you sign in to Tableau at"},
			[]string{"ok    tableau server answers", "ok    sign in", "FAIL  sign in", "TABLEAU_API_VERSION", "REST API version"}},
		{"not Tableau, API version given", with("TABLEAU_SERVER_URL", notTableau.URL, "TABLEAU_API_VERSION", "3.28"), nil, []string{"FAIL  is it Tableau"}, []string{"ok    tableau server answers", "ok    sign in", "FAIL  sign in"}},
		{"refused", with("TABLEAU_SERVER_URL", refused), nil, []string{"FAIL  reach the server", "connection refused", "fix: nothing accepts connections at " + strings.TrimPrefix(refused, "http://")}, []string{"ok    tableau server answers", "ok    sign in", "FAIL  sign in"}},
		{"untrusted certificate", with("TABLEAU_SERVER_URL", tlsEmu.URL), nil, []string{"FAIL  TLS", "fix: the server's certificate is not signed by an authority this machine trusts"}, nil},
		{"https to a plain port", with("TABLEAU_SERVER_URL", strings.Replace(good["TABLEAU_SERVER_URL"], "http://", "https://", 1)), nil, []string{"FAIL  TLS", "does not speak TLS: use http://"}, nil},
	}
	for _, c := range cases {
		if c.before != nil {
			c.before()
		}
		out, err := runDoctor(t, c.env)
		if c.want[len(c.want)-1] == "all checks passed" {
			if err != nil {
				t.Errorf("%s: %v\n%s", c.name, err, out)
			}
		} else if code, ok := err.(exitCode); !ok || code != 1 {
			t.Errorf("%s: error %v, want exit status 1 and nothing more to print\n%s", c.name, err, out)
		}
		rest := out
		for _, w := range c.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: output lacks %q (in order):\n%s", c.name, w, out)
				break
			}
			rest = rest[i+len(w):]
		}
		for _, n := range c.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: output has %q:\n%s", c.name, n, out)
			}
		}
		if strings.Contains(out, `"level"`) {
			t.Errorf("%s: log lines in doctor's output:\n%s", c.name, out)
		}
	}
}

func TestDoctorScalekitUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	out, err := runDoctor(t, map[string]string{"SCALEKIT_ENVIRONMENT_URL": "http://" + addr, "SCALEKIT_CLIENT_ID": "id", "SCALEKIT_CLIENT_SECRET": "s", "SCALEKIT_IDENTIFIER": "u1"})
	if err == nil || !strings.Contains(out, "FAIL  reach the server") || !strings.Contains(out, "fix: nothing accepts connections at "+addr+": check the port and the scheme in SCALEKIT_ENVIRONMENT_URL") {
		t.Errorf("%v\n%s", err, out)
	}
}

// TestDoctorBinaryExitsAndPrintsOnlyItsReport runs the built binary: human
// lines on stdout, nothing on stderr at the default log level, exit 1 with no
// redundant closing line; the debug level adds the log lines on stderr.
func TestDoctorBinaryExitsAndPrintsOnlyItsReport(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := cleanEnv("TABLEAU_SERVER_URL=http://"+addr, "TABLEAU_PAT_NAME=n", "TABLEAU_PAT_SECRET=s")
	out, errOut, code := runBinary(t, t.TempDir(), env, "doctor")
	if code != 1 || errOut != "" || !strings.Contains(out, "FAIL  reach the server") || strings.Contains(out, "doctor:") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	_, errOut, _ = runBinary(t, t.TempDir(), cleanEnv(), "doctor", "--log-level", "debug")
	if !strings.Contains(errOut, `"level"`) {
		t.Errorf("--log-level debug shows no log line:\n%s", errOut)
	}
	out, errOut, code = runBinary(t, t.TempDir(), cleanEnv(), "doctor")
	if code != 0 || errOut != "" || !strings.Contains(out, "all checks passed") {
		t.Errorf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
}
