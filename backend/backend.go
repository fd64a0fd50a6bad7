// Package backend defines what a tool asks of Tableau, independent of how the
// request reaches it: directly with a Personal Access Token (package tableau),
// through Scalekit (package scalekit), or against the embedded demo site.
//
// Tools describe each call as data (a Call holding a Request); a Backend runs
// it. A backend never knows MCP, and a tool never knows which backend runs it.
package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scope says which URL prefix a Request's Path is relative to.
type Scope int

const (
	// SiteScope: /api/{version}/sites/{site-luid}{Path}
	SiteScope Scope = iota
	// APIScope: /api/{version}{Path}
	APIScope
	// VDSScope: /api/v1/vizql-data-service{Path}
	VDSScope
	// UnversionedScope: /api/-{Path}, the session's site (content search).
	UnversionedScope
)

// Request is one Tableau REST (or VizQL Data Service) call.
type Request struct {
	Method string
	Scope  Scope
	// Path below the scope's prefix, built only with Segments so that
	// nothing a caller sends can change its shape.
	Path  string
	Query url.Values
	// Body is marshalled as JSON when not nil.
	Body any
	// Stream, when not nil, is sent as the body instead of Body: a file
	// upload streamed from its source rather than held in memory.
	Stream *Stream
	// Idempotent marks a write that changes nothing more when sent again
	// (the tool is marked idempotent), so that it may be repeated after a
	// transient failure like a read.
	Idempotent bool
}

// Stream is a request body read from its source as it is sent, with its
// content type (e.g. multipart/mixed; boundary=...). Open is called for
// each send, so that a request Tableau refused unread (a session to renew)
// can be sent again from the start.
type Stream struct {
	ContentType string
	Open        func() (io.ReadCloser, error)
}

// Repeatable reports whether the request may be sent again once it may
// have reached Tableau: GETs, the VizQL Data Service reads (POSTs that
// change nothing) and requests marked Idempotent. Any other write is sent
// once, and again only when it provably never left this process.
func (r Request) Repeatable() bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		if r.Scope == VDSScope && (r.Path == "/read-metadata" || r.Path == "/query-datasource") {
			return true
		}
	}
	return r.Idempotent
}

// Call is one tool invocation handed to a backend.
type Call struct {
	// Tool is the catalogue name, e.g. "tableau_workbooks_list".
	Tool string
	// Forward is true when Scalekit's own connector has this tool, so the
	// Scalekit backend sends Params to execute_tool instead of Request.
	Forward bool
	// Params are the tool's arguments in the form Scalekit expects
	// (catalogue parameter names, JSON values).
	Params map[string]any
	// Request is the REST call that implements the tool directly.
	Request Request
}

// Repeatable reports whether the call may be sent again after a transient
// failure (see Request.Repeatable); through Scalekit's execute_tool the
// same rule applies to the tool as a whole.
func (c Call) Repeatable() bool { return c.Request.Repeatable() }

// Backend runs calls against Tableau.
type Backend interface {
	// Name is "tableau", "scalekit" or "demo".
	Name() string
	// Invoke runs a tool call and returns Tableau's JSON answer.
	Invoke(ctx context.Context, call Call) (json.RawMessage, error)
	// Open runs a request whose answer may be large or binary. The caller
	// must close the response body. A non-2xx answer is returned as an error.
	Open(ctx context.Context, req Request) (*http.Response, error)
}

// Closer is implemented by backends holding a session worth ending on shutdown.
type Closer interface {
	Close(ctx context.Context) error
}

// URLPath renders the request's path for a REST version and site LUID.
func (r Request) URLPath(version, siteID string) string {
	switch r.Scope {
	case APIScope:
		return "/api/" + version + r.Path
	case VDSScope:
		return "/api/v1/vizql-data-service" + r.Path
	case UnversionedScope:
		return "/api/-" + r.Path
	default:
		return "/api/" + version + "/sites/" + url.PathEscape(siteID) + r.Path
	}
}

// Segments joins path segments, escaping each one, into "/a/b/c".
func Segments(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// IsLUID reports whether s has the form of a Tableau LUID (a UUID): hex
// digits in groups of 8-4-4-4-12 joined by hyphens. (Checked by hand: a
// regular expression compiled at package initialisation cost every
// process 16 KB and its time.)
func IsLUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// APIError is an error answered by Tableau (REST or VizQL Data Service), or
// passed on by Scalekit from Tableau.
type APIError struct {
	Status  int    // HTTP status
	Code    string // Tableau's code, e.g. "404006" or VDS "400803"; may be empty
	Summary string
	Detail  string
	// Via names the hop that reported it when not Tableau itself ("scalekit").
	Via string
	// Attempts is how many times the call was sent.
	Attempts int
	// Unrepeated: a transient failure of a write, which was not sent again
	// because it may have taken effect.
	Unrepeated bool
	// RetryAfter is a wait the answer asked for that was longer than the
	// backend honours.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tableau answered %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " (code %s)", e.Code)
	}
	if e.Summary != "" {
		b.WriteString(": " + e.Summary)
	}
	if e.Detail != "" && e.Detail != e.Summary {
		b.WriteString(": " + e.Detail)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, "; tried %d times", e.Attempts)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; it asked to wait %s before trying again", e.RetryAfter.Round(time.Second))
	}
	if e.Unrepeated {
		b.WriteString("; the request was not sent again because it may have taken effect: check its outcome before trying again")
	}
	return b.String()
}

// UserError is an error whose message is already written for the model and
// the user: what went wrong and what to do next.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Userf makes a UserError.
func Userf(format string, args ...any) error { return &UserError{Msg: fmt.Sprintf(format, args...)} }

// ReadBody reads a whole answer body, in one allocation when the server
// said how long it is (the common case), instead of growing a buffer.
func ReadBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= 64<<20 {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(resp.Body)
}

// JSONShaped reports whether b has the shape of a JSON object or array: it
// opens with { or [ and closes with the matching bracket. It tells an API
// answer from a login page, a proxy's error page or a cut-off body without
// a second pass over the text: the one pass is the decoding of the answer,
// or the encoding of the text into the tool's result.
func JSONShaped(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) < 2 {
		return false
	}
	switch b[0] {
	case '{':
		return b[len(b)-1] == '}'
	case '[':
		return b[len(b)-1] == ']'
	}
	return false
}
