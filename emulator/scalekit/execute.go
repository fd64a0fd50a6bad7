package scalekitemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// maxToolAnswer caps a Tableau answer that execute_tool wraps into JSON.
const maxToolAnswer = 64 << 20

type executeRequest struct {
	ToolName           string          `json:"tool_name"`
	Identifier         string          `json:"identifier"`
	Connector          string          `json:"connector"`
	ConnectedAccountID string          `json:"connected_account_id"`
	OrganizationID     string          `json:"organization_id"`
	UserID             string          `json:"user_id"`
	Params             json.RawMessage `json:"params"`
}

type executeAnswer struct {
	Data        json.RawMessage `json:"data"`
	ExecutionID string          `json:"execution_id"`
}

func newExecutionID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (e *Emulator) handleExecute(w http.ResponseWriter, r *http.Request) {
	var req executeRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		writeError(w, invalidArg("request body is not valid JSON: "+err.Error()))
		return
	}
	if req.ToolName == "" {
		writeError(w, invalidArg("tool_name is required"))
		return
	}
	if req.ConnectedAccountID == "" {
		if req.Identifier == "" {
			writeError(w, invalidArg("identifier is required (or connected_account_id)"))
			return
		}
		if req.Connector == "" {
			writeError(w, invalidArg("connector is required (the connection name, or connected_account_id)"))
			return
		}
	}
	a, sess, _, ok := e.lookup(req.Connector, req.Identifier, req.ConnectedAccountID)
	if !ok {
		msg := fmt.Sprintf("connected account not found for identifier %q and connector %q", req.Identifier, req.Connector)
		if req.ConnectedAccountID != "" {
			msg = fmt.Sprintf("connected account %q not found", req.ConnectedAccountID)
		}
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound, msg))
		return
	}
	tool, ok := findTool(req.ToolName)
	if !ok {
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound, fmt.Sprintf("tool %q not found", req.ToolName)))
		return
	}
	execID := newExecutionID()
	if a.Status != StatusActive {
		writeError(w, toolError(http.StatusUnauthorized, execID,
			fmt.Sprintf("connected account status is %s; the user must authorize Tableau again", a.Status), ""))
		return
	}
	params, aerr := decodeParams(req.Params)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if aerr := validateParams(tool, params); aerr != nil {
		writeError(w, aerr)
		return
	}
	data, aerr := e.runTool(r.Context(), tool, a, sess, execID, params)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, executeAnswer{Data: data, ExecutionID: execID})
}

// decodeParams reads params as a JSON object, keeping numbers exact.
func decodeParams(raw json.RawMessage) (map[string]any, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidArg("params is not valid JSON")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidArg("params must be a JSON object")
	}
	for k, val := range m { // a null parameter counts as absent
		if val == nil {
			delete(m, k)
		}
	}
	return m, nil
}

func kindName(k kind) string {
	switch k {
	case kInt:
		return "an integer"
	case kBool:
		return "a boolean"
	case kObject:
		return "an object"
	case kCapabilities:
		return "an array"
	}
	return "a string"
}

// validateParams checks names, JSON types and required parameters the way
// the connector's input schema does.
func validateParams(t *toolDef, params map[string]any) *apiError {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := t.param(k)
		if !ok {
			return invalidArg(fmt.Sprintf("unknown parameter %q for tool %s", k, t.name))
		}
		v := params[k]
		good := false
		switch p.kind {
		case kString:
			_, good = v.(string)
		case kInt:
			_, good = asInt(v)
		case kBool:
			_, good = v.(bool)
		case kObject:
			_, good = v.(map[string]any)
		case kCapabilities:
			_, good = v.([]any)
		}
		if !good {
			msg := fmt.Sprintf("parameter %s of tool %s must be %s", k, t.name, kindName(p.kind))
			if t.special == "query_view" && p.kind == kString && k != "datasource_luid" {
				msg += " holding a JSON array"
			}
			return invalidArg(msg)
		}
	}
	for _, p := range t.params {
		if !p.required {
			continue
		}
		v, ok := params[p.name]
		if s, isStr := v.(string); !ok || (isStr && s == "") {
			return invalidArg(fmt.Sprintf("parameter %s is required for tool %s", p.name, t.name))
		}
	}
	return nil
}

func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func queryValue(p param, v any) string {
	switch p.kind {
	case kInt:
		i, _ := asInt(v)
		return strconv.FormatInt(i, 10)
	case kBool:
		return strconv.FormatBool(v.(bool))
	}
	return p.prefix + fmt.Sprint(v)
}

// bodyValue converts a parameter value for a JSON body.
func bodyValue(p param, v any) any {
	if p.kind == kInt {
		i, _ := asInt(v)
		return i
	}
	return v
}

func setPath(m map[string]any, dotted string, v any) {
	parts := strings.Split(dotted, ".")
	for _, k := range parts[:len(parts)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func encodeQuery(q url.Values) string {
	// %20 rather than + for spaces: filter values are names.
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}

// restCall is a Tableau call built from a tool's parameters.
type restCall struct {
	method string
	path   string // with {site} still in it
	query  url.Values
	body   []byte // nil for no body
}

func buildCall(t *toolDef, params map[string]any) (*restCall, *apiError) {
	c := &restCall{method: t.method, path: t.path, query: url.Values{}}
	var body map[string]any
	if t.wrap != "" {
		body = map[string]any{}
	}
	for _, p := range t.params {
		v, ok := params[p.name]
		if !ok {
			continue
		}
		switch {
		case p.pathVar:
			c.path = strings.ReplaceAll(c.path, "{"+p.name+"}", url.PathEscape(fmt.Sprint(v)))
		case p.query != "":
			c.query.Set(p.query, queryValue(p, v))
		case p.body != "" && body != nil:
			setPath(body, p.body, bodyValue(p, v))
		}
	}
	switch t.special {
	case "permissions_add":
		perm, aerr := permissionsBody(params)
		if aerr != nil {
			return nil, aerr
		}
		c.body, _ = json.Marshal(perm)
	case "permission_delete":
		kind, aerr := granteeKind(params["grantee_type"])
		if aerr != nil {
			return nil, aerr
		}
		c.path = strings.ReplaceAll(c.path, "{grantee_kind}", kind)
	}
	if body != nil {
		c.body, _ = json.Marshal(map[string]any{t.wrap: body})
	} else if t.emptyBody {
		c.body = []byte("{}")
	}
	return c, nil
}

// granteeKind gives the path segment (users or groups) for grantee_type.
func granteeKind(v any) (string, *apiError) {
	s, _ := v.(string)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "user", "users":
		return "users", nil
	case "group", "groups":
		return "groups", nil
	}
	return "", invalidArg(fmt.Sprintf("grantee_type must be user or group, not %q", s))
}

func normaliseMode(m string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "allow":
		return "Allow", true
	case "deny":
		return "Deny", true
	}
	return "", false
}

// permissionsBody builds {"permissions":{"granteeCapabilities":[...]}} from
// grantee_id, grantee_type and capabilities.
func permissionsBody(params map[string]any) (any, *apiError) {
	kind, aerr := granteeKind(params["grantee_type"])
	if aerr != nil {
		return nil, aerr
	}
	list, _ := params["capabilities"].([]any)
	if len(list) == 0 {
		return nil, invalidArg("capabilities must list at least one capability")
	}
	caps := make([]any, 0, len(list))
	for i, item := range list {
		var name, mode string
		switch c := item.(type) {
		case string:
			n, m, ok := strings.Cut(c, ":")
			if !ok {
				return nil, invalidArg(fmt.Sprintf("capabilities[%d] must look like Name:Mode, e.g. Read:Allow", i))
			}
			name, mode = strings.TrimSpace(n), m
		case map[string]any:
			name, _ = c["name"].(string)
			mode, _ = c["mode"].(string)
		default:
			return nil, invalidArg(fmt.Sprintf("capabilities[%d] must be an object {name, mode} or a Name:Mode string", i))
		}
		m, ok := normaliseMode(mode)
		if name == "" || !ok {
			return nil, invalidArg(fmt.Sprintf("capabilities[%d] needs a name and a mode Allow or Deny", i))
		}
		caps = append(caps, map[string]any{"name": name, "mode": m})
	}
	grantee := strings.TrimSuffix(kind, "s") // user or group
	return map[string]any{"permissions": map[string]any{"granteeCapabilities": []any{map[string]any{
		grantee:        map[string]any{"id": params["grantee_id"]},
		"capabilities": map[string]any{"capability": caps},
	}}}}, nil
}

func (e *Emulator) runTool(ctx context.Context, t *toolDef, a Account, s *tableauSession, execID string, params map[string]any) (json.RawMessage, *apiError) {
	switch t.special {
	case "signout":
		if aerr := e.signOut(ctx, a, s, execID); aerr != nil {
			return nil, aerr
		}
		return json.RawMessage("{}"), nil
	case "query_view":
		return e.queryView(ctx, a, s, execID, params)
	}
	call, aerr := buildCall(t, params)
	if aerr != nil {
		return nil, aerr
	}
	resp, aerr := e.doTableau(ctx, a, s, execID, func(ctx context.Context, sess signedIn) (*http.Request, error) {
		u := e.apiPath(a, strings.ReplaceAll(call.path, "{site}", url.PathEscape(sess.siteID)))
		if len(call.query) > 0 {
			u += "?" + encodeQuery(call.query)
		}
		var body io.Reader
		if call.body != nil {
			body = bytes.NewReader(call.body)
		}
		req, err := http.NewRequestWithContext(ctx, call.method, u, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		if call.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	})
	if aerr != nil {
		return nil, aerr
	}
	defer resp.Body.Close()
	return answerData(resp, execID)
}

// answerData turns a Tableau answer into execute_tool's data.
func answerData(resp *http.Response, execID string) (json.RawMessage, *apiError) {
	if resp.StatusCode/100 != 2 {
		return nil, tableauError(resp, execID)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxToolAnswer+1))
	if err != nil {
		return nil, toolError(http.StatusServiceUnavailable, execID, "reading Tableau's answer failed: "+err.Error(), "")
	}
	if len(body) > maxToolAnswer {
		return nil, toolError(http.StatusInternalServerError, execID, "Tableau's answer is too large for a tool result; use the proxy", "")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return json.RawMessage("{}"), nil
	}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if (strings.Contains(mt, "json") || mt == "") && json.Valid(trimmed) {
		return json.RawMessage(trimmed), nil
	}
	var out map[string]any
	if strings.HasPrefix(mt, "text/") || strings.Contains(mt, "xml") || strings.Contains(mt, "csv") {
		out = map[string]any{"content_type": ct, "text": string(body)}
	} else {
		out = map[string]any{"content_type": ct, "content_base64": base64.StdEncoding.EncodeToString(body)}
	}
	b, _ := json.Marshal(out)
	return b, nil
}

// jsonArrayParam parses a string parameter that holds a JSON array.
func jsonArrayParam(params map[string]any, name string) ([]any, bool, *apiError) {
	v, ok := params[name]
	if !ok {
		return nil, false, nil
	}
	s, _ := v.(string)
	if strings.TrimSpace(s) == "" {
		return nil, false, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var arr []any
	if err := dec.Decode(&arr); err != nil || dec.More() {
		return nil, false, invalidArg(fmt.Sprintf("parameter %s must be a string holding a JSON array", name))
	}
	return arr, true, nil
}

// queryView runs tableau_query_view against the VizQL Data Service.
func (e *Emulator) queryView(ctx context.Context, a Account, s *tableauSession, execID string, params map[string]any) (json.RawMessage, *apiError) {
	fields, _, aerr := jsonArrayParam(params, "fields")
	if aerr != nil {
		return nil, aerr
	}
	if len(fields) == 0 {
		return nil, invalidArg("parameter fields must list at least one field")
	}
	for i, f := range fields {
		if _, ok := f.(map[string]any); !ok {
			return nil, invalidArg(fmt.Sprintf("fields[%d] must be an object", i))
		}
	}
	filters, hasFilters, aerr := jsonArrayParam(params, "filters")
	if aerr != nil {
		return nil, aerr
	}
	sorts, _, aerr := jsonArrayParam(params, "sort")
	if aerr != nil {
		return nil, aerr
	}
	for i, item := range sorts {
		so, ok := item.(map[string]any)
		if !ok {
			return nil, invalidArg(fmt.Sprintf("sort[%d] must be an object", i))
		}
		caption, _ := so["fieldCaption"].(string)
		if caption == "" {
			return nil, invalidArg(fmt.Sprintf("sort[%d] needs a fieldCaption", i))
		}
		var target map[string]any
		for _, f := range fields {
			fm := f.(map[string]any)
			if fc, _ := fm["fieldCaption"].(string); fc == caption {
				target = fm
				break
			}
			if alias, _ := fm["fieldAlias"].(string); alias == caption {
				target = fm
				break
			}
		}
		if target == nil {
			return nil, invalidArg(fmt.Sprintf("sort[%d] names %q, which is not among fields", i, caption))
		}
		dir, _ := so["sortDirection"].(string)
		if dir == "" {
			dir = "ASC"
		}
		target["sortDirection"] = strings.ToUpper(dir)
		if pr, ok := so["sortPriority"]; ok && pr != nil {
			target["sortPriority"] = pr
		} else {
			target["sortPriority"] = i + 1
		}
	}
	query := map[string]any{"fields": fields}
	if hasFilters {
		query["filters"] = filters
	}
	options := map[string]any{"returnFormat": "OBJECTS"}
	if v, ok := params["max_rows"]; ok {
		n, _ := asInt(v)
		options["rowLimit"] = n
	}
	body, err := json.Marshal(map[string]any{
		"datasource": map[string]any{"datasourceLuid": params["datasource_luid"]},
		"query":      query,
		"options":    options,
	})
	if err != nil {
		return nil, invalidArg("the query could not be encoded")
	}
	resp, aerr := e.doTableau(ctx, a, s, execID, func(ctx context.Context, sess signedIn) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost,
			e.baseURL(a)+"/api/v1/vizql-data-service/query-datasource", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	})
	if aerr != nil {
		return nil, aerr
	}
	defer resp.Body.Close()
	return answerData(resp, execID)
}
