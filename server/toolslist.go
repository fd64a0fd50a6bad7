package server

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/mark3labs/mcp-go/mcp"
)

// A tools/list answer is some fifty tool definitions, 39 KB of JSON that
// never change while the server runs. mcp-go encodes them on every call,
// each through a map of its own and then again through the whole answer
// (some 400 KB allocated for one call: in a new stdio process, enough to
// start its first garbage collection before the answer is out). Here each
// definition is encoded once, the first time a list shows it, the way
// mcp-go encodes it, and kept; a list is then put together from those
// bytes by the transports' answers table (answers.go).
//
// Which tools a caller sees does not change: mcp-go's tool filter (the
// selection and the caller's grant) and its pagination choose them as
// before, and only then does the hook below swap the chosen definitions
// for one stand-in whose name is a marker. The transport's writer replaces
// the stand-in's whole object by the chosen definitions' bytes. Where no
// transport offers an answers table (an in-process client), mcp-go
// encodes the list itself.

// standIn is the tool that holds a list's place: mcp-go encodes it as
// standInPrefix, its name (the marker) and a closing brace.
func standIn(marker string) mcp.Tool {
	return mcp.Tool{Name: marker, RawInputSchema: json.RawMessage(`{}`)}
}

const standInPrefix = `{"annotations":{},"inputSchema":{},"name":`

// toolsListSplices reports whether mcp-go encodes a tools/list answer with
// a stand-in as splice expects (checked once, on the first list): if a
// version of mcp-go encoded it otherwise, lists are left to mcp-go.
var toolsListSplices = sync.OnceValue(func() bool {
	marker := markerKey + "0"
	res := mcp.ListToolsResult{Tools: []mcp.Tool{standIn(marker)}}
	b, err := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(1)), res))
	return err == nil && bytes.Contains(b, []byte(`"tools":[`+standInPrefix+`"`+marker+`"}]`))
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

// listedTools are the definitions tools/list has shown, encoded, in the
// order of their names (mcp-go lists tools in that order).
type listedTools struct {
	mu   sync.Mutex
	done []listedTool
}

// listedTool is one definition's bytes and what they were encoded from:
// the strings and schema are the definition's own (not copies), so that
// checking a definition against them costs little more than comparing
// pointers.
type listedTool struct {
	name, title, description string
	schema                   json.RawMessage
	annotations              annotationKey
	b                        []byte
}

// annotationKey is what a tool's annotations say (each hint unset, false
// or true).
type annotationKey struct {
	title string
	hints uint8
}

func annotationsOf(a mcp.ToolAnnotation) annotationKey {
	var h uint8
	for i, p := range []*bool{a.ReadOnlyHint, a.DestructiveHint, a.IdempotentHint, a.OpenWorldHint} {
		if p != nil {
			v := uint8(1)
			if *p {
				v = 2
			}
			h |= v << (2 * i)
		}
	}
	return annotationKey{a.Title, h}
}

// hold is the server's AfterListTools hook: it swaps the tools of res (as
// mcp-go chose them for this caller) for a stand-in, and holds their
// encoded definitions in the answers table of ctx. Without a table, or when
// a definition cannot be encoded, res is left as it is.
func (l *listedTools) hold(ctx context.Context, _ any, _ *mcp.ListToolsRequest, res *mcp.ListToolsResult) {
	a, _ := ctx.Value(answersKey{}).(*answers)
	if a == nil || res == nil || len(res.Tools) == 0 || !toolsListSplices() {
		return
	}
	objs, ok := l.encoded(res.Tools)
	if !ok {
		return
	}
	marker, ok := a.putRaw(objs)
	if !ok {
		return
	}
	res.Tools = []mcp.Tool{standIn(marker)}
}

// encoded returns the bytes of each of ts, encoding the ones not seen yet
// (or changed since) into one buffer.
func (l *listedTools) encoded(ts []mcp.Tool) ([][]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	objs := make([][]byte, len(ts))
	var missing []int
	size := 0
	for i := range ts {
		t := &ts[i]
		if k, ok := l.find(t.Name); ok && l.done[k].encodes(t) {
			objs[i] = l.done[k].b
			continue
		}
		missing = append(missing, i)
		size += encodedSize(t)
	}
	if len(missing) == 0 {
		return objs, true
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	enc := json.NewEncoder(buf)
	ends := make([]int, len(missing))
	for k, i := range missing {
		if !encodeTool(buf, enc, &ts[i]) {
			return nil, false
		}
		ends[k] = buf.Len()
	}
	all := buf.Bytes()
	start := 0
	if l.done == nil {
		l.done = make([]listedTool, 0, len(missing))
	}
	for k, i := range missing {
		t := &ts[i]
		b := all[start:ends[k]:ends[k]]
		start = ends[k]
		objs[i] = b
		e := listedTool{name: t.Name, title: t.Title, description: t.Description, schema: t.RawInputSchema, annotations: annotationsOf(t.Annotations), b: b}
		if at, ok := l.find(t.Name); ok {
			l.done[at] = e
		} else {
			l.done = slices.Insert(l.done, at, e)
		}
	}
	return objs, true
}

// find returns where name is, or would be, in l.done.
func (l *listedTools) find(name string) (int, bool) {
	return slices.BinarySearchFunc(l.done, name, func(e listedTool, name string) int { return strings.Compare(e.name, name) })
}

// encodedSize is what encodeTool writes for t, or a little more, so that
// the buffer of a whole list is allocated once and not much larger: the
// keys, the annotations at their longest, the values with room for the
// characters encoding/json escapes.
func encodedSize(t *mcp.Tool) int {
	n := len(`{"annotations":{"title":,"description":,"inputSchema":,"name":,"title":}`) + 4*len(`"destructiveHint":false,`)
	return n + escapedLen(t.Annotations.Title) + escapedLen(t.Description) + escapedLen(t.RawInputSchema) + escapedLen(t.Name) + escapedLen(t.Title)
}

// escapedLen is at least the length of s encoded as a JSON string (or
// compacted, for JSON): every byte encoding/json may escape counted at
// its longest.
func escapedLen[T string | json.RawMessage](s T) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0xe2: // 0xe2 starts U+2028 and U+2029
			n += 5
		case c == '"' || c == '\\':
			n++
		}
	}
	return n
}

// encodes reports whether e was encoded from t.
func (e *listedTool) encodes(t *mcp.Tool) bool {
	return simpleTool(t) && e.title == t.Title && e.description == t.Description &&
		len(e.schema) == len(t.RawInputSchema) && unsafe.SliceData(e.schema) == unsafe.SliceData(t.RawInputSchema) &&
		e.annotations == annotationsOf(t.Annotations)
}

// simpleTool reports whether t uses only what encodeTool writes: a name,
// title, description, raw input schema and annotations (ours do).
func simpleTool(t *mcp.Tool) bool {
	return t.RawInputSchema != nil && t.InputSchema.Type == "" && t.RawOutputSchema == nil && t.OutputSchema.Type == "" &&
		!t.DeferLoading && t.Meta == nil && t.Icons == nil && t.Execution == nil
}

// encodeTool writes t to buf as mcp-go writes it in a tools/list answer:
// its MarshalJSON encodes a map (keys in sorted order) and encoding/json
// compacts that, escaping HTML; the values are written here by an
// encoding/json Encoder (enc, writing to buf), so they are escaped alike.
// A tool using more than simpleTool allows is left to json.Marshal, which
// calls the same MarshalJSON. toolslist_test.go compares the bytes.
func encodeTool(buf *bytes.Buffer, enc *json.Encoder, t *mcp.Tool) bool {
	if !simpleTool(t) {
		b, err := json.Marshal(t)
		if err != nil {
			return false
		}
		buf.Write(b)
		return true
	}
	value := func(key string, v any) bool {
		buf.WriteString(key)
		if enc.Encode(v) != nil {
			return false
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		return true
	}
	ok := value(`{"annotations":`, &t.Annotations)
	if ok && t.Description != "" {
		ok = value(`,"description":`, t.Description)
	}
	ok = ok && value(`,"inputSchema":`, t.RawInputSchema) && value(`,"name":`, t.Name)
	if ok && t.Title != "" {
		ok = value(`,"title":`, t.Title)
	}
	buf.WriteByte('}')
	return ok
}
