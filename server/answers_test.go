package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/demo"
)

// mcpGoBytes is how mcp-go writes a tools/call answer: the JSON-RPC
// response encoded by encoding/json (HTML escaping on).
func mcpGoBytes(t testing.TB, res any) []byte {
	t.Helper()
	b, err := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(7)), res))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// viaAnswers is the same answer with its long strings held and put back.
func viaAnswers(t testing.TB, res *mcp.CallToolResult) []byte {
	t.Helper()
	a := newAnswers(maxHeldPerRequest)
	held := hold(withAnswers(context.Background(), a), res)
	out, _ := a.splice(nil, mcpGoBytes(t, held))
	if n := a.n.Load(); n != 0 {
		t.Errorf("%d strings still held after the answer was written", n)
	}
	return out
}

func long(s string) string { return strings.Repeat(s, minHeld/len(s)+1) }

func TestHeldAnswersAreTheBytesMCPGoWrites(t *testing.T) {
	text := func(s string) *mcp.CallToolResult { return mcp.NewToolResultText(s) }
	cases := map[string]*mcp.CallToolResult{
		"json text":         text(long(`{"name":"Superstore \"Sales\"","tags":["a\\b"]},`)),
		"html and controls": text(long("<b>&amp;</b>\t\r\n\x00\x1f\x7f é 日本 ")),
		"line separators":   text(long("a\u2028b\u2029c")),
		"invalid UTF-8":     text(long("ok \xff\xfe \xc3( end")),
		"short text":        text("short"),
		"marker lookalike":  text(long(markerKey + "99999999 " + `"` + markerKey + `1"`)),
		"error":             mcp.NewToolResultError(long("no such workbook: <id> ")),
		"image and text": {Content: []mcp.Content{
			mcp.NewTextContent(long("summary ")),
			mcp.NewImageContent(long("iVBORw0KGgo+/=="), "image/png"),
		}},
		"embedded resources and audio": {Content: []mcp.Content{
			mcp.NewEmbeddedResource(mcp.BlobResourceContents{URI: "tableau://views/1/pdf", MIMEType: "application/pdf", Blob: long("JVBERi0xLjQK+/==")}),
			mcp.NewEmbeddedResource(mcp.TextResourceContents{URI: "tableau://views/1/csv", MIMEType: "text/csv", Text: long("Region,Sales\n\"West\",1<2\n")}),
			mcp.NewAudioContent(long("UklGRg=="), "audio/wav"),
		}},
		"structured": {
			Content:           []mcp.Content{mcp.NewTextContent(long(`{"rows":[1,2]}`))},
			StructuredContent: map[string]any{"rows": []int{1, 2}, "html": "<&>"},
		},
		"meta and resultType": {
			Result:  mcp.Result{ResultType: mcp.ResultTypeComplete, Meta: mcp.NewMetaFromMap(map[string]any{"k": "v"})},
			Content: []mcp.Content{mcp.NewTextContent(long("x")), mcp.NewTextContent(long("y"))},
		},
	}
	for name, res := range cases {
		t.Run(name, func(t *testing.T) {
			before := mcpGoBytes(t, res)
			got := viaAnswers(t, res)
			if !bytes.Equal(got, before) {
				t.Fatalf("written:\n%s\nmcp-go writes:\n%s", got, before)
			}
			if after := mcpGoBytes(t, res); !bytes.Equal(after, before) {
				t.Fatal("holding the strings changed the tool's own result")
			}
		})
	}
}

func FuzzHeldAnswer(f *testing.F) {
	for _, s := range []string{"plain", `"quoted\"`, "<&>", "\u2028\xff\x00", markerKey + "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		res := mcp.NewToolResultText(long(s + "."))
		if got, want := viaAnswers(t, res), mcpGoBytes(t, res); !bytes.Equal(got, want) {
			t.Fatalf("written:\n%q\nmcp-go writes:\n%q", got, want)
		}
	})
}

// A table that is full leaves the answer to mcp-go's encoding.
func TestAFullAnswersTableHoldsNothing(t *testing.T) {
	a := newAnswers(1)
	res := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(long("a")), mcp.NewTextContent(long("b"))}}
	if held := hold(withAnswers(context.Background(), a), res); held != res || a.n.Load() != 0 {
		t.Fatalf("held %d strings of an answer that does not fit", a.n.Load())
	}
}

// workbooksListAnswer is a server on the demo site, a tools/call of
// tableau_workbooks_list, and mcp-go's own encoding of its answer, whole.
func workbooksListAnswer(t *testing.T) (s *mcpserver.MCPServer, call string, whole []byte) {
	t.Helper()
	be, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = New(Options{Version: "test", Backend: be}); err != nil {
		t.Fatal(err)
	}
	call = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"tableau_workbooks_list","arguments":{}}}`
	if whole, err = json.Marshal(s.HandleMessage(context.Background(), json.RawMessage(call))); err != nil {
		t.Fatal(err)
	}
	return s, call, whole
}

// Over streamable HTTP and stdio, a tools/call answer is byte for byte what
// mcp-go writes for the same result when it encodes it whole.
func TestToolAnswersOnTheWireAreMCPGosEncoding(t *testing.T) {
	s, call, whole := workbooksListAnswer(t)
	if len(whole) < 2*minHeld || !bytes.Contains(whole, []byte(`Superstore`)) {
		t.Fatalf("unexpected answer: %s", whole)
	}

	h := newHTTPHandler(s, HTTPOptions{Transport: "http", NoAuth: true})
	rec := mcpPost(h, openSession(t, h), call)
	if rec.Code != http.StatusOK || rec.Body.String() != string(whole)+"\n" {
		t.Errorf("streamable HTTP answer (%d):\n%s\nwant:\n%s", rec.Code, rec.Body, whole)
	}

	in := strings.NewReader(initBody + "\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n" + call + "\n")
	var out bytes.Buffer
	if err := ServeStdio(context.Background(), s, in, &out, "", zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	var got string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, `{"jsonrpc":"2.0","id":7,`) {
			got = line
		}
	}
	if got != string(whole) {
		t.Errorf("stdio answer:\n%s\nwant:\n%s", got, whole)
	}
}

// An answer left out (its request was cancelled) lets its strings go.
func TestADroppedStdioAnswerReleasesItsStrings(t *testing.T) {
	c := newCancellations()
	var out bytes.Buffer
	w := &stdioWriter{w: &out, c: c, answers: newAnswers(maxHeldStdio)}
	c.received("", rpcMessage{ID: json.RawMessage(`3`), Method: "tools/call"})
	var m rpcMessage
	json.Unmarshal([]byte(`{"method":"notifications/cancelled","params":{"requestId":3}}`), &m)
	c.received("", m)
	held := hold(withAnswers(context.Background(), w.answers), mcp.NewToolResultText(long("secret ")))
	b, _ := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(int64(3)), held))
	if _, err := w.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 || w.answers.n.Load() != 0 {
		t.Fatalf("wrote %q, %d strings still held", out.String(), w.answers.n.Load())
	}
}

// Over SSE the answer to a POST /message goes out on the session's stream,
// where its held strings are put back: the event's data is mcp-go's own
// encoding of the answer.
func TestToolAnswersOnAnSSEStreamAreMCPGosEncoding(t *testing.T) {
	s, call, whole := workbooksListAnswer(t)
	h := newHTTPHandler(s, HTTPOptions{Transport: "sse", NoAuth: true})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	// next returns the data of the next event.
	next := func() string {
		for {
			line, err := events.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				return strings.TrimSpace(data)
			}
		}
	}
	endpoint := next()
	post := func(body string) {
		t.Helper()
		r, err := http.Post(srv.URL+endpoint, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %s", endpoint, r.Status)
		}
	}
	post(initBody)
	next()
	post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	sid := endpoint[strings.Index(endpoint, "sessionId=")+len("sessionId="):]
	if _, ok := h.sseStreams.Load(sid); !ok {
		t.Fatal("the session's stream offers no answers table")
	}
	post(call)
	for {
		data := next()
		if !strings.HasPrefix(data, `{"jsonrpc":"2.0","id":7,`) {
			continue
		}
		if data != string(whole) {
			t.Fatalf("SSE answer:\n%s\nwant:\n%s", data, whole)
		}
		break
	}
	// tools/list, whose definitions the stream's writer puts in.
	list := mcpGoList(t, s, context.Background(), listBody)
	post(listBody)
	for {
		data := next()
		if !strings.HasPrefix(data, `{"jsonrpc":"2.0","id":2,`) {
			continue
		}
		if data != string(list) {
			t.Fatalf("SSE tools/list:\n%s\nwant:\n%s", data, list)
		}
		break
	}
}

// stalledStream is the response writer of an SSE stream whose client stops
// reading: once stalled, a write waits until release, and each event
// written is passed to events.
type stalledStream struct {
	hdr     http.Header
	stalled atomic.Bool
	release chan struct{}
	events  chan string
}

func (s *stalledStream) Header() http.Header { return s.hdr }
func (s *stalledStream) WriteHeader(int)     {}
func (s *stalledStream) Flush()              {}
func (s *stalledStream) Write(p []byte) (int, error) {
	if s.stalled.Load() {
		<-s.release
	}
	s.events <- string(p)
	return len(p), nil
}

// sseSession is an initialized session of an SSE handler whose stream
// writes into a stalledStream, for tests that post to it directly.
type sseSession struct {
	st       *stalledStream
	h        http.Handler
	endpoint string
	close    func()
}

// openSSESession opens the stream, reads the endpoint and initializes the
// session; close ends the stream.
func openSSESession(t *testing.T, h http.Handler) *sseSession {
	t.Helper()
	st := &stalledStream{hdr: http.Header{}, release: make(chan struct{}), events: make(chan string, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/sse", nil)
		req.Host = "127.0.0.1"
		h.ServeHTTP(st, req)
	}()
	sess := &sseSession{st: st, h: h, close: func() { cancel(); <-streamDone }}
	sess.endpoint = sess.data()
	if rec := sess.post(initBody); rec.Code != http.StatusAccepted {
		sess.close()
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	sess.data()
	sess.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return sess
}

// data reads the stream's events until one carries data, and returns it.
func (s *sseSession) data() string {
	for {
		if d, ok := strings.CutPrefix(strings.TrimSpace(<-s.st.events), "event: "); ok {
			if _, v, found := strings.Cut(d, "data: "); found {
				return strings.TrimSpace(v)
			}
		}
	}
}

// post sends one JSON-RPC message to the session's endpoint.
func (s *sseSession) post(body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+s.endpoint, strings.NewReader(body))
	req.Host = "127.0.0.1"
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

// A client that posts requests to an SSE session without reading its
// stream gets 429 once maxSSEWaiting answers wait to be written, instead
// of the server holding an answer in memory for every request it sends;
// once the answers are read, the session takes requests again.
func TestSSERequestsWaitingForTheirAnswersAreBounded(t *testing.T) {
	s := listServer(t, nil)
	h := newHTTPHandler(s, HTTPOptions{Transport: "sse", NoAuth: true})
	sess := openSSESession(t, h)
	st, post, data := sess.st, sess.post, sess.data
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(st.release) }) }
	defer func() { release(); sess.close() }()

	st.stalled.Store(true)
	accepted, refused := 0, 0
	for i := range maxSSEWaiting + 50 {
		switch rec := post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, 100+i)); rec.Code {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
			refused++
			if !strings.Contains(rec.Body.String(), "read the stream") {
				t.Fatalf("429 without a hint: %s", rec.Body)
			}
		default:
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
	// One answer may have left the count as its write began.
	if accepted < maxSSEWaiting || accepted > maxSSEWaiting+1 || refused != maxSSEWaiting+50-accepted {
		t.Fatalf("%d requests accepted and %d refused while the stream was not read; want %d accepted", accepted, refused, maxSSEWaiting)
	}
	st.stalled.Store(false)
	release()
	for answers := 0; answers < accepted; {
		d := data()
		if strings.Contains(d, `"method":`) {
			continue // a keep-alive ping
		}
		if !strings.Contains(d, `"tools":[{`) {
			t.Fatalf("answer: %.200s", d)
		}
		answers++
	}
	if rec := post(`{"jsonrpc":"2.0","id":1,"method":"ping"}`); rec.Code != http.StatusAccepted {
		t.Fatalf("after the answers were read: %d %s", rec.Code, rec.Body)
	}
	for d := data(); !strings.Contains(d, `"id":1,"result":{}`); d = data() {
		if !strings.Contains(d, `"method":`) {
			t.Fatalf("ping answer: %s", d)
		}
	}
}

// TestAppendJSONString: a held string is escaped as encoding/json (HTML
// escaping on, as mcp-go's encoder has it) writes it, on every character
// class: quotes, backslashes, control characters, <, > and &, other
// scripts, emoji, the line separators and invalid UTF-8.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `q"uo\te`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<a href='x'>&amp;</a>", "café – 売上 😀",
		"\u2028 and \u2029", "bad \xff\xfe utf-8 \xe2\x82", "\xed\xa0\x80 surrogate", `{"workbooks":[{"id":"x"}]}`,
		strings.Repeat("abc\"<", 1000),
	} {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("<x>\u2028\xff\"")
	f.Fuzz(func(t *testing.T, s string) { checkJSONString(t, s) })
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
		t.Errorf("%q: got %s, encoding/json writes %s", s, got[1:], want)
	}
}
