package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// gated holds calls of one tool until released or their context ends.
type gated struct {
	backend.Backend
	tool    string
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Invoke(ctx context.Context, call backend.Call) (json.RawMessage, error) {
	if call.Tool == g.tool {
		g.entered <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Backend.Invoke(ctx, call)
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// When stdin closes while a call runs, the call finishes and its answer is
// written before ServeStdio returns (`printf ... | tableau-mcp`).
func TestStdioAnswersTheCallsInFlightWhenInputCloses(t *testing.T) {
	for name, end := range map[string]string{"newline": "\n", "no final newline": ""} {
		t.Run(name, func(t *testing.T) { stdioDrain(t, end) })
	}
}

func stdioDrain(t *testing.T, end string) {
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &gated{Backend: b, tool: "tableau_workbooks_list", entered: make(chan struct{}, 1), release: make(chan struct{})}
	draining := make(chan struct{})
	var once sync.Once
	// zap.Hooks runs only for enabled entries: use a core that enables all.
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zap.DebugLevel), zap.Hooks(func(e zapcore.Entry) error {
		if strings.HasPrefix(e.Message, "input closed") {
			once.Do(func() { close(draining) })
		}
		return nil
	}))
	s, err := server.New(server.Options{Version: "test", Backend: g, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	out := &syncBuf{}
	done := make(chan error, 1)
	go func() { done <- server.ServeStdio(context.Background(), s, pr, out, "", log) }()
	io.WriteString(pw, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`+"\n")
	io.WriteString(pw, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	io.WriteString(pw, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{"page_size":1}}}`+end)
	pw.Close()
	select {
	case <-draining:
		<-g.entered
		close(g.release)
	case err := <-done:
		done <- err
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var answer string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, `"id":2`) {
			answer = line
		}
	}
	if answer == "" || strings.Contains(answer, "context canceled") || strings.Contains(answer, `"isError":true`) || !strings.Contains(answer, "workbooks") {
		t.Errorf("the call in flight when stdin closed was answered %q", answer)
	}
}

// runStdio feeds lines to a stdio server and returns what it wrote.
func runStdio(t *testing.T, opts server.Options, lines ...string) string {
	t.Helper()
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuf{}
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	if err := server.ServeStdio(context.Background(), s, in, out, "", zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func answerTo(out, id string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"id":`+id+`,`) || strings.HasSuffix(line, `"id":`+id+`}`) {
			return line
		}
	}
	return ""
}

// A client known not to ask the user (initialized without elicitation) is
// served under --allow-destructive. (A session never initialized is refused
// whatever the switch: see the stdio test of the built binary.)
func TestAllowDestructiveServesAClientKnownNotToAsk(t *testing.T) {
	b, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	wb := List(inProcess(t, server.Options{Backend: b}).OK("tableau_workbooks_list", nil), "workbooks", "workbook")[0]["id"].(string)
	out := runStdio(t, server.Options{Version: "test", Backend: b, AllowDestructive: true},
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"tableau_workbook_delete","arguments":{"workbook_id":"`+wb+`"}}}`)
	if a := answerTo(out, "8"); strings.Contains(a, `"isError":true`) || a == "" {
		t.Errorf("a delete by a client known not to elicit, under --allow-destructive: %s", a)
	}
	inProcess(t, server.Options{Backend: b}).Fail("tableau_workbook_get", map[string]any{"workbook_id": wb}, "not be found")
}
