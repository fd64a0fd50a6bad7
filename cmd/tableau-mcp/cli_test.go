package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// runBinary runs the built binary in dir with env and args; stdin is empty.
func runBinary(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

var subcommands = []string{"serve", "tools", "call", "doctor", "emulator", "health", "version", "completion", "help"}

func TestHelpListsEveryCommandAndExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, errOut, code := runBinary(t, t.TempDir(), cleanEnv(), args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, c := range subcommands {
			// One line each: the name, then its description.
			if !regexp.MustCompile(`(?m)^  ` + c + ` +[A-Z][^\n]+$`).MatchString(out) {
				t.Errorf("%v does not list %q on a line of its own:\n%s", args, c, out)
			}
		}
		// Every flag shows its type and its default.
		for _, want := range []string{"--max-concurrent-calls int", "(default 8)", "--metadata-ttl duration", "(default 5m)",
			"--max-inline-bytes size", "(default 20MiB)", "--transport stdio|http|sse", `(default stdio)`, "[$TABLEAU_MCP_TRANSPORT]", "-v, --version"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
}

// TestEverySettingHasASection keeps new settings in the help's sections.
func TestEverySettingHasASection(t *testing.T) {
	var cfg config
	cfg.init()
	seen := map[string]int{}
	for _, g := range settingGroups {
		for _, f := range g.flags {
			seen[f]++
		}
	}
	for _, s := range cfg.settings {
		if seen[s.flag] != 1 {
			t.Errorf("--%s is in %d sections of settingGroups, want 1", s.flag, seen[s.flag])
		}
		delete(seen, s.flag)
	}
	for f := range seen {
		t.Errorf("settingGroups names --%s, which is no setting", f)
	}
}

func TestEachCommandHasItsOwnHelp(t *testing.T) {
	cases := map[string]struct{ want, not []string }{
		"call":     {[]string{"tableau-mcp call TOOL", "--out DIR", "--toolsets list", "--tableau-server-url url"}, []string{"--auth-file", "--listen"}},
		"doctor":   {[]string{"tableau-mcp doctor", "--tableau-pat-name string", "Exit status 0"}, []string{"--toolsets", "--auth-file"}},
		"emulator": {[]string{"tableau-mcp emulator", "--listen host:port"}, []string{"--toolsets", "--tableau-site"}},
		"health":   {[]string{"tableau-mcp health", "--url URL", "/readyz"}, []string{"--toolsets"}},
		"tools":    {[]string{"tableau-mcp tools", "--read-only", "--toolsets list"}, []string{"--tableau-site", "--auth-file"}},
	}
	for name, c := range cases {
		for _, args := range [][]string{{"help", name}, {name, "--help"}, {name, "-h"}} {
			out, _, code := runBinary(t, t.TempDir(), cleanEnv(), args...)
			if code != 0 {
				t.Errorf("%v: exit %d", args, code)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("%v: help lacks %q:\n%s", args, w, out)
				}
			}
			for _, n := range c.not {
				if strings.Contains(out, n) {
					t.Errorf("%v: help shows %q, which does not concern it", args, n)
				}
			}
		}
	}
}

func TestFlagsAnywhereAndSingleDashStillWork(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	// A setting that the command's help does not show is still accepted, and
	// the single-dash long form of the standard flag package too.
	for _, args := range [][]string{
		{"--toolsets", "users", "tools"}, {"tools", "--toolsets", "users"}, {"-toolsets", "users", "tools"}, {"-toolsets=users", "tools"},
		{"tools", "--toolsets=users", "--log-level", "error"},
	} {
		out.Reset()
		if err := run(args, nil, &out, &errb); err != nil || !strings.Contains(out.String(), "tableau_users_list") || strings.Contains(out.String(), "tableau_workbooks_list") {
			t.Errorf("%v: %v\n%s", args, err, out.String())
		}
	}
	err := run([]string{"tools", "--no-such-flag"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "unknown flag: --no-such-flag") || !strings.Contains(err.Error(), "tableau-mcp tools --help") {
		t.Errorf("unknown flag: %v", err)
	}
	err = run([]string{"doctr"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "did you mean doctor?") {
		t.Errorf("misspelt command: %v", err)
	}
}

func TestVersionSaysVersionCommitAndDate(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tableau-mcp")
	ld := "-X main.version=1.4.2 -X main.commit=0123abcd -X main.date=2026-03-04T05:06:07Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"tableau-mcp 1.4.2\n", "commit:  0123abcd\n", "built:   2026-03-04T05:06:07Z\n", "go:      go1."} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%v printed %q, want %q in it", args, out, want)
			}
		}
	}
	// Without build-time values it still names itself and says what it lacks.
	out, _, code := runBinary(t, t.TempDir(), cleanEnv(), "--version")
	if code != 0 || !strings.HasPrefix(out, "tableau-mcp 0.1.0-dev\ncommit:  ") {
		t.Errorf("exit %d: %q", code, out)
	}
}

func writeDotEnv(t *testing.T, content string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// TestDotEnvIsNamedInLogsAndErrors is the desktop-client case of the
// README's troubleshooting: a partial setting in a .env file of the working
// directory stops the server, and the message says which file and the fix.
func TestDotEnvIsNamedInLogsAndErrors(t *testing.T) {
	dir, path := writeDotEnv(t, "TABLEAU_SERVER_URL=https://tableau.example.com\n")
	_, errOut, code := runBinary(t, dir, cleanEnv())
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errOut)
	}
	last := strings.TrimSpace(errOut[strings.LastIndex(strings.TrimSpace(errOut), "\n")+1:])
	for _, want := range []string{"tableau-mcp: ", "TABLEAU_PAT_NAME and TABLEAU_PAT_SECRET", "TABLEAU_SERVER_URL (from " + path + ")", "Add the missing ones to " + path, "to run the demo site"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last stderr line lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(errOut, `"msg":"read settings from a .env file"`) || !strings.Contains(errOut, path) || !strings.Contains(errOut, `"variables":["TABLEAU_SERVER_URL"]`) {
		t.Errorf("no log line naming the .env file:\n%s", errOut)
	}

	// The same setting from the environment is named as such.
	_, errOut, code = runBinary(t, t.TempDir(), cleanEnv("TABLEAU_SERVER_URL=https://tableau.example.com"))
	if code != 1 || !strings.Contains(errOut, "TABLEAU_SERVER_URL (from the environment)") || strings.Contains(errOut, ".env") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}

	// A bad value read from .env names the file; the environment wins over it.
	dir, path = writeDotEnv(t, "TABLEAU_MCP_METADATA_TTL=five minutes\nTABLEAU_PAT_SECRET=never-logged\n")
	_, errOut, code = runBinary(t, dir, cleanEnv(), "tools")
	if code != 1 || !strings.Contains(errOut, "TABLEAU_MCP_METADATA_TTL is set in "+path) || strings.Contains(errOut, "never-logged") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	_, errOut, code = runBinary(t, dir, cleanEnv("TABLEAU_MCP_METADATA_TTL=1m", "TABLEAU_MCP_TOOLSETS=site"), "tools")
	if code != 0 {
		t.Errorf("the environment's TABLEAU_MCP_METADATA_TTL did not win over .env: exit %d\n%s", code, errOut)
	}
	// A flag's error says it came from the command line.
	_, errOut, _ = runBinary(t, t.TempDir(), cleanEnv(), "tools", "--max-concurrent-calls", "lots")
	if !strings.Contains(errOut, "--max-concurrent-calls was given on the command line") {
		t.Errorf("%s", errOut)
	}
}

// TestStdioStartupSaysWhatItDoes: a log line for a client's log, a sentence
// for a person at a terminal; both say stdin/stdout, the backend and how to try it.
func TestStdioStartupSaysWhatItDoes(t *testing.T) {
	_, errOut, code := runBinary(t, t.TempDir(), cleanEnv())
	if code != 0 {
		t.Fatalf("exit %d on end of input:\n%s", code, errOut)
	}
	var line map[string]any
	for _, l := range strings.Split(errOut, "\n") {
		if strings.Contains(l, "stdin/stdout") && json.Unmarshal([]byte(l), &line) == nil {
			break
		}
	}
	if line["backend"] != "demo" || !strings.Contains(line["try"].(string), "tableau-mcp call") || !strings.Contains(line["site"].(string), "demo") {
		t.Errorf("start-up log line %v in:\n%s", line, errOut)
	}

	setEnv(t, nil)
	var out bytes.Buffer
	term := &terminalBuffer{}
	if err := run(nil, strings.NewReader(""), &out, term); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^tableau-mcp \S+ serves MCP on stdin/stdout \(\d+ tools, demo backend`).MatchString(term.String()) {
		t.Errorf("no start-up sentence on a terminal:\n%s", term.String())
	}
	if !strings.Contains(term.String(), "tableau-mcp call tableau_workbooks_list") || !strings.Contains(term.String(), "inspector") {
		t.Errorf("no way to try it:\n%s", term.String())
	}
	if strings.Contains(term.String(), `{"level"`) {
		t.Errorf("JSON log lines on a terminal:\n%s", term.String())
	}
}

type terminalBuffer struct{ bytes.Buffer }

func (*terminalBuffer) IsTerminal() bool { return true }

func TestCallOutWritesEveryFile(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	if err := run([]string{"--log-level", "error", "call", "tableau_views_list", `{"page_size":1}`}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var views struct {
		Views []struct{ ID string } `json:"views"`
	}
	if err := json.Unmarshal(out.Bytes(), &views); err != nil || len(views.Views) != 1 {
		t.Fatalf("%v\n%s", err, out.String())
	}
	id := views.Views[0].ID
	dir := filepath.Join(t.TempDir(), "exports")
	checks := map[string]func([]byte) bool{
		"tableau_view_image_get": func(b []byte) bool { _, err := png.Decode(bytes.NewReader(b)); return err == nil },
		"tableau_view_pdf_get": func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("%PDF-")) && bytes.Contains(b[len(b)-32:], []byte("%%EOF"))
		},
		"tableau_view_data_get":     func(b []byte) bool { return bytes.Count(b, []byte("\n")) >= 2 && bytes.Contains(b, []byte(",")) },
		"tableau_view_crosstab_get": func(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) },
	}
	exts := map[string]string{"tableau_view_image_get": ".png", "tableau_view_pdf_get": ".pdf", "tableau_view_data_get": ".csv", "tableau_view_crosstab_get": ".xlsx"}
	for tool, ok := range checks {
		out.Reset()
		if err := run([]string{"--log-level", "error", "call", tool, `{"view_id":"` + id + `"}`, "--out", dir}, nil, &out, &errb); err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		m := regexp.MustCompile(`(?m)^wrote (\S+) \((\d+) bytes\)$`).FindAllStringSubmatch(out.String(), -1)
		if len(m) != 1 {
			t.Fatalf("%s: want one file written, got %q", tool, out.String())
		}
		if filepath.Dir(m[0][1]) != dir || filepath.Ext(m[0][1]) != exts[tool] {
			t.Errorf("%s wrote %s", tool, m[0][1])
		}
		b, err := os.ReadFile(m[0][1])
		if err != nil || !ok(b) {
			t.Errorf("%s: %s is not the file it should be (%v, %d bytes)", tool, m[0][1], err, len(b))
		}
	}
	// A second run never overwrites the first file.
	out.Reset()
	run([]string{"--log-level", "error", "call", "tableau_view_image_get", `{"view_id":"` + id + `"}`, "--out", dir}, nil, &out, &errb)
	if !strings.Contains(out.String(), "view-"+id+"-2.png") {
		t.Errorf("second image: %s", out.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("%d files in --out, want 5", len(entries))
	}
}

func TestUnknownToolGetsDidYouMean(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	err := run([]string{"call", "tableau_workbook_list"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "did you mean tableau_workbooks_list") {
		t.Errorf("%v", err)
	}
}

// BenchmarkCommandLine is what the command line adds to every start: the
// command tree with its flags, parsed for a plain stdio start.
func BenchmarkCommandLine(b *testing.B) {
	for i := 0; i < b.N; i++ {
		a := &app{}
		a.cfg.init()
		root := a.commands()
		a.settingFlags(root)
		if err := root.ParseFlags([]string{"--log-level", "error"}); err != nil {
			b.Fatal(err)
		}
	}
}

// Single-dash long flags become double-dash ones; short flags, values,
// unknown names and everything after -- are left as they are.
func TestLongFlagsKeepsSingleDashLongFlagsWorking(t *testing.T) {
	var c config
	c.init()
	in := []string{"-transport", "http", "-v", "-read-only=true", "--listen", "-x", "-nope", "-help", "--", "-transport"}
	want := []string{"--transport", "http", "-v", "--read-only=true", "--listen", "-x", "-nope", "--help", "--", "-transport"}
	if got := longFlags(in, c.settings); !slices.Equal(got, want) {
		t.Errorf("longFlags(%q) = %q, want %q", in, got, want)
	}
	if got := longFlags(nil, c.settings); len(got) != 0 {
		t.Errorf("longFlags(nil) = %q", got)
	}
}

// With no arguments the process serves without going through the command
// tree; what it does with the settings is what the root command does.
func TestNoArgumentsServeAsTheRootCommand(t *testing.T) {
	for env, value := range map[string]string{
		"TABLEAU_MCP_TRANSPORT":        "bogus",
		"TABLEAU_MCP_LOG_LEVEL":        "loud",
		"TABLEAU_MCP_UPSTREAM_TIMEOUT": "soon",
		"TABLEAU_MCP_TOOLSETS":         "nope",
	} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, value)
			var out, errb bytes.Buffer
			bare := run(nil, strings.NewReader(""), &out, &errb)
			// A flag that changes nothing here takes the command tree.
			root := run([]string{"--listen", "127.0.0.1:8080"}, strings.NewReader(""), &out, &errb)
			if bare == nil || root == nil || bare.Error() != root.Error() {
				t.Errorf("no arguments: %v\nroot command: %v", bare, root)
			}
		})
	}
}
