package upstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// FlexString accepts a JSON string or number (Tableau sends codes and counts
// as strings, but tolerating numbers costs nothing).
type FlexString string

func (f *FlexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexString(n.String())
	return nil
}

// ParseError turns an error answer into an APIError. It understands the REST
// JSON body, the REST XML body and the VizQL Data Service body, and falls back
// to the status and a short excerpt for anything else (an HTML proxy page).
func ParseError(status int, body []byte) *backend.APIError {
	if e, ok := tableauError(status, body); ok {
		return e
	}
	e := &backend.APIError{Status: status, Summary: http.StatusText(status)}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 {
		e.Detail = Snippet(trimmed)
	}
	return e
}

// tableauError reads one of Tableau's error bodies; ok is false when body
// is none of them.
func tableauError(status int, body []byte) (*backend.APIError, bool) {
	e := &backend.APIError{Status: status}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	var rest struct {
		Error *struct {
			Code    FlexString `json:"code"`
			Summary string     `json:"summary"`
			Detail  string     `json:"detail"`
		} `json:"error"`
		ErrorCode FlexString `json:"errorCode"`
		Message   string     `json:"message"`
	}
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &rest) == nil {
		switch {
		case rest.Error != nil:
			e.Code, e.Summary, e.Detail = string(rest.Error.Code), rest.Error.Summary, rest.Error.Detail
			return e, true
		case rest.ErrorCode != "" || rest.Message != "":
			e.Code, e.Summary = string(rest.ErrorCode), rest.Message
			return e, true
		}
	}
	if len(trimmed) > 0 && trimmed[0] == '<' {
		var x struct {
			Error struct {
				Code    string `xml:"code,attr"`
				Summary string `xml:"summary"`
				Detail  string `xml:"detail"`
			} `xml:"error"`
		}
		if xml.Unmarshal(trimmed, &x) == nil && (x.Error.Code != "" || x.Error.Summary != "") {
			e.Code, e.Summary, e.Detail = x.Error.Code, x.Error.Summary, x.Error.Detail
			return e, true
		}
	}
	return nil, false
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Message is the error's code-less text, "summary: detail", as Scalekit
// passes Tableau's error on.
func Message(e *backend.APIError) string {
	switch {
	case e.Summary == "":
		return e.Detail
	case e.Detail == "" || e.Detail == e.Summary:
		return e.Summary
	}
	return e.Summary + ": " + e.Detail
}

// Snippet is a short, one-line excerpt of a body for an error message.
func Snippet(b []byte) string {
	const max = 200
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// maxErrorBody bounds how much of a download's answer is read to tell
// whether it is an error body in disguise.
const maxErrorBody = 64 << 10

// CheckDownload looks at the start of a 2xx answer to a download (an image,
// PDF, CSV or file) and turns it into an APIError when it is in fact one of
// Tableau's error bodies, as a proxy or an old server may send with status
// 200. Otherwise the answer is returned with its body intact.
func CheckDownload(resp *http.Response) (*http.Response, error) {
	br := bufio.NewReaderSize(resp.Body, 4096)
	head, _ := br.Peek(512)
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	suspect := len(t) > 0 && (t[0] == '{' || (t[0] == '<' && bytes.Contains(head, []byte("tsResponse"))))
	if !suspect {
		resp.Body = readCloser{br, resp.Body}
		return resp, nil
	}
	body, _ := io.ReadAll(io.LimitReader(br, maxErrorBody))
	if e, ok := tableauError(resp.StatusCode, body); ok {
		resp.Body.Close()
		return nil, e
	}
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), br), resp.Body}
	return resp, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
