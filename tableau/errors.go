package tableau

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// flexString accepts a JSON string or number (Tableau sends codes and counts
// as strings, but tolerating numbers costs nothing).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// ParseError turns an error answer into an APIError. It understands the REST
// JSON body, the REST XML body and the VizQL Data Service body, and falls back
// to the status and a short excerpt for anything else (an HTML proxy page).
func ParseError(status int, body []byte) *backend.APIError {
	e := &backend.APIError{Status: status}
	trimmed := bytes.TrimSpace(body)
	var rest struct {
		Error *struct {
			Code    flexString `json:"code"`
			Summary string     `json:"summary"`
			Detail  string     `json:"detail"`
		} `json:"error"`
		ErrorCode flexString `json:"errorCode"`
		Message   string     `json:"message"`
	}
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &rest) == nil {
		switch {
		case rest.Error != nil:
			e.Code, e.Summary, e.Detail = string(rest.Error.Code), rest.Error.Summary, rest.Error.Detail
			return e
		case rest.ErrorCode != "" || rest.Message != "":
			e.Code, e.Summary = string(rest.ErrorCode), rest.Message
			return e
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
		if xml.Unmarshal(trimmed, &x) == nil && x.Error.Code != "" {
			e.Code, e.Summary, e.Detail = x.Error.Code, x.Error.Summary, x.Error.Detail
			return e
		}
	}
	e.Summary = http.StatusText(status)
	if len(trimmed) > 0 {
		e.Detail = snippet(trimmed)
	}
	return e
}

func snippet(b []byte) string {
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
