package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
)

func TestConnectCreatesTheAccountThenDoctorPasses(t *testing.T) {
	tab, tabSettings := startEmulator(t)
	pat := tab.DefaultPAT()
	sk := scalekitemu.New(scalekitemu.Config{ClientID: "cid", ClientSecret: "client-secret-value"})
	srv := httptest.NewServer(sk)
	t.Cleanup(srv.Close)
	env := map[string]string{"SCALEKIT_ENVIRONMENT_URL": srv.URL, "SCALEKIT_CLIENT_ID": "cid", "SCALEKIT_CLIENT_SECRET": "client-secret-value"}

	// Before: doctor says there is no account, and how to connect.
	out, err := runDoctor(t, env, "--scalekit-identifier", "usr_42")
	if err == nil || !strings.Contains(out, "FAIL  connected account") {
		t.Fatalf("%v\n%s", err, out)
	}

	setEnv(t, env)
	answers := tabSettings["TABLEAU_SERVER_URL"] + "\n" + pat.SiteContentURL + "\n" + pat.Name + "\n" + pat.Secret + "\n"
	var stdout, stderr bytes.Buffer
	if err := run([]string{"connect", "--identifier", "usr_42"}, strings.NewReader(answers), &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "tableau_session_get") || !strings.Contains(stdout.String(), "all checks passed") {
		t.Errorf("connect output:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), pat.Secret) {
		t.Error("the PAT secret was printed")
	}
	// What Scalekit received: the documented create body.
	var created bool
	for _, r := range sk.Requests() {
		if r.Method == "POST" && r.Path == "/api/v1/connected_accounts" {
			created = strings.Contains(string(r.Body), `"identifier":"usr_42"`) && strings.Contains(string(r.Body), `"static_auth":{"details":{`) &&
				strings.Contains(string(r.Body), `"pat_secret":"`+pat.Secret+`"`)
		}
	}
	if !created {
		t.Error("no connected_accounts create with the PAT in static_auth.details")
	}
	out, err = runDoctor(t, env, "--scalekit-identifier", "usr_42")
	if err != nil || !strings.Contains(out, "all checks passed") {
		t.Fatalf("doctor after connect: %v\n%s", err, out)
	}

	// Running it again updates the account (a new secret would be saved).
	stdout.Reset()
	setEnv(t, env)
	if err := run([]string{"connect"}, strings.NewReader(answers), &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "--identifier") {
		t.Errorf("without an identifier: %v", err)
	}
	if err := run([]string{"connect", "--identifier", "usr_42"}, strings.NewReader(answers), &stdout, &stderr); err != nil {
		t.Fatalf("update: %v\n%s", err, stdout.String())
	}
	var updated bool
	for _, r := range sk.Requests() {
		updated = updated || (r.Method == "PUT" && r.Path == "/api/v1/connected_accounts" && r.Status == 200)
	}
	if !updated {
		t.Error("the second connect did not update the account")
	}
	// A secret must be typed: an empty one is refused before Scalekit is asked.
	empty := tabSettings["TABLEAU_SERVER_URL"] + "\n\n" + pat.Name + "\n\n"
	if err := run([]string{"connect", "--identifier", "usr_43"}, strings.NewReader(empty), &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("empty secret: %v", err)
	}
}
