package tableauemu

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// obj is one JSON object of an answer. Scalars become XML attributes,
// objects become child elements, and slices become repeated elements.
type obj = map[string]any

// luid derives a stable UUID-shaped identifier from a key, so the sample
// content has the same IDs on every run.
func luid(key string) string {
	sum := sha1.Sum([]byte("tableau-mcp-emulator/" + key))
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x50 // version 5 (name based, SHA-1)
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// stamp formats a time the way Tableau does: UTC, seconds, trailing Z.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// itoa renders a count; counts travel as strings in Tableau's JSON.
func itoa(n int) string { return strconv.Itoa(n) }

// apiErr is a Tableau REST error answer.
type apiErr struct {
	status  int
	code    string
	summary string
	detail  string
}

func (e *apiErr) Error() string { return e.code + ": " + e.detail }

var summaries = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"400000": "Bad Request",
		"400006": "Invalid Page Number",
		"400007": "Invalid Page Size",
		"400009": "Invalid Capability",
		"400013": "Invalid Site Role",
		"400065": "Invalid Filter",
		"400066": "Invalid Sort",
		"401000": "Unauthorized Access",
		"401001": "Signin Error",
		"401002": "Unauthorized Access",
		"403000": "Forbidden",
		"403014": "Page Size Limit Exceeded",
		"403133": "Permission Denied",
		"405000": "Method Not Allowed",
		"409000": "Conflict",
		"409011": "Conflict",
		"429000": "Too Many Requests",
	}

}}

func newErr(status int, code, detail string) *apiErr {
	s, ok := summaries.Get()[code]
	if !ok {
		switch {
		case status == http.StatusNotFound:
			s = "Resource Not Found"
		default:
			s = http.StatusText(status)
			if s == "" {
				s = "Error"
			}
		}
	}
	return &apiErr{status: status, code: code, summary: s, detail: detail}
}

func badRequest(format string, a ...any) *apiErr {
	return newErr(http.StatusBadRequest, "400000", fmt.Sprintf(format, a...))
}

func notFound(code, kind, id string) *apiErr {
	return newErr(http.StatusNotFound, code, fmt.Sprintf("%s '%s' could not be found.", kind, id))
}

func conflict(format string, a ...any) *apiErr {
	return newErr(http.StatusConflict, "409000", fmt.Sprintf(format, a...))
}

func denied(format string, a ...any) *apiErr {
	return newErr(http.StatusForbidden, "403133", fmt.Sprintf(format, a...))
}

// reply is an answer built while the emulator lock is held and written after
// it is released.
type reply struct {
	status int
	header http.Header
	body   []byte
	// stream, when set, writes the status and body itself once the lock is
	// released: large or slow answers (exports, downloads) never hold it.
	stream func(w http.ResponseWriter)
}

const (
	ctJSON = "application/json;charset=UTF-8"
	ctXML  = "application/xml;charset=UTF-8"
)

// wantsJSON reports whether the client asked for JSON; Tableau answers XML
// otherwise.
func wantsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "application/json") {
			return true
		}
	}
	return false
}

func encodeBody(asJSON bool, body obj) (string, []byte) {
	if asJSON {
		b, err := json.Marshal(body)
		if err != nil {
			b = []byte(`{}`)
		}
		return ctJSON, b
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version='1.0' encoding='UTF-8'?>`)
	buf.WriteString(`<tsResponse xmlns="http://tableau.com/api">`)
	writeChildren(&buf, body)
	buf.WriteString(`</tsResponse>`)
	return ctXML, buf.Bytes()
}

func encodeError(asJSON bool, e *apiErr) (string, []byte) {
	if asJSON {
		return encodeBody(true, obj{"error": obj{"code": e.code, "summary": e.summary, "detail": e.detail}})
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version='1.0' encoding='UTF-8'?>`)
	buf.WriteString(`<tsResponse xmlns="http://tableau.com/api"><error code="`)
	buf.WriteString(xmlEscape(e.code))
	buf.WriteString(`"><summary>`)
	buf.WriteString(xmlEscape(e.summary))
	buf.WriteString(`</summary><detail>`)
	buf.WriteString(xmlEscape(e.detail))
	buf.WriteString(`</detail></error></tsResponse>`)
	return ctXML, buf.Bytes()
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\n':
			b.WriteString("&#10;")
		default:
			if r < 0x20 && r != '\t' {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// writeChildren writes the child elements of one object (its non-scalar
// members), pagination first, the rest by name.
func writeChildren(buf *bytes.Buffer, m obj) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "pagination") != (keys[j] == "pagination") {
			return keys[i] == "pagination"
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		switch v := m[k].(type) {
		case obj:
			writeElement(buf, k, v)
		case []obj:
			for _, o := range v {
				writeElement(buf, k, o)
			}
		case []any:
			for _, o := range v {
				if om, ok := o.(obj); ok {
					writeElement(buf, k, om)
				}
			}
		}
	}
}

func writeElement(buf *bytes.Buffer, name string, m obj) {
	buf.WriteByte('<')
	buf.WriteString(name)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hasChildren := false
	for _, k := range keys {
		if s, ok := scalarString(m[k]); ok {
			buf.WriteString(" " + k + `="` + xmlEscape(s) + `"`)
		} else {
			hasChildren = true
		}
	}
	if !hasChildren {
		buf.WriteString("/>")
		return
	}
	buf.WriteByte('>')
	writeChildren(buf, m)
	buf.WriteString("</" + name + ">")
}

// tagsJSON renders tags as Tableau does: `{}` when there are none.
func tagsJSON(tags []string) obj {
	if len(tags) == 0 {
		return obj{}
	}
	list := make([]obj, len(tags))
	for i, t := range tags {
		list[i] = obj{"label": t}
	}
	return obj{"tag": list}
}

// collection wraps a list as {"<plural>":{"<singular>":[...]}} or `{}`.
func collection(singular string, items []obj) obj {
	if len(items) == 0 {
		return obj{}
	}
	return obj{singular: items}
}

// urlName drops everything but letters and digits, as Tableau does for
// content URLs.
func urlName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "content"
	}
	return b.String()
}
