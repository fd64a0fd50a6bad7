package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
)

// Most of a tool's answer is one string: its text (JSON, a table) or an
// image's base64 data. mcp-go encodes a CallToolResult through a map, so
// encoding/json escapes that string and then scans it again (it compacts
// what CallToolResult's MarshalJSON returns). The transports, which write
// the answers themselves (streamable HTTP, stdio, an SSE session's
// stream), offer an answers table instead: the dispatcher moves each
// long string of a final result into it and leaves a short marker in its
// place, mcp-go encodes the small rest, and the transport's writer puts the
// string back where the marker is, escaped once, straight into the bytes it
// sends. The bytes are the ones mcp-go would have written (answers_test.go
// compares them).

// The most strings held at once for one streamable HTTP request, a stdio
// session and an SSE session; beyond it, answers are encoded by mcp-go as
// they are.
const (
	maxHeldPerRequest = 64
	maxHeldStdio      = 1024
	maxHeldSSE        = 1024 // per SSE session
)

// minHeld is the shortest string worth holding back: below it, encoding it
// in place costs less than the marker's round trip.
const minHeld = 256

// markerKey makes markers unguessable, so that no text an upstream sends
// can pass for one; the counter makes each one unique in the process.
var (
	markerKey = func() string {
		b := make([]byte, 12)
		rand.Read(b)
		return "tableau-mcp-answer:" + hex.EncodeToString(b) + ":"
	}()
	// markerQuoted is how a marker starts in encoded JSON: encoding/json
	// writes these characters as they are.
	markerQuoted = []byte(`"` + markerKey)
	markerSeq    atomic.Uint64
)

// answers holds the strings taken out of the answers one writer is about
// to send, by marker number.
type answers struct {
	max int
	mu  sync.Mutex
	// pending is short: one entry per long string of the answers in
	// flight (one for a list call), so a slice does better than a map.
	pending []heldString
	n       atomic.Int32 // len(pending), read without the lock
}

func newAnswers(max int) *answers {
	return &answers{max: max}
}

type heldString struct {
	n uint64
	s string
	// tools, when set, are the tools of a tools/list answer: their
	// definitions take the place of the stand-in object the marker names
	// (see toolslist.go), and s is unused.
	tools []mcp.Tool
}

type answersKey struct{}

func withAnswers(ctx context.Context, a *answers) context.Context {
	return context.WithValue(ctx, answersKey{}, a)
}

// hold returns res with its long strings held in the answers table of ctx
// (none: the transport encodes answers itself, and res is returned as it
// is). res itself is not changed: a copy carries the markers.
func hold(ctx context.Context, res *mcp.CallToolResult) *mcp.CallToolResult {
	a, _ := ctx.Value(answersKey{}).(*answers)
	if a == nil || res == nil {
		return res
	}
	var room [4]int
	held := room[:0]
	for i, c := range res.Content {
		if len(longString(c)) >= minHeld {
			held = append(held, i)
		}
	}
	if len(held) == 0 {
		return res
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.pending)+len(held) > a.max {
		return res
	}
	out := *res
	out.Content = append([]mcp.Content(nil), res.Content...)
	for _, i := range held {
		out.Content[i] = withMarker(out.Content[i], a)
	}
	a.n.Store(int32(len(a.pending)))
	return &out
}

// longString is the string that makes up most of c: a text, the data of
// an image or audio, an embedded resource's text or blob ("" for other
// content). withMarker replaces the same string.
func longString(c mcp.Content) string {
	switch c := c.(type) {
	case mcp.TextContent:
		return c.Text
	case mcp.ImageContent:
		return c.Data
	case mcp.AudioContent:
		return c.Data
	case mcp.EmbeddedResource:
		switch r := c.Resource.(type) {
		case mcp.TextResourceContents:
			return r.Text
		case mcp.BlobResourceContents:
			return r.Blob
		}
	}
	return ""
}

// withMarker returns c with its long string held in a and its marker in
// its place (a must be locked).
func withMarker(c mcp.Content, a *answers) mcp.Content {
	switch c := c.(type) {
	case mcp.TextContent:
		c.Text = a.putLocked(c.Text)
		return c
	case mcp.ImageContent:
		c.Data = a.putLocked(c.Data)
		return c
	case mcp.AudioContent:
		c.Data = a.putLocked(c.Data)
		return c
	case mcp.EmbeddedResource:
		switch r := c.Resource.(type) {
		case mcp.TextResourceContents:
			r.Text = a.putLocked(r.Text)
			c.Resource = r
		case mcp.BlobResourceContents:
			r.Blob = a.putLocked(r.Blob)
			c.Resource = r
		}
		return c
	}
	return c
}

// putLocked holds s and returns its marker.
func (a *answers) putLocked(s string) string {
	n := markerSeq.Add(1)
	a.pending = append(a.pending, heldString{n: n, s: s})
	return markerKey + strconv.FormatUint(n, 10)
}

// putTools holds the tools of a list and returns the marker that names
// them, or false when the table is full.
func (a *answers) putTools(ts []mcp.Tool) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.pending) >= a.max {
		return "", false
	}
	n := markerSeq.Add(1)
	a.pending = append(a.pending, heldString{n: n, tools: ts})
	a.n.Store(int32(len(a.pending)))
	return markerKey + strconv.FormatUint(n, 10), true
}

// take removes and returns what marker number n holds.
func (a *answers) take(n uint64) (heldString, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, h := range a.pending {
		if h.n == n {
			last := len(a.pending) - 1
			a.pending[i] = a.pending[last]
			a.pending[last] = heldString{}
			a.pending = a.pending[:last]
			a.n.Store(int32(last))
			return h, true
		}
	}
	return heldString{}, false
}

// markerAt reads the marker starting at p[0] (its opening quote): its
// number and length with both quotes.
func markerAt(p []byte) (n uint64, size int, ok bool) {
	rest := p[len(markerQuoted):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || end > 20 {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return n, len(markerQuoted) + end + 1, true
}

// splice returns p with each marker of this table replaced by its string
// encoded as JSON (or a stand-in object by the objects it holds), appended
// to dst; ok is false (and dst unused) when p holds none.
func (a *answers) splice(dst, p []byte) (out []byte, ok bool) {
	if a == nil || a.n.Load() == 0 || bytes.Index(p, markerQuoted) < 0 {
		return p, false
	}
	buf := &spliceBuf{b: dst[:0]}
	ok, _ = a.spliceTo(buf, p)
	return buf.b, ok
}

// spliceWriter is where spliceTo writes an answer: reserve says how many
// bytes at least are still to come.
type spliceWriter interface {
	io.Writer
	io.StringWriter
	reserve(n int)
}

// spliceTo writes p to w with each marker of this table replaced, as
// splice does, when p holds a marker (nothing otherwise); ok reports
// whether one was replaced.
func (a *answers) spliceTo(w spliceWriter, p []byte) (ok bool, err error) {
	i := bytes.Index(p, markerQuoted)
	if a == nil || i < 0 {
		return false, nil
	}
	var enc *json.Encoder
	write := func(b []byte) {
		if err == nil {
			_, err = w.Write(b)
		}
	}
	for i >= 0 {
		n, size, found := markerAt(p[i:])
		var h heldString
		held := false
		if found {
			h, held = a.take(n)
		}
		switch {
		case !held:
			// Not one of ours: passed through as it is.
			write(p[:i+len(markerQuoted)])
			p = p[i+len(markerQuoted):]
		case h.tools != nil:
			start, end, fits := standInAround(p, i, size)
			if !fits {
				// Not where a stand-in's name would be: left as it is
				// (toolsListSplices checked mcp-go's encoding, so this
				// does not happen).
				write(p[:i+size])
				p = p[i+size:]
				break
			}
			need := start + len(p) - end
			for i := range h.tools {
				need += encodedSize(&h.tools[i]) + 1
			}
			w.reserve(need)
			write(p[:start])
			if enc == nil {
				enc = json.NewEncoder(newlineDropper{w})
			}
			for i := range h.tools {
				if i > 0 {
					write(comma)
				}
				if err == nil {
					err = encodeTool(w, enc, &h.tools[i])
				}
			}
			p = p[end:]
			ok = true
		default:
			w.reserve(len(p) - size + len(h.s) + 2)
			write(p[:i])
			if sb, direct := w.(*spliceBuf); direct {
				// Escaped straight into the answer.
				sb.b = appendJSONString(sb.b, h.s)
				p = p[i+size:]
				ok = true
				break
			}
			if enc == nil {
				enc = json.NewEncoder(newlineDropper{w})
			}
			// As encoding/json writes a string (escaping <, > and &
			// too), which is what mcp-go's encoding would have done.
			if err == nil {
				err = enc.Encode(h.s)
			}
			p = p[i+size:]
			ok = true
		}
		i = bytes.Index(p, markerQuoted)
	}
	write(p)
	return ok, err
}

var comma = []byte{','}

// appendJSONString appends s quoted as encoding/json writes a string with
// HTML escaping on (as mcp-go's encoder does): <, > and & as \u003c and
// the like, control characters escaped, invalid UTF-8 as \ufffd, U+2028
// and U+2029 escaped. Written here so that a held string is escaped
// straight into the answer, instead of into an Encoder's buffer first and
// copied (TestAppendJSONString compares it with encoding/json).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// newlineDropper leaves out the newline that ends what a json.Encoder
// writes (in one Write per value).
type newlineDropper struct{ w io.Writer }

func (d newlineDropper) Write(p []byte) (int, error) {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		_, err := d.w.Write(p[:n-1])
		return n, err
	}
	return d.w.Write(p)
}

// spliceBuf is an answer put together in memory. reserve makes room for
// the rest of the answer at once (16 KB at least): its size is known (a
// string's escapes aside), so a large answer is allocated once, at its
// size, instead of doubling its way there.
type spliceBuf struct{ b []byte }

func (s *spliceBuf) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *spliceBuf) WriteString(p string) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *spliceBuf) reserve(n int) {
	if cap(s.b)-len(s.b) >= n {
		return
	}
	b := make([]byte, len(s.b), max(len(s.b)+n, minSpliceBuf))
	copy(b, s.b)
	s.b = b
}

// streamed writes an answer straight to a buffered writer (stdio's).
type streamed struct{ *bufio.Writer }

func (streamed) reserve(int) {}

// release forgets the strings of the markers in p (an answer not sent).
func (a *answers) release(p []byte) {
	if a == nil || a.n.Load() == 0 {
		return
	}
	for i := bytes.Index(p, markerQuoted); i >= 0; i = bytes.Index(p, markerQuoted) {
		if n, size, found := markerAt(p[i:]); found {
			a.take(n)
			p = p[i+size:]
		} else {
			p = p[i+len(markerQuoted):]
		}
	}
}

// spliceBufs are the buffers answers are put together in. A new one is
// empty: splice allocates it at the size of the answer it first holds, and
// minSpliceBuf at least.
const minSpliceBuf = 16 << 10

var spliceBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled: a buffer grown beyond this (a large export) is not kept.
const maxPooled = 1 << 20

func getSpliceBuf() *[]byte { return spliceBufs.Get().(*[]byte) }

func putSpliceBuf(b *[]byte, used []byte) {
	if cap(used) > maxPooled {
		return
	}
	*b = used[:0]
	spliceBufs.Put(b)
}
