package server

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// A tools/list answer is some fifty tool definitions, 39 KB of JSON.
// mcp-go encodes it through a map per tool, then the whole answer again,
// then copies it once more to add the newline: some 400 KB allocated for
// one list, enough in a new stdio process to start its first garbage
// collection before the answer is out. Here the transport's writer encodes
// the definitions itself, the way mcp-go encodes them, straight into what
// it sends: through a 4 KB buffer to stdout, into the one buffer of the
// answer (allocated at its size) over HTTP.
//
// Which tools a caller sees does not change: mcp-go's tool filter (the
// selection and the caller's grant) and its pagination choose them as
// before, and only then does the hook below swap the chosen definitions
// for one stand-in whose name is a marker of the transport's answers table
// (answers.go), which holds the chosen tools. The writer replaces the
// stand-in's whole object by their definitions. Where no transport offers
// an answers table (an in-process client), mcp-go encodes the list itself.

// standIn is the tool that holds a list's place: mcp-go encodes it as
// standInPrefix, its name (the marker) and a closing brace.
func standIn(marker string) mcp.Tool {
	return mcp.Tool{Name: marker, RawInputSchema: json.RawMessage(`{}`)}
}

const standInPrefix = `{"annotations":{},"inputSchema":{},"name":`

// toolsListSplices reports whether mcp-go encodes the stand-in as splice
// expects (checked once, on the first list): if a version of mcp-go
// encoded it otherwise, lists are left to mcp-go.
var toolsListSplices = sync.OnceValue(func() bool {
	marker := markerKey + "0"
	b, err := json.Marshal(standIn(marker))
	return err == nil && string(b) == standInPrefix+`"`+marker+`"}`
})

// standInAround finds the stand-in object around the marker at p[i:i+size]
// (its quoted name): it spans p[start:end].
func standInAround(p []byte, i, size int) (start, end int, ok bool) {
	start, end = i-len(standInPrefix), i+size+1
	if start < 0 || end > len(p) || string(p[start:i]) != standInPrefix || p[end-1] != '}' {
		return 0, 0, false
	}
	return start, end, true
}

// holdToolsList is the server's AfterListTools hook: it swaps the tools of
// res (as mcp-go chose them for this caller) for a stand-in and holds them
// in the answers table of ctx. Without a table, or when a definition is one
// encodeTool cannot write, res is left as it is.
func holdToolsList(ctx context.Context, _ any, _ *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
	a, _ := ctx.Value(answersKey{}).(*answers)
	if a == nil || res == nil || len(res.Tools) == 0 || !toolsListSplices() {
		return
	}
	for i := range res.Tools {
		// Checked here so that writing the list cannot fail halfway.
		if t := &res.Tools[i]; !simpleTool(t) || !json.Valid(t.RawInputSchema) {
			return
		}
	}
	marker, ok := a.putTools(res.Tools)
	if !ok {
		return
	}
	res.Tools = []mcp.Tool{standIn(marker)}
}

// encodedSize is what encodeTool writes for t (more, when its schema is
// not compact), so that the buffer of a whole list is allocated once, at
// its size: a large allocation is rounded up to 8 KB pages only.
func encodedSize(t *mcp.Tool) int {
	n := len(`{"annotations":{},"inputSchema":,"name":}`) + stringLen(t.Name) + schemaLen(t.RawInputSchema)
	if t.Description != "" {
		n += len(`,"description":`) + stringLen(t.Description)
	}
	if t.Title != "" {
		n += len(`,"title":`) + stringLen(t.Title)
	}
	a := t.Annotations
	fields := 0
	if a.Title != "" {
		n += len(`"title":`) + stringLen(a.Title)
		fields++
	}
	for _, h := range []struct {
		key string
		v   *bool
	}{{`"readOnlyHint":`, a.ReadOnlyHint}, {`"destructiveHint":`, a.DestructiveHint}, {`"idempotentHint":`, a.IdempotentHint}, {`"openWorldHint":`, a.OpenWorldHint}} {
		if h.v != nil {
			n += len(h.key) + len("false")
			if *h.v {
				n--
			}
			fields++
		}
	}
	if fields > 1 {
		n += fields - 1 // commas
	}
	return n
}

// stringLen is the length of s encoded by encoding/json as a string, HTML
// escaping on: printable ASCII but " \\ < > & as it is, " and \\ and the
// control characters with a short escape (\\n) in two bytes, other control
// characters, < > & U+2028 U+2029 and each byte of invalid UTF-8 in six
// (\\u003c, \\ufffd).
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}

// schemaLen is at least the length of schema compacted by encoding/json,
// HTML escaping on: its length with the escapes of < > & U+2028 U+2029
// (exactly, when schema is compact, as the recorded schemas are).
func schemaLen(schema json.RawMessage) int {
	n := len(schema)
	for i, c := range schema {
		switch {
		case c == '<' || c == '>' || c == '&':
			n += 5
		case c == 0xe2 && i+2 < len(schema) && schema[i+1] == 0x80 && (schema[i+2] == 0xa8 || schema[i+2] == 0xa9):
			n += 3
		}
	}
	return n
}

// simpleTool reports whether t uses only what encodeTool writes: a name,
// title, description, raw input schema and annotations (ours do; a list
// with another tool is left to mcp-go).
func simpleTool(t *mcp.Tool) bool {
	return t.RawInputSchema != nil && t.InputSchema.Type == "" && t.RawOutputSchema == nil && t.OutputSchema.Type == "" &&
		!t.DeferLoading && t.Meta == nil && t.Icons == nil && t.Execution == nil
}

// encodeTool writes t to w as mcp-go writes it in a tools/list answer:
// its MarshalJSON encodes a map (keys in sorted order) and encoding/json
// compacts that, escaping HTML; the values are written here by enc, an
// encoding/json Encoder writing to w (through a newlineDropper), so they
// are escaped alike. t must be a simpleTool. toolslist_test.go compares
// the bytes with json.Marshal's.
func encodeTool(w io.StringWriter, enc *json.Encoder, t *mcp.Tool) error {
	var err error
	value := func(key string, v any) {
		if err == nil {
			_, err = w.WriteString(key)
		}
		if err == nil {
			err = enc.Encode(v)
		}
	}
	value(`{"annotations":`, &t.Annotations)
	if t.Description != "" {
		value(`,"description":`, t.Description)
	}
	value(`,"inputSchema":`, t.RawInputSchema)
	value(`,"name":`, t.Name)
	if t.Title != "" {
		value(`,"title":`, t.Title)
	}
	if err == nil {
		_, err = w.WriteString("}")
	}
	return err
}
