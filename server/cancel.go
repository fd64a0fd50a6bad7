package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
)

// The MCP specification asks that a request the client cancelled with
// notifications/cancelled get no answer. mcp-go cancels the request's
// context but still writes an error answer for it, so the transports drop
// that answer here: they note the requests each session has open and the
// ones it cancelled, and leave out an answer to a cancelled one.

// maxOpenRequests bounds how many open requests are remembered.
const maxOpenRequests = 1 << 16

// cancellations is the open and cancelled requests of sessions, by session
// ID (the scope; "" on stdio) and JSON-RPC id.
type cancellations struct {
	mu        sync.Mutex
	open      map[string]bool
	cancelled map[string]bool
}

func newCancellations() *cancellations {
	return &cancellations{open: map[string]bool{}, cancelled: map[string]bool{}}
}

// rpcMessage is what the transports read of a message to follow cancellation.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		RequestID json.RawMessage `json:"requestId"`
	} `json:"params"`
}

func (m rpcMessage) hasID() bool { return len(m.ID) > 0 && string(m.ID) != "null" }

// received notes a message from the client of session scope.
func (c *cancellations) received(scope string, m rpcMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case m.Method == "notifications/cancelled" && len(m.Params.RequestID) > 0:
		if id := scope + "\x00" + normID(m.Params.RequestID); c.open[id] {
			c.cancelled[id] = true
		}
	case m.Method != "" && m.hasID() && len(c.open) < maxOpenRequests:
		c.open[scope+"\x00"+normID(m.ID)] = true
	}
}

// isCancelled tells whether request id of session scope was cancelled.
func (c *cancellations) isCancelled(scope string, id json.RawMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelled[scope+"\x00"+normID(id)]
}

// answering notes an answer about to go to the client of session scope and
// says whether to drop it because its request was cancelled.
func (c *cancellations) answering(scope string, m rpcMessage) (drop bool) {
	if m.Method != "" || !m.hasID() {
		return false
	}
	id := scope + "\x00" + normID(m.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	drop = c.cancelled[id]
	delete(c.open, id)
	delete(c.cancelled, id)
	return drop
}

// answerTo reads the JSON-RPC message in an SSE event or a JSON body; ok
// is false when p holds none. Only its head is read (see rpcHeadOf): the
// answer that follows was just encoded and is not scanned again.
func answerTo(p []byte) (m rpcMessage, ok bool) {
	data := p
	if _, d, found := bytes.Cut(p, []byte("data:")); found {
		data = d
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return m, false
	}
	return rpcHeadOf(data)
}

// rpcHeadOf reads what the transports need of an outgoing message (its id,
// and whether it has a method) from its members up to the first of
// "result", "error" or "method": mcp-go writes jsonrpc and id before
// them, so a tool's answer, however long, is not read at all. A message
// whose id comes later is read whole.
func rpcHeadOf(data []byte) (m rpcMessage, ok bool) {
	if m, ok := answerHead(data); ok {
		return m, true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return m, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return m, false
		}
		switch key, _ := t.(string); key {
		case "id":
			if dec.Decode(&m.ID) != nil {
				return m, false
			}
		case "method":
			if dec.Decode(&m.Method) != nil {
				return m, false
			}
			if m.Method != "" {
				// A request or notification: never an answer to drop. The
				// rest of rpcMessage (params) matters only for the
				// client's messages, which are read whole.
				return m, true
			}
		case "result", "error":
			if m.hasID() {
				return m, true
			}
			var whole rpcMessage
			return whole, json.Unmarshal(data, &whole) == nil
		default:
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return m, false
			}
		}
	}
	return m, json.Valid(data)
}

// answerHead reads the head of an answer as mcp-go writes it, members in
// the order of its JSON-RPC types: {"jsonrpc":"2.0","id":ID,"result" (or
// "error"). ok is false for anything else, which rpcHeadOf then reads with
// a decoder.
func answerHead(data []byte) (m rpcMessage, ok bool) {
	rest, found := bytes.CutPrefix(data, []byte(`{"jsonrpc":"2.0","id":`))
	if !found {
		return m, false
	}
	n := idLen(rest)
	if n == 0 {
		return m, false
	}
	after := rest[n:]
	if !bytes.HasPrefix(after, []byte(`,"result":`)) && !bytes.HasPrefix(after, []byte(`,"error":`)) {
		return m, false
	}
	m.ID = rest[:n:n]
	return m, true
}

// idLen is the length of the number or string at the start of p, 0 when
// it holds neither (null included: an answer without an id is read whole).
func idLen(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	if p[0] == '"' {
		for i := 1; i < len(p); i++ {
			switch p[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return 0
	}
	i := 0
	for i < len(p) && (p[i] >= '0' && p[i] <= '9' || p[i] == '-' || p[i] == '+' || p[i] == '.' || p[i] == 'e' || p[i] == 'E') {
		i++
	}
	return i
}

// stdioReader passes the client's input through, noting each message.
type stdioReader struct {
	r       io.Reader
	c       *cancellations
	partial []byte
}

func (s *stdioReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.partial = append(s.partial, p[:n]...)
	for {
		line, rest, ok := bytes.Cut(s.partial, []byte("\n"))
		if !ok {
			break
		}
		var m rpcMessage
		if json.Unmarshal(line, &m) == nil {
			s.c.received("", m)
		}
		s.partial = append(s.partial[:0], rest...)
	}
	if len(s.partial) > defaultMaxBody {
		// A line this long is no message the server will answer.
		s.partial = s.partial[:0]
	}
	return n, err
}

// stdioWriter passes the server's output through, leaving out answers to
// cancelled requests and putting back the strings held out of answers
// (see answers.go). mcp-go writes each message with one Write.
type stdioWriter struct {
	mu      sync.Mutex
	w       io.Writer
	bw      streamed // writes answers with held strings, made on the first
	c       *cancellations
	answers *answers
}

func (s *stdioWriter) Write(p []byte) (int, error) {
	if m, ok := answerTo(p); ok && s.c.answering("", m) {
		s.answers.release(p)
		return len(p), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answers != nil && s.answers.n.Load() > 0 && bytes.Contains(p, markerQuoted) {
		// Written as it is put together, through a small buffer: a
		// stdio answer needs no copy of its own in memory.
		if s.bw.Writer == nil {
			s.bw = streamed{bufio.NewWriterSize(s.w, 4<<10)}
		}
		_, err := s.answers.spliceTo(s.bw, p)
		if err == nil {
			err = s.bw.Flush()
		}
		if err != nil {
			s.bw.Reset(s.w)
			return 0, err
		}
		return len(p), nil
	}
	return s.w.Write(p)
}

// notify writes a notification at once. mcp-go queues a stdio session's
// notifications for another goroutine, so a progress or log notification
// sent during a call could follow the call's answer; written here, from
// the call itself, it comes first.
func (s *stdioWriter) notify(_ context.Context, method string, params map[string]any) error {
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	if err != nil {
		return err
	}
	_, err = s.Write(append(b, '\n'))
	return err
}
