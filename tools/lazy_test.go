package tools_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/demo"
	"github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// inFreshProcess runs the calling test again, alone, in a new process of
// this test binary (every other test here builds the catalogue) and
// reports whether the caller is that process.
func inFreshProcess(t *testing.T) bool {
	const env = "TABLEAU_MCP_TEST_FRESH_PROCESS"
	if os.Getenv(env) == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a fresh process: %v\n%s", err, out)
	}
	return false
}

// TestToolsListBuildsNoImplementation: a new server process starts, lists
// its tools, resource templates and prompts from the tools' metadata
// alone; the first call builds the implementations, once, and works.
func TestToolsListBuildsNoImplementation(t *testing.T) {
	if !inFreshProcess(t) {
		return
	}
	if n := tools.CatalogueBuilds(); n != 0 {
		t.Fatalf("package initialisation built the tools' implementations %d times", n)
	}
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(server.Options{Backend: b, Tools: list})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	sess := mcptest.Start(t, c)
	ctx := context.Background()
	listed, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed.Tools) != len(list) || len(list) < 50 {
		t.Fatalf("tools/list: %d tools, %d served", len(listed.Tools), len(list))
	}
	if _, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := tools.CatalogueBuilds(); n != 0 {
		t.Fatalf("start-up and the lists built the tools' implementations (%d times)", n)
	}
	// The first calls come at once: the implementations are built once,
	// and every call waits for them.
	var wg sync.WaitGroup
	for _, name := range []string{"tableau_session_get", "tableau_site_get", "tableau_projects_list", "tableau_views_list"} {
		wg.Go(func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = name
			res, err := c.CallTool(ctx, req)
			if err != nil {
				t.Errorf("%s: %v", name, err)
			} else if res.IsError {
				t.Errorf("%s: %s", name, mcptest.Text(res))
			}
		})
	}
	wg.Wait()
	wb := sess.OK("tableau_workbooks_list", nil)
	if items, _ := wb["workbooks"].([]any); len(items) == 0 {
		t.Fatalf("tableau_workbooks_list: no workbooks in %v", wb)
	}
	sess.Fail("tableau_workbook_get", map[string]any{"workbook_id": "nope"}, "workbook_id")
	if n := tools.CatalogueBuilds(); n != 1 {
		t.Fatalf("the first calls built the implementations %d times, want once", n)
	}
}
