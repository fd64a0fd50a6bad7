package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/demo"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

const listBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

// mcpGoList is the tools/list answer as mcp-go writes it when it encodes
// the whole answer itself (no answers table in ctx): the bytes every
// transport must send for the same caller.
func mcpGoList(t testing.TB, s *mcpserver.MCPServer, ctx context.Context, body string) []byte {
	t.Helper()
	b, err := json.Marshal(s.HandleMessage(ctx, json.RawMessage(body)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// viaTable is the same answer put together from the encoded definitions,
// as a transport does it.
func viaTable(t testing.TB, s *mcpserver.MCPServer, ctx context.Context, body string) []byte {
	t.Helper()
	a := newAnswers(maxHeldPerRequest)
	b, err := json.Marshal(s.HandleMessage(withAnswers(ctx, a), json.RawMessage(body)))
	if err != nil {
		t.Fatal(err)
	}
	if a.n.Load() != 1 {
		t.Fatalf("the list was not held (%d entries): %.300s", a.n.Load(), b)
	}
	out, ok := a.splice(nil, b)
	if !ok || a.n.Load() != 0 {
		t.Fatalf("the held list was not put back (%v, %d left)", ok, a.n.Load())
	}
	return out
}

func selected(t testing.TB, sel tools.Selection) []tools.Tool {
	t.Helper()
	list, err := tools.Select(tools.All(), sel)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func listServer(t testing.TB, list []tools.Tool) *mcpserver.MCPServer {
	t.Helper()
	be, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Version: "test", Backend: be, Tools: list})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var listSelections = map[string]tools.Selection{
	"default":     {},
	"all":         {Toolsets: []string{"all"}},
	"read-only":   {Toolsets: []string{"all"}, ReadOnly: true},
	"one toolset": {Toolsets: []string{"workbooks"}},
	"one tool":    {Toolsets: []string{"workbooks"}, Exclude: workbooksBut("tableau_workbooks_list")},
	"excluding":   {Toolsets: []string{"all"}, Exclude: []string{"tableau_workbooks_list", "tableau_query_view"}},
}

// workbooksBut names the tools of the workbooks toolset other than keep.
func workbooksBut(keep string) []string {
	var out []string
	for _, t := range tools.All() {
		if t.Toolset == "workbooks" && t.Name != keep {
			out = append(out, t.Name)
		}
	}
	return out
}

// For every selection and caller, the list put together from encoded
// definitions is byte for byte mcp-go's own encoding of the tools its
// filter chose: the same tools (none the selection or the caller's grant
// hides), the same order, the same bytes; listing again gives them again.
func TestToolsListFromEncodedDefinitionsIsMCPGosEncoding(t *testing.T) {
	callers := map[string]context.Context{
		"no grant":          context.Background(),
		"read scope only":   auth.WithGrant(context.Background(), auth.Grant{Scoped: true, Scopes: []string{ScopeFor(tools.Read)}}),
		"write scope only":  auth.WithGrant(context.Background(), auth.Grant{Scoped: true, Scopes: []string{ScopeFor(tools.Write)}}),
		"no tableau scopes": auth.WithGrant(context.Background(), auth.Grant{Scoped: true, Scopes: []string{"openid"}}),
	}
	for name, sel := range listSelections {
		t.Run(name, func(t *testing.T) {
			s := listServer(t, selected(t, sel))
			for who, ctx := range callers {
				want := mcpGoList(t, s, ctx, listBody)
				if !bytes.Contains(want, []byte(`"tools":[`)) {
					t.Fatalf("%s: unexpected answer %.300s", who, want)
				}
				if bytes.Contains(want, []byte(`"tools":[]`)) {
					// Nothing to hold: mcp-go writes the empty list itself.
					continue
				}
				for range 2 {
					if got := viaTable(t, s, ctx, listBody); !bytes.Equal(got, want) {
						t.Fatalf("%s: written:\n%s\nmcp-go writes:\n%s", who, got, want)
					}
				}
			}
		})
	}
}

// A cursor pages the list as mcp-go pages it.
func TestToolsListAfterACursorIsMCPGosEncoding(t *testing.T) {
	s := listServer(t, selected(t, tools.Selection{Toolsets: []string{"all"}}))
	body := `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"dGFibGVhdV9ncm91cHNfbGlzdA=="}}` // tableau_groups_list
	want := mcpGoList(t, s, context.Background(), body)
	if bytes.Contains(want, []byte(`"name":"tableau_datasources_list"`)) || !bytes.Contains(want, []byte(`"name":"tableau_workbooks_list"`)) {
		t.Fatalf("the cursor did not page the list: %.300s", want)
	}
	if got := viaTable(t, s, context.Background(), body); !bytes.Equal(got, want) {
		t.Fatalf("written:\n%s\nmcp-go writes:\n%s", got, want)
	}
}

// A definition registered again under the same name after a list is shown
// as it is now.
func TestToolsListShowsADefinitionChangedSinceItWasEncoded(t *testing.T) {
	list := selected(t, listSelections["one tool"])
	s := listServer(t, list)
	viaTable(t, s, context.Background(), listBody)
	def, err := list[0].MCP()
	if err != nil {
		t.Fatal(err)
	}
	def.Description = "Changed <since> the first list & \"quoted\"."
	s.AddTool(def, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil })
	want := mcpGoList(t, s, context.Background(), listBody)
	if !bytes.Contains(want, []byte(`Changed \u003csince\u003e`)) {
		t.Fatalf("mcp-go does not list the new definition: %.300s", want)
	}
	if got := viaTable(t, s, context.Background(), listBody); !bytes.Equal(got, want) {
		t.Fatalf("written:\n%s\nmcp-go writes:\n%s", got, want)
	}
}

// encodeTool writes what json.Marshal writes for the same definition, and
// encodedSize says how long that is.
func TestEncodeToolIsMCPGosEncoding(t *testing.T) {
	yes, no := mcp.ToBoolPtr(true), mcp.ToBoolPtr(false)
	schema := json.RawMessage("{\n  \"type\": \"object\",\n  \"properties\": {\"a\": {\"type\": \"string\", \"description\": \"<b>&amp;</b> \u2028\"}}\n}")
	compact := json.RawMessage(`{"type":"object","properties":{"a":{"description":"<b>&amp;</b> \u2028\u2029"}}}`)
	cases := map[string]mcp.Tool{
		"plain":          {Name: "t", Description: "Lists things.", RawInputSchema: json.RawMessage(`{"type":"object"}`)},
		"no description": {Name: "t", RawInputSchema: json.RawMessage(`{}`)},
		"escapes":        {Name: "t<>&", Description: "a \"b\" \\ <c> & d\u2028e\u2029f\x00\t\n \xff\xfe end", RawInputSchema: compact},
		"loose schema":   {Name: "t", Description: "d", RawInputSchema: schema},
		"title":          {Name: "t", Title: "A <title>", Description: "d", RawInputSchema: compact},
		"all hints":      {Name: "t", RawInputSchema: compact, Annotations: mcp.ToolAnnotation{Title: "Delete & go", ReadOnlyHint: no, DestructiveHint: yes, IdempotentHint: no, OpenWorldHint: yes}},
	}
	for name, tool := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(tool)
			if err != nil {
				t.Fatal(err)
			}
			var buf spliceBuf
			if err := encodeTool(&buf, json.NewEncoder(newlineDropper{&buf}), &tool); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.b, want) {
				t.Fatalf("encoded:\n%s\njson.Marshal:\n%s", buf.b, want)
			}
			n := encodedSize(&tool)
			if name == "loose schema" && n < len(want) || name != "loose schema" && n != len(want) {
				t.Errorf("encodedSize %d for %d bytes", n, len(want))
			}
		})
	}
}

// A list with a definition encodeTool does not write (one with _meta,
// icons, an output schema or a structured input schema) is left to mcp-go.
func TestToolsListWithOtherDefinitionsIsLeftToMCPGo(t *testing.T) {
	schema := json.RawMessage(`{"type":"object"}`)
	others := map[string]mcp.Tool{
		"meta":          {Name: "tableau_workbooks_list", RawInputSchema: schema, Meta: mcp.NewMetaFromMap(map[string]any{"k": "<v>"})},
		"icons":         {Name: "tableau_workbooks_list", RawInputSchema: schema, Icons: []mcp.Icon{{Src: "https://example.com/i.png"}}},
		"output schema": {Name: "tableau_workbooks_list", RawInputSchema: schema, RawOutputSchema: schema},
	}
	for name, def := range others {
		t.Run(name, func(t *testing.T) {
			s := listServer(t, selected(t, listSelections["one toolset"]))
			s.AddTool(def, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) { return nil, nil })
			a := newAnswers(maxHeldPerRequest)
			b, err := json.Marshal(s.HandleMessage(withAnswers(context.Background(), a), json.RawMessage(listBody)))
			if err != nil {
				t.Fatal(err)
			}
			if a.n.Load() != 0 {
				t.Fatalf("the list was held: %.300s", b)
			}
			if want := mcpGoList(t, s, context.Background(), listBody); !bytes.Equal(b, want) {
				t.Fatalf("written:\n%s\nmcp-go writes:\n%s", b, want)
			}
		})
	}
}

func FuzzEncodeTool(f *testing.F) {
	f.Add("tableau_x", "Lists <things> & \"more\".", "Title")
	f.Add("n", "\u2028\xff\x00", "")
	f.Add("\b\f\x7f\u2029", "\xe2\x80", "\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, name, description, title string) {
		tool := mcp.Tool{Name: name, Description: description, Title: title, RawInputSchema: json.RawMessage(`{"type":"object"}`),
			Annotations: mcp.ToolAnnotation{Title: title, ReadOnlyHint: mcp.ToBoolPtr(true)}}
		want, err := json.Marshal(tool)
		if err != nil {
			t.Fatal(err)
		}
		var buf spliceBuf
		if err := encodeTool(&buf, json.NewEncoder(newlineDropper{&buf}), &tool); err != nil || !bytes.Equal(buf.b, want) {
			t.Fatalf("encoded (%v):\n%q\njson.Marshal:\n%q", err, buf.b, want)
		}
		if n := encodedSize(&tool); n != len(want) {
			t.Fatalf("encodedSize %d, %d bytes written", n, len(want))
		}
	})
}

// Over stdio, streamable HTTP and SSE, a client receives mcp-go's own
// encoding of the list, for every selection.
func TestToolsListOnTheWireIsMCPGosEncoding(t *testing.T) {
	for name, sel := range listSelections {
		t.Run(name, func(t *testing.T) {
			s := listServer(t, selected(t, sel))
			want := string(mcpGoList(t, s, context.Background(), listBody))

			in := strings.NewReader(initBody + "\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + listBody + "\n" + listBody + "\n")
			var out bytes.Buffer
			if err := ServeStdio(context.Background(), s, in, &out, "", zap.NewNop()); err != nil {
				t.Fatal(err)
			}
			answers := 0
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, `{"jsonrpc":"2.0","id":2,`) {
					answers++
					if line != want {
						t.Errorf("stdio answer:\n%s\nwant:\n%s", line, want)
					}
				}
			}
			if answers != 2 {
				t.Errorf("stdio: %d answers to two lists:\n%s", answers, out.String())
			}

			h := newHTTPHandler(s, HTTPOptions{Transport: "http", NoAuth: true})
			rec := mcpPost(h, openSession(t, h), listBody)
			if rec.Code != http.StatusOK || rec.Body.String() != want+"\n" {
				t.Errorf("streamable HTTP answer (%d):\n%s\nwant:\n%s", rec.Code, rec.Body, want)
			}
		})
	}
}

// BenchmarkToolsListHTTP lists the default tools over streamable HTTP, one
// session.
func BenchmarkToolsListHTTP(b *testing.B) {
	s := listServer(b, nil)
	h := newHTTPHandler(s, HTTPOptions{Transport: "http", NoAuth: true})
	sid := openSession(b, h)
	b.ReportAllocs()
	for b.Loop() {
		if rec := mcpPost(h, sid, listBody); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
