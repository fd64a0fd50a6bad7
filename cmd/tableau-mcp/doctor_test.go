package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"

	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
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
	if err == nil || !strings.Contains(out, "ok    tableau server reachable") || !strings.Contains(out, "FAIL  sign in with the PAT") || !strings.Contains(out, "TABLEAU_PAT_SECRET") {
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
