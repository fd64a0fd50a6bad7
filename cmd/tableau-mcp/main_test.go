package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tableau-mcp-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tableau-mcp")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is the environment without any of our settings.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TABLEAU_") || strings.HasPrefix(kv, "SCALEKIT_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// TestStdioSessionWithTheBuiltBinary speaks MCP over a real pipe to the
// binary, as Claude Desktop does, with no settings: the demo site.
func TestStdioSessionWithTheBuiltBinary(t *testing.T) {
	c, err := client.NewStdioMCPClient(binary, cleanEnv())
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	lt, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	def, _ := tools.Select(tools.All(), tools.Selection{})
	if err != nil || len(lt.Tools) != len(def) {
		t.Fatalf("listed %v tools, the default toolsets have %d: %v", len(lt.Tools), len(def), err)
	}
	sess := s.OK("tableau_session_get", nil)
	if !strings.Contains(Str(sess, "session", "site", "name"), "sample data") {
		t.Errorf("demo site %q", Str(sess, "session", "site", "name"))
	}
	wbs := List(s.OK("tableau_workbooks_list", map[string]any{"page_size": 2}), "workbooks", "workbook")
	if len(wbs) != 2 {
		t.Fatalf("%d workbooks", len(wbs))
	}
	s.Fail("tableau_workbook_get", map[string]any{"workbook_id": "nope"}, "not a Tableau LUID")
}

// startEmulator serves the Tableau emulator on loopback and returns the
// settings that sign in to it.
func startEmulator(t *testing.T) (*tableauemu.Emulator, map[string]string) {
	emu := tableauemu.New(tableauemu.Config{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	pat := emu.DefaultPAT()
	return emu, map[string]string{"TABLEAU_SERVER_URL": srv.URL, "TABLEAU_SITE": pat.SiteContentURL, "TABLEAU_PAT_NAME": pat.Name, "TABLEAU_PAT_SECRET": pat.Secret}
}

func setEnv(t *testing.T, kv map[string]string) {
	for _, k := range []string{"TABLEAU_SERVER_URL", "TABLEAU_SITE", "TABLEAU_PAT_NAME", "TABLEAU_PAT_SECRET", "TABLEAU_API_VERSION",
		"SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_ENV_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET", "SCALEKIT_IDENTIFIER", "TABLEAU_MCP_BACKEND"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range kv {
		t.Setenv(k, v)
	}
}

// TestStdioAgainstTableauOverHTTP runs the binary with the tableau backend
// against the emulator on a real socket.
func TestStdioAgainstTableauOverHTTP(t *testing.T) {
	emu, settings := startEmulator(t)
	var env []string
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	c, err := client.NewStdioMCPClient(binary, cleanEnv(env...))
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	for i := 0; i < 3; i++ {
		s.OK("tableau_workbooks_list", nil)
	}
	if st := emu.Stats(); st.SignIns != 1 {
		t.Errorf("%d sign-ins for 3 calls, want 1", st.SignIns)
	}
}

func TestCallPrintsTheResultAndLogsNoSecret(t *testing.T) {
	emu, settings := startEmulator(t)
	setEnv(t, settings)
	var out, errb bytes.Buffer
	if err := run([]string{"--log-level", "debug", "call", "tableau_session_get"}, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), `"session"`) {
		t.Errorf("stdout: %s", out.String())
	}
	logs := errb.String()
	if !strings.Contains(logs, "signed in to tableau") {
		t.Errorf("expected a sign-in log line, got %s", logs)
	}
	if strings.Contains(logs, settings["TABLEAU_PAT_SECRET"]) {
		t.Error("the PAT secret appears in the logs")
	}
	for _, r := range emu.Requests() {
		if tok := r.Header.Get("X-Tableau-Auth"); tok != "" && strings.Contains(logs, tok) {
			t.Error("a session token appears in the logs")
		}
	}
}

func TestBackendChoice(t *testing.T) {
	cases := []struct {
		env     map[string]string
		flags   []string
		want    string
		wantErr string
	}{
		{nil, nil, "demo", ""},
		{map[string]string{"TABLEAU_SERVER_URL": "https://x", "TABLEAU_PAT_NAME": "n", "TABLEAU_PAT_SECRET": "s"}, nil, "tableau", ""},
		{map[string]string{"TABLEAU_PAT_NAME": "n"}, nil, "", "TABLEAU_SERVER_URL and TABLEAU_PAT_SECRET"},
		{map[string]string{"SCALEKIT_ENV_URL": "https://sk", "SCALEKIT_CLIENT_ID": "id"}, nil, "", "SCALEKIT_CLIENT_SECRET"},
		{map[string]string{"TABLEAU_SERVER_URL": "https://x", "TABLEAU_PAT_NAME": "n", "TABLEAU_PAT_SECRET": "s"}, []string{"--backend", "demo"}, "demo", ""},
		{nil, []string{"--backend", "tableau", "--tableau-server-url", "https://x"}, "", "TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET"},
		{nil, []string{"--backend", "nope"}, "", "not one of"},
	}
	for _, c := range cases {
		setEnv(t, c.env)
		fs := flagSet()
		var cfg config
		cfg.define(fs)
		if err := fs.Parse(c.flags); err != nil {
			t.Fatal(err)
		}
		cfg.resolve(fs)
		got, err := cfg.chooseBackend()
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v %v: error %v, want %q", c.env, c.flags, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v %v: got %q %v, want %q", c.env, c.flags, got, err, c.want)
		}
	}
}

func TestUnknownCommandAndToolAreExplained(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	if err := run([]string{"frobnicate"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "commands:") {
		t.Errorf("got %v", err)
	}
	if err := run([]string{"call", "tableau_nope"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "tableau-mcp tools") {
		t.Errorf("got %v", err)
	}
	out.Reset()
	def, _ := tools.Select(tools.All(), tools.Selection{})
	if err := run([]string{"tools"}, nil, &out, &errb); err != nil || strings.Count(out.String(), "\n") != len(def) {
		t.Errorf("tools printed %d lines, want the %d of the default toolsets: %v", strings.Count(out.String(), "\n"), len(def), err)
	}
	out.Reset()
	if err := run([]string{"tools", "--toolsets", "all"}, nil, &out, &errb); err != nil || strings.Count(out.String(), "\n") != len(tools.All()) {
		t.Errorf("tools --toolsets all printed %d lines: %v", strings.Count(out.String(), "\n"), err)
	}
	out.Reset()
	if err := run([]string{"tools", "--read-only", "--toolsets", "all"}, nil, &out, &errb); err != nil || strings.Contains(out.String(), " W ") || strings.Contains(out.String(), " D ") || out.Len() == 0 {
		t.Errorf("tools --read-only printed write tools: %v\n%s", err, out.String())
	}
	if err := run([]string{"tools", "--toolsets", "dashboards"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "workbooks") {
		t.Errorf("unknown toolset: %v", err)
	}
}
