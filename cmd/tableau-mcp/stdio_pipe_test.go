package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// pipe runs the built binary with lines on stdin, as `printf ... |
// tableau-mcp` does, and returns each answer by its JSON-RPC id.
func pipe(t *testing.T, args []string, env []string, lines ...string) map[string]map[string]any {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv(env...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	answers := map[string]map[string]any{}
	for _, line := range strings.Split(string(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["id"] != nil {
			b, _ := json.Marshal(m["id"])
			answers[string(b)] = m
		}
	}
	return answers
}

func resultText(m map[string]any) (string, bool) {
	res, _ := m["result"].(map[string]any)
	isErr, _ := res["isError"].(bool)
	var b strings.Builder
	content, _ := res["content"].([]any)
	for _, c := range content {
		if cm, ok := c.(map[string]any); ok {
			s, _ := cm["text"].(string)
			b.WriteString(s)
		}
	}
	return b.String(), isErr
}

const pipeInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"printf","version":"1"}}}`

// Piped input is answered in full before the process exits, and one stdio
// user is not held to the sidecar's per-identity limits by default.
func TestPipedCallsAreAnsweredAndStdioHasNoDefaultLimits(t *testing.T) {
	lines := []string{pipeInit, `{"jsonrpc":"2.0","method":"notifications/initialized"}`}
	for i := 0; i < 130; i++ {
		lines = append(lines, `{"jsonrpc":"2.0","id":`+itoa(100+i)+`,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{"page_size":1}}}`)
	}
	answers := pipe(t, nil, []string{"TABLEAU_MCP_MAX_CONCURRENT_CALLS=", "TABLEAU_MCP_MAX_CALLS_PER_MINUTE="}, lines...)
	for i := 0; i < 130; i++ {
		a, ok := answers[itoa(100+i)]
		if !ok {
			t.Errorf("call %d: no answer", 100+i)
			continue
		}
		if text, isErr := resultText(a); isErr || !strings.Contains(text, "workbooks") {
			t.Errorf("call %d answered %q", 100+i, text)
		}
	}
	// Set explicitly, a limit applies on stdio too.
	answers = pipe(t, []string{"--max-calls-per-minute", "2"}, nil, lines...)
	refused := 0
	for i := 0; i < 130; i++ {
		if text, isErr := resultText(answers[itoa(100+i)]); isErr && strings.Contains(text, "rate limit") {
			refused++
		}
	}
	if refused != 128 {
		t.Errorf("%d of 130 calls refused with --max-calls-per-minute 2, want 128", refused)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A destructive call on a session the server never saw initialized is
// refused even with --allow-destructive: the server cannot know whether the
// client could have asked the user.
func TestDestructiveCallWithoutInitializeFailsClosed(t *testing.T) {
	list := pipe(t, nil, nil, pipeInit, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{"page_size":1}}}`)
	text, _ := resultText(list["2"])
	var doc struct {
		Workbooks []struct{ ID string } `json:"workbooks"`
	}
	if json.Unmarshal([]byte(text), &doc) != nil || len(doc.Workbooks) == 0 {
		t.Fatalf("workbooks: %s", text)
	}
	wb := doc.Workbooks[0].ID
	answers := pipe(t, []string{"--allow-destructive"}, nil,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"tableau_workbook_delete","arguments":{"workbook_id":"`+wb+`"}}}`)
	text, isErr := resultText(answers["3"])
	if !isErr || !strings.Contains(text, "does not know whether the client can ask") {
		t.Errorf("a delete without initialize, under --allow-destructive: %q", text)
	}
}
