package scalekit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/backend/upstream"
)

// Error is an error answered by Scalekit's API.
type Error struct {
	Status    int
	GRPCCode  int
	Message   string
	ErrorCode string // details[].error_code: TOOL_ERROR, RATE_LIMITED, UNAUTHENTICATED, ...
	// From tool_error_info, when Tableau's own call failed.
	ToolMessage, ToolCode, ExecutionID string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("Scalekit answered %d", e.Status)
	if e.ErrorCode != "" {
		s += " " + e.ErrorCode
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

type toolErrorInfo struct {
	ExecutionID      string          `json:"execution_id"`
	ToolErrorMessage string          `json:"tool_error_message"`
	ToolErrorCode    json.RawMessage `json:"tool_error_code"`
}

// parseError reads Scalekit's error body {"code":16,"message":"...",
// "details":[{"@type":"...ErrorInfo","error_code":"..."}]}; tool_error_info is
// accepted both inside a detail and at the top level.
func parseError(status int, body []byte) *Error {
	e := &Error{Status: status}
	var b struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Details []struct {
			ErrorCode     string         `json:"error_code"`
			ToolErrorInfo *toolErrorInfo `json:"tool_error_info"`
		} `json:"details"`
		ToolErrorInfo *toolErrorInfo `json:"tool_error_info"`
		// OAuth-style token errors.
		OAuthError string `json:"error"`
		OAuthDesc  string `json:"error_description"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &b) != nil {
		e.Message = strings.TrimSpace(http.StatusText(status) + " " + clip(string(body)))
		return e
	}
	json.Unmarshal(b.Code, &e.GRPCCode)
	e.Message = b.Message
	if e.Message == "" {
		e.Message = strings.TrimSpace(b.OAuthError + " " + b.OAuthDesc)
	}
	info := b.ToolErrorInfo
	for _, d := range b.Details {
		if e.ErrorCode == "" {
			e.ErrorCode = d.ErrorCode
		}
		if info == nil {
			info = d.ToolErrorInfo
		}
	}
	if info != nil {
		e.ExecutionID, e.ToolMessage = info.ExecutionID, info.ToolErrorMessage
		var s string
		if json.Unmarshal(info.ToolErrorCode, &s) == nil {
			e.ToolCode = s
		} else {
			e.ToolCode = strings.Trim(string(info.ToolErrorCode), `"`)
		}
		if e.ErrorCode == "" {
			e.ErrorCode = "TOOL_ERROR"
		}
	}
	return e
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// translate turns a Scalekit error into what the model and user can act on.
func (c *Client) translate(e *Error, identifier, tool string, tries upstream.Outcome) error {
	conn := c.cfg.Connection
	lower := strings.ToLower(e.Message)
	switch {
	case e.ErrorCode == "TOOL_ERROR" && e.Status == http.StatusUnauthorized:
		return backend.Userf("The Tableau credentials of Scalekit connected account %q (connection %q) have expired or been revoked (%s). Connect it again: create a new Personal Access Token in Tableau (My Account Settings → Personal Access Tokens), then run `tableau-mcp connect --identifier %s` or update the account in the Scalekit dashboard (Agent Auth → Connections → %s → Connected Accounts).", identifier, conn, e.detail(), identifier, conn)
	case e.ErrorCode == "TOOL_ERROR":
		// Tableau's own answer, passed on: keep its status and code so the
		// tool layer explains it like any Tableau error.
		ae := &backend.APIError{Status: e.Status, Code: e.ToolCode, Summary: e.detail(), Via: "scalekit"}
		if e.Status == 0 {
			ae.Status = http.StatusBadGateway
		}
		return tries.Annotate(ae)
	case e.ErrorCode == "RATE_LIMITED" || (e.Status == http.StatusTooManyRequests):
		return backend.Userf("Scalekit's own rate limit was reached (%s%s). Wait a little before retrying; this is Scalekit's limit, not Tableau's.", e.Message, tried(tries)+unrepeated(tries))
	case e.Status == http.StatusNotFound && strings.Contains(lower, "account"):
		return backend.Userf("Scalekit has no connected account for identifier %q on connection %q. Connect a Tableau account: run `tableau-mcp connect --identifier %s` (it asks for the Tableau server, site and a Personal Access Token), or in the Scalekit dashboard use Agent Auth → Connections → %s → Connected Accounts → Add account; then run `tableau-mcp doctor`.", identifier, conn, identifier, conn)
	case e.Status == http.StatusNotFound && strings.Contains(lower, "tool"):
		return &unknownToolError{backend.UserError{Msg: fmt.Sprintf("Scalekit's Tableau connector does not know the tool %q (%s). The connection %q may not be a Tableau connection (check SCALEKIT_CONNECTION_NAME).", tool, e.Message, conn)}}
	case e.Status == http.StatusNotFound:
		return backend.Userf("Scalekit answered not found for %s (%s): check SCALEKIT_CONNECTION_NAME (%q) and the connected account for %q.", tool, e.Message, conn, identifier)
	case e.Status == http.StatusUnauthorized:
		return backend.Userf("Scalekit refused the client credentials (%s): check SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET (Scalekit dashboard → Developers → API Credentials) and SCALEKIT_ENVIRONMENT_URL.", e.Message)
	case e.Status == http.StatusForbidden:
		return backend.Userf("Scalekit refused the call (permission denied: %s); the API client may lack access to Agent Auth for this environment.", e.Message)
	case e.Status == http.StatusBadRequest:
		return backend.Userf("Scalekit rejected the request for %s as invalid: %s.", tool, e.Message)
	case e.Status >= 500 && tries.Unrepeated:
		return backend.Userf("Scalekit answered %d (%s) to %s. It was not sent again because it may have reached Tableau and taken effect: check its outcome before trying again.", e.Status, e.Message, tool)
	case e.Status >= 500:
		return backend.Userf("Scalekit is unavailable (%d %s%s); try again later.", e.Status, e.Message, tried(tries))
	}
	return e
}

// unrepeated says why a failed write was not sent again.
func unrepeated(o upstream.Outcome) string {
	if !o.Unrepeated {
		return ""
	}
	return "; not sent again because it may have taken effect"
}

func (e *Error) detail() string {
	if e.ToolMessage != "" {
		return e.ToolMessage
	}
	return e.Message
}

// proxyError reads an error answer of the proxy: Tableau's own body passed
// through, or a Scalekit error body.
func (c *Client) proxyError(status int, body []byte, identifier string, tries upstream.Outcome) error {
	trimmed := bytes.TrimSpace(body)
	if bytes.Contains(trimmed, []byte(`"details"`)) || bytes.Contains(trimmed, []byte(`"code":`)) && !bytes.Contains(trimmed, []byte(`"error":{`)) {
		if se := parseError(status, trimmed); se.Message != "" || se.ErrorCode != "" {
			return c.translate(se, identifier, "the proxied request", tries)
		}
	}
	ae := upstream.ParseError(status, trimmed)
	ae.Via = "scalekit proxy"
	return tries.Annotate(ae)
}

// unknownToolError says Scalekit's connector has no such tool; the client
// then runs the tool's own REST call over the proxy instead.
type unknownToolError struct{ backend.UserError }

func (e *unknownToolError) Unwrap() error { return &e.UserError }
