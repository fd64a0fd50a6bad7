package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAnswerHeadReadsWhatTheWholeMessageSays: reading only the head of an
// outgoing message finds the same id and method as decoding all of it,
// whenever the whole decodes. (A message cut off after its id is taken by
// its head; mcp-go writes every message whole, in one Write.)
func TestAnswerHeadReadsWhatTheWholeMessageSays(t *testing.T) {
	long := `"` + strings.Repeat(`{\"workbook\":[1,2,3]} `, 2000) + `"`
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":` + long + `}]}}`,
		`{"jsonrpc":"2.0","id":"a-1","error":{"code":-32603,"message":"x"}}`,
		`{"jsonrpc":"2.0","result":{},"id":3}`, // id after the result: read whole
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}`,
		`{"jsonrpc":"2.0","id":9,"method":"elicitation/create","params":{"message":"Delete?"}}`,
		`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}`,
		`event: message` + "\n" + `data: {"jsonrpc":"2.0","id":12,"result":{"content":[]}}` + "\n\n",
		`{"jsonrpc":"2.0","id":1,"result":{}`, // cut off
		`{"jsonrpc":"2.0","id":1`,
		`not json`,
		`{"jsonrpc":"2.0","id":1,"result":{"x":1}} trailing`,
		``,
	} {
		got, gotOK := answerTo([]byte(msg))
		want, wantOK := wholeAnswer([]byte(msg))
		if wantOK && (!gotOK || string(got.ID) != string(want.ID) || got.Method != want.Method) {
			t.Errorf("%.80q: head read (%s, %q, %v), whole (%s, %q, %v)", msg, got.ID, got.Method, gotOK, want.ID, want.Method, wantOK)
		}
	}
}

// wholeAnswer is answerTo as it was: the whole message decoded.
func wholeAnswer(p []byte) (m rpcMessage, ok bool) {
	data := p
	if _, d, found := strings.Cut(string(p), "data:"); found {
		data = []byte(d)
	}
	data = []byte(strings.TrimSpace(string(data)))
	if len(data) == 0 || data[0] != '{' {
		return m, false
	}
	return m, json.Unmarshal(data, &m) == nil
}

// The head read without a decoder agrees with the whole message decoded.
func FuzzAnswerHead(f *testing.F) {
	for _, s := range []string{`7`, `"a-1"`, `"a\"b"`, `-1.5e3`, `null`, `"\u00e9"`, `01`} {
		f.Add(`{"jsonrpc":"2.0","id":`+s+`,"result":{"content":[]}}`, s)
	}
	f.Fuzz(func(t *testing.T, msg, id string) {
		for _, m := range []string{msg, `{"jsonrpc":"2.0","id":` + id + `,"result":{}}`, `{"jsonrpc":"2.0","id":` + id + `,"error":{"code":1}}`} {
			got, gotOK := answerTo([]byte(m))
			want, wantOK := wholeAnswer([]byte(m))
			if wantOK && (!gotOK || normID(got.ID) != normID(want.ID) || got.Method != want.Method) {
				t.Fatalf("%q: head read (%s, %q, %v), whole (%s, %q, %v)", m, got.ID, got.Method, gotOK, want.ID, want.Method, wantOK)
			}
		}
	})
}

// An id taken as it is names the same request as the id decoded and
// encoded again.
func FuzzNormID(f *testing.F) {
	for _, s := range []string{`7`, `-0`, `007`, `1.0`, `123456789012345678`, `"a-1"`, `"<&>"`, `"\u0041"`, `"é"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return
		}
		b, _ := json.Marshal(v)
		if got := normID(json.RawMessage(raw)); got != string(b) {
			t.Fatalf("normID(%s) = %s, want %s", raw, got, b)
		}
	})
}
