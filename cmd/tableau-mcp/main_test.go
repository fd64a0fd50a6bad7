package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/demo"
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
	if err != nil || len(lt.Tools) != len(tools.All()) {
		t.Fatalf("listed %v tools over stdio, want every one of the %d: %v", len(lt.Tools), len(tools.All()), err)
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
	emu, _ := demo.NewSite(tableauemu.Config{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	pat := emu.DefaultPAT()
	return emu, map[string]string{"TABLEAU_SERVER_URL": srv.URL, "TABLEAU_SITE": pat.SiteContentURL, "TABLEAU_PAT_NAME": pat.Name, "TABLEAU_PAT_SECRET": pat.Secret}
}

func setEnv(t *testing.T, kv map[string]string) {
	for _, k := range []string{"TABLEAU_SERVER_URL", "TABLEAU_SITE", "TABLEAU_PAT_NAME", "TABLEAU_PAT_SECRET", "TABLEAU_API_VERSION",
		"TABLEAU_CONNECTED_APP_CLIENT_ID", "TABLEAU_CONNECTED_APP_SECRET_ID", "TABLEAU_CONNECTED_APP_SECRET_VALUE", "TABLEAU_JWT_SUB",
		"SCALEKIT_ENVIRONMENT_URL", "SCALEKIT_ENV_URL", "SCALEKIT_CLIENT_ID", "SCALEKIT_CLIENT_SECRET", "SCALEKIT_IDENTIFIER", "TABLEAU_MCP_BACKEND",
		"TABLEAU_MCP_METADATA_TTL", "TABLEAU_MCP_QUERY_CHECK"} {
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
	// The VizQL Data Service is reached with the same session.
	id, _ := emu.DatasourceIDByName(settings["TABLEAU_SITE"], "Superstore Orders")
	rows := List(s.OK("tableau_query_view", map[string]any{"datasource_luid": id,
		"fields": []any{map[string]any{"fieldCaption": "Category"}, map[string]any{"fieldCaption": "Quantity", "function": "SUM"}}}), "rows")
	if len(rows) != 3 {
		t.Errorf("quantity by category: %v", rows)
	}
	if st := emu.Stats(); st.SignIns != 1 {
		t.Errorf("%d sign-ins for 5 calls, want 1", st.SignIns)
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
		{map[string]string{"TABLEAU_SERVER_URL": "https://x", "TABLEAU_CONNECTED_APP_CLIENT_ID": "c", "TABLEAU_CONNECTED_APP_SECRET_ID": "i",
			"TABLEAU_CONNECTED_APP_SECRET_VALUE": "v", "TABLEAU_JWT_SUB": "{identity}"}, nil, "tableau", ""},
		{map[string]string{"TABLEAU_SERVER_URL": "https://x", "TABLEAU_CONNECTED_APP_CLIENT_ID": "c"}, nil, "", "TABLEAU_CONNECTED_APP_SECRET_ID and TABLEAU_CONNECTED_APP_SECRET_VALUE and TABLEAU_JWT_SUB"},
		{nil, []string{"--tableau-server-url", "https://x", "--tableau-connected-app-client-id", "c", "--tableau-connected-app-secret-id", "i",
			"--tableau-connected-app-secret-value", "v", "--tableau-jwt-sub", "jane", "--tableau-pat-name", "n"}, "", "keep one way"},
	}
	for _, c := range cases {
		setEnv(t, c.env)
		fs := flagSet()
		var cfg config
		cfg.define(fs)
		if err := fs.Parse(c.flags); err != nil {
			t.Fatal(err)
		}
		if err := cfg.resolve(fs); err != nil {
			t.Fatal(err)
		}
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
	if err := run([]string{"tools", "--transport", "http"}, nil, &out, &errb); err != nil || strings.Count(out.String(), "\n") != len(def) || len(def) >= len(tools.All()) {
		t.Errorf("tools over http printed %d lines, want the %d of the default toolsets: %v", strings.Count(out.String(), "\n"), len(def), err)
	}
	out.Reset()
	if err := run([]string{"tools"}, nil, &out, &errb); err != nil || strings.Count(out.String(), "\n") != len(tools.All()) {
		t.Errorf("tools over stdio printed %d lines, want all %d: %v", strings.Count(out.String(), "\n"), len(tools.All()), err)
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

func TestQuerySettings(t *testing.T) {
	cases := []struct {
		env     map[string]string
		flags   []string
		ttl     time.Duration
		check   bool
		wantErr string
	}{
		{nil, nil, 5 * time.Minute, true, ""},
		{map[string]string{"TABLEAU_MCP_METADATA_TTL": "30s", "TABLEAU_MCP_QUERY_CHECK": "off"}, nil, 30 * time.Second, false, ""},
		{map[string]string{"TABLEAU_MCP_QUERY_CHECK": "off"}, []string{"--query-check", "on", "--metadata-ttl", "1h"}, time.Hour, true, ""},
		{nil, []string{"--metadata-ttl", "0"}, -1, true, ""},
		{nil, []string{"--metadata-ttl", "five minutes"}, 0, true, "not a duration"},
		{nil, []string{"--metadata-ttl", "-5m"}, 0, true, "not a duration"},
		{map[string]string{"TABLEAU_MCP_QUERY_CHECK": "maybe"}, nil, 0, true, "TABLEAU_MCP_QUERY_CHECK \"maybe\" is not on or off"},
	}
	for _, c := range cases {
		setEnv(t, c.env)
		fs := flagSet()
		var cfg config
		cfg.define(fs)
		if err := fs.Parse(c.flags); err != nil {
			t.Fatal(err)
		}
		err := cfg.resolve(fs)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%v %v: error %v, want %q", c.env, c.flags, err, c.wantErr)
			}
			continue
		}
		if err != nil || cfg.MetadataTTL != c.ttl || cfg.QueryCheck != c.check {
			t.Errorf("%v %v: ttl %v check %v (%v), want %v %v", c.env, c.flags, cfg.MetadataTTL, cfg.QueryCheck, err, c.ttl, c.check)
		}
	}
}

// TestStdioAgentQueriesData plays an agent answering "sales by region last
// quarter" over a real pipe: discover the data source, read its fields,
// correct a wrong caption from the server's suggestion, and query; on the
// demo site, and through the in-process Scalekit.
func TestStdioAgentQueriesData(t *testing.T) {
	for _, mode := range []struct{ name, env string }{{"demo", ""}, {"via scalekit", "TABLEAU_MCP_DEMO_VIA_SCALEKIT=true"}} {
		t.Run(mode.name, func(t *testing.T) {
			var extra []string
			if mode.env != "" {
				extra = append(extra, mode.env)
			}
			c, err := client.NewStdioMCPClient(binary, cleanEnv(extra...))
			if err != nil {
				t.Fatal(err)
			}
			s := Start(t, c)
			dss := List(s.OK("tableau_datasources_list", map[string]any{"filter": "name:eq:Superstore Orders"}), "datasources", "datasource")
			if len(dss) != 1 {
				t.Fatalf("%d data sources", len(dss))
			}
			id := dss[0]["id"].(string)
			md := s.OK("tableau_datasource_metadata_get", map[string]any{"datasource_luid": id})
			captions := map[string]string{}
			for _, f := range List(md, "fields") {
				captions[f["caption"].(string)] = f["role"].(string)
			}
			if captions["Sales"] != "MEASURE" || captions["Region"] != "DIMENSION" || captions["Order Date"] != "DIMENSION" {
				t.Fatalf("metadata fields %v", captions)
			}
			lastQuarter := []any{map[string]any{"field": map[string]any{"fieldCaption": "Order Date"}, "filterType": "DATE",
				"periodType": "QUARTERS", "dateRangeType": "LAST", "anchorDate": "2026-10-31"}}
			s.Fail("tableau_query_view", map[string]any{"datasource_luid": id,
				"fields":  []any{map[string]any{"fieldCaption": "region"}, map[string]any{"fieldCaption": "Sales", "function": "SUM"}},
				"filters": lastQuarter}, "no field 'region'; did you mean 'Region'?")
			ans := s.OK("tableau_query_view", map[string]any{"datasource_luid": id,
				"fields":  []any{map[string]any{"fieldCaption": "Region"}, map[string]any{"fieldCaption": "Sales", "function": "SUM"}},
				"filters": lastQuarter,
				"sort":    `[{"fieldCaption":"Sales","sortDirection":"DESC"}]`})
			rows := List(ans, "rows")
			if len(rows) != 4 || ans["truncated"] != false {
				t.Fatalf("answer %v", ans)
			}
			prev := -1.0
			for i, r := range rows {
				v, ok := r["SUM(Sales)"].(float64)
				if !ok || v <= 0 || (i > 0 && v > prev) {
					t.Errorf("row %d %v: SUM(Sales) missing or out of order", i, r)
				}
				prev = v
			}
		})
	}
}

// TestStdioExportsWithTheBuiltBinary fetches an image, a PDF and a
// download over a real stdio pipe, and reads a resource template.
func TestStdioExportsWithTheBuiltBinary(t *testing.T) {
	dir := t.TempDir()
	c, err := client.NewStdioMCPClient(binary, cleanEnv("TABLEAU_MCP_EXPORT_DIR="+dir))
	if err != nil {
		t.Fatal(err)
	}
	s := Start(t, c)
	views := List(s.OK("tableau_views_list", map[string]any{"filter": "name:eq:Sales by Region"}), "views", "view")
	if len(views) != 1 {
		t.Fatalf("%d views named Sales by Region", len(views))
	}
	viewID := views[0]["id"].(string)

	res := s.Call("tableau_view_image_get", map[string]any{"view_id": viewID, "viz_width": 640, "viz_height": 480})
	var img []byte
	for _, x := range res.Content {
		if ic, ok := x.(mcp.ImageContent); ok {
			img, _ = base64.StdEncoding.DecodeString(ic.Data)
		}
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width != 640 || cfg.Height != 480 {
		t.Fatalf("image over stdio: %v %+v (%s)", err, cfg, Text(res))
	}

	res = s.Call("tableau_view_pdf_get", map[string]any{"view_id": viewID, "type": "letter"})
	var pdf []byte
	for _, x := range res.Content {
		if er, ok := x.(mcp.EmbeddedResource); ok {
			if b, ok := er.Resource.(mcp.BlobResourceContents); ok && b.MIMEType == "application/pdf" {
				pdf, _ = base64.StdEncoding.DecodeString(b.Blob)
			}
		}
	}
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf, []byte("%%EOF")) || len(pages) != 1 {
		t.Fatalf("PDF over stdio: %d bytes, %d pages (%s)", len(pdf), len(pages), Text(res))
	}

	wbs := List(s.OK("tableau_workbook_search", map[string]any{"name": "Superstore Sales"}), "workbooks", "workbook")
	res = s.Call("tableau_workbook_download", map[string]any{"workbook_id": wbs[0]["id"]})
	path := filepath.Join(dir, "Superstore Sales.twbx")
	if res.IsError || !strings.Contains(Text(res), path) {
		t.Fatalf("download: %s", Text(res))
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("downloaded file: %v", err)
	}
	zr.Close()

	lt, err := c.ListResourceTemplates(context.Background(), mcp.ListResourceTemplatesRequest{})
	if err != nil || len(lt.ResourceTemplates) < 6 {
		t.Fatalf("resource templates: %v %v", lt, err)
	}
	req := mcp.ReadResourceRequest{}
	req.Params.URI = "tableau://views/" + viewID + "/data"
	rr, err := c.ReadResource(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := rr.Contents[0].(mcp.TextResourceContents); !ok || !strings.HasPrefix(tr.Text, "Region,Sales\n") {
		t.Errorf("data resource over stdio: %+v", rr.Contents)
	}
}

func TestExportSettings(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
		err  string
	}{
		{nil, "20971520 3932160 50000", ""},
		{map[string]string{"TABLEAU_MCP_MAX_INLINE_BYTES": "5MB", "TABLEAU_MCP_MAX_IMAGE_BYTES": "512KiB", "TABLEAU_MCP_MAX_CSV_CHARS": "1000"}, "5000000 524288 1000", ""},
		{map[string]string{"TABLEAU_MCP_MAX_INLINE_BYTES": "lots"}, "", "TABLEAU_MCP_MAX_INLINE_BYTES"},
		{map[string]string{"TABLEAU_MCP_MAX_CSV_CHARS": "-3"}, "", "TABLEAU_MCP_MAX_CSV_CHARS"},
	} {
		setEnv(t, c.env)
		for _, k := range []string{"TABLEAU_MCP_MAX_INLINE_BYTES", "TABLEAU_MCP_MAX_IMAGE_BYTES", "TABLEAU_MCP_MAX_CSV_CHARS", "TABLEAU_MCP_EXPORT_DIR"} {
			if _, ok := c.env[k]; !ok {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
		fs := flagSet()
		var cfg config
		cfg.define(fs)
		if err := fs.Parse([]string{"--export-dir", "out"}); err != nil {
			t.Fatal(err)
		}
		cfg.resolve(fs)
		o, err := cfg.exports()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want one naming %s", c.env, err, c.err)
			}
			continue
		}
		got := strings.Join([]string{itoa64(o.MaxInlineBytes), itoa64(o.MaxImageBytes), itoa64(int64(o.MaxCSVChars))}, " ")
		if err != nil || got != c.want || !filepath.IsAbs(o.Dir) || filepath.Base(o.Dir) != "out" {
			t.Errorf("%v: %s %q %v, want %s and an absolute export dir", c.env, got, o.Dir, err, c.want)
		}
	}
}
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestSessionSecretMustBeLong(t *testing.T) {
	setEnv(t, nil)
	var out, errb bytes.Buffer
	err := run([]string{"--session-secret", "too-short", "tools"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "TABLEAU_MCP_SESSION_SECRET") || strings.Contains(err.Error(), "too-short") {
		t.Errorf("a short session secret: %v", err)
	}
	if err := run([]string{"--session-secret", strings.Repeat("x", 32), "tools"}, nil, &out, &errb); err != nil {
		t.Errorf("a 32-character session secret: %v", err)
	}
	if err := run([]string{"--peers", "tableau-mcp-peers", "tools"}, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "host:port") {
		t.Errorf("--peers without a port: %v", err)
	}
}

func TestImportDirSetting(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		env  string
		err  string
	}{
		{args: []string{"--import-dir", dir}},
		{env: dir},
		{args: []string{"--import-dir", filepath.Join(dir, "missing")}, err: "TABLEAU_MCP_IMPORT_DIR"},
		{},
	} {
		t.Setenv("TABLEAU_MCP_IMPORT_DIR", c.env)
		fs := flagSet()
		var cfg config
		cfg.define(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg.resolve(fs)
		o, err := cfg.exports()
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want one naming %s", c.args, err, c.err)
			}
		case err != nil:
			t.Errorf("%v %q: %v", c.args, c.env, err)
		case len(c.args) == 0 && c.env == "" && o.ImportDir != "":
			t.Errorf("import dir %q when none was set", o.ImportDir)
		case (len(c.args) > 0 || c.env != "") && o.ImportDir != dir:
			t.Errorf("%v %q: import dir %q, want %q", c.args, c.env, o.ImportDir, dir)
		}
	}
}
