package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

func inProcess(t *testing.T, opts server.Options, copts ...client.ClientOption) *Session {
	t.Helper()
	if opts.Backend == nil {
		b, _, err := demo.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		opts.Backend = b
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClientWithOptions(s, copts...)
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, c)
}

func listed(t *testing.T, s *Session) []mcp.Tool {
	t.Helper()
	lt, err := s.C.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return lt.Tools
}

func callErr(s *Session, name string, args map[string]any) error {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	_, err := s.C.CallTool(context.Background(), req)
	return err
}

func TestReadOnlyHidesAndRefusesWriteTools(t *testing.T) {
	sel, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"all"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	s := inProcess(t, server.Options{Tools: sel, AllowDestructive: true})
	got := listed(t, s)
	if len(got) != len(sel) || len(got) == 0 {
		t.Fatalf("%d tools listed, %d selected", len(got), len(sel))
	}
	for _, tool := range got {
		if tool.Annotations.ReadOnlyHint == nil || !*tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only server lists %s, which is not read-only", tool.Name)
		}
	}
	wbs := List(s.OK("tableau_workbooks_list", nil), "workbooks", "workbook")
	for _, name := range []string{"tableau_workbook_delete", "tableau_workbook_update", "tableau_project_create", "tableau_auth_signout"} {
		if err := callErr(s, name, map[string]any{"workbook_id": wbs[0]["id"]}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("calling %s on a read-only server: %v", name, err)
		}
	}
	if len(List(s.OK("tableau_workbooks_list", nil), "workbooks", "workbook")) != len(wbs) {
		t.Error("a workbook disappeared on a read-only server")
	}
}

func TestToolsetsChooseWhatIsRegistered(t *testing.T) {
	def, err := tools.Select(tools.All(), tools.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	s := inProcess(t, server.Options{Tools: def})
	var got []string
	for _, tool := range listed(t, s) {
		got = append(got, tool.Name)
	}
	slices.Sort(got)
	var want []string
	for _, tool := range def {
		want = append(want, tool.Name)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, selected %v", got, want)
	}
	if slices.Contains(got, "tableau_users_list") || !slices.Contains(got, "tableau_workbooks_list") {
		t.Errorf("default toolsets: %v", got)
	}
	if err := callErr(s, "tableau_users_list", nil); err == nil {
		t.Error("an administration tool outside the toolsets ran")
	}
	admin, _ := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"users"}})
	s = inProcess(t, server.Options{Tools: admin})
	if n := len(listed(t, s)); n != 5 {
		t.Errorf("users toolset lists %d tools, want the 5 user tools", n)
	}
	s.OK("tableau_users_list", nil)
}

type answer struct {
	action mcp.ElicitationResponseAction
	ok     bool
	mu     sync.Mutex
	asked  []string
}

func (a *answer) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	a.asked = append(a.asked, req.Params.Message)
	a.mu.Unlock()
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a.action, Content: map[string]any{"confirm": a.ok}}}, nil
}

func firstWorkbook(t *testing.T, s *Session) string {
	wbs := List(s.OK("tableau_workbooks_list", map[string]any{"sort": "name:asc"}), "workbooks", "workbook")
	if len(wbs) == 0 {
		t.Fatal("no workbooks")
	}
	return wbs[0]["id"].(string)
}

func TestDestructiveToolsAskTheUser(t *testing.T) {
	b, _, _ := demo.New(nil)
	check := func(t *testing.T, s *Session, a *answer, wantDeleted bool, wantMsg string) {
		t.Helper()
		id := firstWorkbook(t, s)
		res := s.Call("tableau_workbook_delete", map[string]any{"workbook_id": id})
		a.mu.Lock()
		asked := len(a.asked)
		a.mu.Unlock()
		if asked != 1 {
			t.Fatalf("the user was asked %d times", asked)
		}
		if wantMsg != "" && (!res.IsError || !strings.Contains(Text(res), wantMsg)) {
			t.Errorf("result %q, want an error with %q", Text(res), wantMsg)
		}
		deleted := s.Call("tableau_workbook_get", map[string]any{"workbook_id": id}).IsError
		if deleted != wantDeleted {
			t.Errorf("deleted=%v, want %v (%s)", deleted, wantDeleted, Text(res))
		}
	}
	t.Run("accepted", func(t *testing.T) {
		a := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
		check(t, inProcess(t, server.Options{Backend: b}, client.WithElicitationHandler(a)), a, true, "")
	})
	t.Run("declined", func(t *testing.T) {
		a := &answer{action: mcp.ElicitationResponseActionDecline}
		check(t, inProcess(t, server.Options{Backend: b, AllowDestructive: true}, client.WithElicitationHandler(a)), a, false, "cancelled by the user")
	})
	t.Run("cancelled", func(t *testing.T) {
		a := &answer{action: mcp.ElicitationResponseActionCancel}
		check(t, inProcess(t, server.Options{Backend: b}, client.WithElicitationHandler(a)), a, false, "cancelled by the user")
	})
	t.Run("accepted without confirming", func(t *testing.T) {
		a := &answer{action: mcp.ElicitationResponseActionAccept, ok: false}
		check(t, inProcess(t, server.Options{Backend: b}, client.WithElicitationHandler(a)), a, false, "cancelled by the user")
	})
	t.Run("over streamable HTTP", func(t *testing.T) {
		srv := serve(t, server.Options{Backend: b}, server.HTTPOptions{Auth: tokenAuth(t)})
		a := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
		s, err := srv.connect(t, "http", bearer(aliceToken), client.WithElicitationHandler(a))
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, a, true, "")
		d := &answer{action: mcp.ElicitationResponseActionDecline}
		s, err = srv.connect(t, "http", bearer(aliceToken), client.WithElicitationHandler(d))
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, d, false, "cancelled by the user")
	})
	t.Run("over streamable HTTP, earlier protocol", func(t *testing.T) {
		// Clients before 2026-07-28 get a server-initiated elicitation/create.
		srv := serve(t, server.Options{Backend: b}, server.HTTPOptions{Auth: tokenAuth(t)})
		a := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
		s, err := srv.connect(t, "http", bearer(aliceToken), client.WithElicitationHandler(a), client.WithLegacyProtocolOnly())
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, a, true, "")
	})
	t.Run("over SSE", func(t *testing.T) {
		srv := serve(t, server.Options{Backend: b}, server.HTTPOptions{Transport: "sse", Auth: tokenAuth(t)})
		a := &answer{action: mcp.ElicitationResponseActionDecline}
		s, err := srv.connect(t, "sse", bearer(aliceToken), client.WithElicitationHandler(a))
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, a, false, "cancelled by the user")
		// With the earlier protocol the SSE transport cannot send the server's
		// question, so the call is refused as for a client without elicitation.
		s, err = srv.connect(t, "sse", bearer(aliceToken), client.WithElicitationHandler(a), client.WithLegacyProtocolOnly())
		if err != nil {
			t.Fatal(err)
		}
		id := firstWorkbook(t, s)
		s.Fail("tableau_workbook_delete", map[string]any{"workbook_id": id}, "--allow-destructive")
		s.OK("tableau_workbook_get", map[string]any{"workbook_id": id})
	})
	t.Run("no elicitation", func(t *testing.T) {
		s := inProcess(t, server.Options{Backend: b})
		id := firstWorkbook(t, s)
		s.Fail("tableau_workbook_delete", map[string]any{"workbook_id": id}, "--allow-destructive", "confirmation")
		s.OK("tableau_workbook_get", map[string]any{"workbook_id": id})
		// Write tools that do not delete are not asked about.
		s.OK("tableau_workbook_update", map[string]any{"workbook_id": id, "description": "changed"})
		allowed := inProcess(t, server.Options{Backend: b, AllowDestructive: true})
		allowed.OK("tableau_workbook_delete", map[string]any{"workbook_id": id})
	})
	t.Run("forged confirmation", func(t *testing.T) {
		s := inProcess(t, server.Options{Backend: b})
		id := firstWorkbook(t, s)
		req := mcp.CallToolRequest{}
		req.Params.Name = "tableau_workbook_delete"
		req.Params.Arguments = map[string]any{"workbook_id": id}
		req.Params.RequestState = "made-up-state"
		req.Params.InputResponses = mcp.InputResponses{"confirm": mcp.NewElicitationInputResponse(mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true}}})}
		res, err := s.C.CallTool(t.Context(), req)
		if err == nil && !res.IsError {
			t.Errorf("a confirmation the server never asked for was accepted: %s", Text(res))
		}
		s.OK("tableau_workbook_get", map[string]any{"workbook_id": id})
	})
}

func TestLimitsPerIdentity(t *testing.T) {
	b := newSpy(t)
	srv := serve(t, server.Options{Backend: b, Limits: server.Limits{MaxConcurrent: 1}}, server.HTTPOptions{Auth: tokenAuth(t)})
	alice, err := srv.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := srv.connect(t, "http", bearer(bobToken))
	if err != nil {
		t.Fatal(err)
	}
	release := b.hold("tableau_workbooks_list")
	done := make(chan bool)
	go func() { done <- !alice.Call("tableau_workbooks_list", nil).IsError }()
	<-b.entered
	alice.Fail("tableau_projects_list", nil, "too many calls at once")
	bob.OK("tableau_projects_list", nil)
	release()
	if !<-done {
		t.Error("the running call failed")
	}
	alice.OK("tableau_projects_list", nil)

	srv = serve(t, server.Options{Backend: newSpy(t), Limits: server.Limits{PerMinute: 2}}, server.HTTPOptions{Auth: tokenAuth(t)})
	alice, _ = srv.connect(t, "http", bearer(aliceToken))
	bob, _ = srv.connect(t, "http", bearer(bobToken))
	alice.OK("tableau_projects_list", nil)
	alice.OK("tableau_projects_list", nil)
	alice.Fail("tableau_projects_list", nil, "rate limit", "2 tool calls per minute", "retry in")
	bob.OK("tableau_projects_list", nil)
}

func TestAccessLogHasIdentityToolOutcomeAndNoArguments(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	srv := serve(t, server.Options{Backend: newSpy(t), Logger: zap.New(core)}, server.HTTPOptions{Auth: tokenAuth(t)})
	alice, err := srv.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "Secret-Looking-Filter-Value"
	alice.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
	alice.Fail("tableau_workbook_search", map[string]any{"name": marker + ",x"}, "contains")
	var lines []map[string]any
	for _, e := range logs.FilterMessage("tool call").All() {
		lines = append(lines, e.ContextMap())
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines for 2 calls", len(lines))
	}
	for i, want := range []struct{ tool, outcome string }{{"tableau_workbooks_list", "ok"}, {"tableau_workbook_search", "error"}} {
		l := lines[i]
		if l["identity"] != "alice" || l["tool"] != want.tool || l["outcome"] != want.outcome || l["duration"] == nil {
			t.Errorf("access log line %v, want alice %s %s with a duration", l, want.tool, want.outcome)
		}
	}
	for _, e := range logs.All() {
		if strings.Contains(e.Message, marker) || strings.Contains(fmt.Sprint(e.ContextMap()), marker) {
			t.Errorf("an argument value was logged: %s %v", e.Message, e.ContextMap())
		}
	}
}

var _ backend.Backend = (*spy)(nil)
