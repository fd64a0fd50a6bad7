package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// MetadataGetArgs are the arguments of tableau_datasource_metadata_get.
type MetadataGetArgs struct {
	DatasourceLUID string `json:"datasource_luid" jsonschema:"required" jsonschema_description:"From tableau_datasources_list."`
}

func queryTools() []Tool {
	return []Tool{
		define(Tool{
			Name: "tableau_datasource_metadata_get", Title: "Read a data source's fields", Kind: Read, Idempotent: true, Source: New, Toolset: "query",
			Description: "List a data source's fields before querying it: caption (the name tableau_query_view takes), data type, role, default aggregation.",
		}, func(ctx context.Context, env *Env, a *MetadataGetArgs) (*mcp.CallToolResult, error) {
			raw, err := env.Backend.Invoke(ctx, readMetadataCall(a.DatasourceLUID))
			if err != nil {
				return nil, err
			}
			md, err := parseMetadata(raw)
			if err != nil {
				return nil, err
			}
			env.Metadata.put(metadataKey(ctx, env.Backend, a.DatasourceLUID), md)
			return jsonValue(md.compact(a.DatasourceLUID))
		}),
		define(Tool{
			Name: "tableau_query_view", Title: "Query a data source", Kind: Read, Idempotent: true, Source: Seed, Toolset: "query",
			Description: "Query a published data source for rows, e.g. sales by region: fields [{\"fieldCaption\":\"Region\"},{\"fieldCaption\":\"Sales\",\"function\":\"SUM\"}]. " +
				"Guide: resource tableau://docs/query.",
		}, runQuery),
	}
}

// runQuery checks the query, sends it and shapes the answer.
func runQuery(ctx context.Context, env *Env, a *QueryViewArgs) (*mcp.CallToolResult, error) {
	backend.Progress(ctx, 0, 2, "checking the query against the data source's fields")
	var md *dsMetadata
	if !env.SkipQueryCheck {
		m, err := metadata(ctx, env, a.DatasourceLUID)
		switch {
		case err == nil:
			if err := checkQuery(m, a); err != nil {
				return nil, err
			}
			md = m
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			// The query itself will meet the same cause, if any, and its
			// error is the one to explain; a check that cannot run must
			// not block it.
			env.logger(ctx).Info("query check skipped: the metadata could not be read", zap.Error(err))
		}
	}
	limit := a.rowLimit()
	var notes []string
	if md != nil {
		if bare := bareMeasures(md, a.query); len(bare) > 0 {
			notes = append(notes, bareMeasureNote(bare))
			if a.MaxRows == 0 {
				limit = bareMeasureRows
			}
		}
	}
	backend.Progress(ctx, 1, 2, "querying the data source")
	raw, err := env.Backend.Invoke(ctx, a.call(limit))
	if err != nil {
		if isUnknownField(err) {
			env.Metadata.drop(metadataKey(ctx, env.Backend, a.DatasourceLUID))
		}
		return nil, err
	}
	backend.Progress(ctx, 2, 2, "rows received")
	ans, err := queryResult(raw, limit, a.MaxRows > 0)
	if err != nil {
		return nil, err
	}
	if ans.Truncated && limit != a.rowLimit() {
		ans.Note = fmt.Sprintf("Only the first %d rows are shown until then; more exist.", limit)
	}
	if md != nil {
		notes = append(notes, setValueNotes(ctx, env, md, a)...)
	}
	if ans.Note != "" {
		notes = append(notes, ans.Note)
	}
	ans.Note = strings.Join(notes, " ")
	return jsonValue(ans)
}

// bareMeasureRows is the answer's size when a measure lacks its function
// and the caller chose no max_rows: enough rows to see the mistake, few
// enough not to pay for it.
const bareMeasureRows = 20

func bareMeasureNote(bare []*fieldMeta) string {
	var parts []string
	for _, m := range bare {
		fn := m.DefaultAggregation
		if !contains(aggregateFunctions, fn) {
			fn = "SUM"
		}
		parts = append(parts, fmt.Sprintf("'%s' is a measure queried without a function, so each of its distinct values is a row; add \"function\":\"%s\" to aggregate it", m.FieldCaption, fn))
	}
	return strings.Join(parts, "; ") + "."
}

// call builds the backend call. One row more than max_rows is asked for,
// so that the answer can say for certain whether the limit cut it.
func (a *QueryViewArgs) call(limit int) backend.Call {
	probe := limit + 1
	query := map[string]any{"fields": a.query}
	if len(a.Filters) > 0 {
		query["filters"] = []Filter(a.Filters)
	}
	if len(a.Parameters) > 0 {
		query["parameters"] = []Parameter(a.Parameters)
	}
	body := map[string]any{
		"datasource": map[string]any{"datasourceLuid": a.DatasourceLUID},
		"query":      query,
		"options":    map[string]any{"returnFormat": "OBJECTS", "rowLimit": probe, "disaggregate": false},
	}
	// Scalekit's connector takes fields and filters as strings holding JSON
	// arrays; the sort is already merged into the fields.
	params := map[string]any{
		"datasource_luid": a.DatasourceLUID,
		"fields":          compactJSON(a.query),
		"max_rows":        probe,
	}
	if len(a.Filters) > 0 {
		params["filters"] = compactJSON([]Filter(a.Filters))
	}
	// Scalekit's connector takes no parameters: a query setting them goes
	// over the proxy as the service's own request.
	return backend.Call{
		Tool: "tableau_query_view", Forward: len(a.Parameters) == 0, Params: params,
		Request: backend.Request{Method: http.MethodPost, Scope: backend.VDSScope, Path: "/query-datasource", Body: body},
	}
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// queryAnswer is the tool's result.
type queryAnswer struct {
	RowCount  int               `json:"rowCount"`
	Truncated bool              `json:"truncated"`
	Note      string            `json:"note,omitempty"`
	Rows      []json.RawMessage `json:"rows"`
}

// queryResult reads the service's {"data":[...]} (rows kept byte for byte,
// so their keys stay in field order) and trims the probe row. chosen says
// the caller set max_rows: a cut is then what it asked for.
func queryResult(raw json.RawMessage, limit int, chosen bool) (*queryAnswer, error) {
	var out struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("the VizQL Data Service's answer is not in the documented form {\"data\":[...]}: %v", err)
	}
	ans := queryAnswer{Rows: out.Data}
	if ans.Rows == nil {
		ans.Rows = []json.RawMessage{}
	}
	if len(ans.Rows) > limit {
		ans.Rows = ans.Rows[:limit]
		ans.Truncated = true
		if chosen {
			ans.Note = fmt.Sprintf("Cut at max_rows=%d as asked: more rows exist.", limit)
		} else {
			ans.Note = fmt.Sprintf("The answer was cut at max_rows=%d: more rows exist. Raise max_rows (up to %d), add filters, or aggregate more (fewer dimensions, coarser dates such as YEAR or TRUNC_MONTH, or a TOP filter).", limit, maxMaxRows)
		}
	}
	ans.RowCount = len(ans.Rows)
	if ans.RowCount == 0 {
		ans.Note = "No rows matched. SET values must equal the field's members exactly (query the dimension alone to list them); check date ranges and relative dates too."
	}
	for i, r := range ans.Rows {
		var buf bytes.Buffer
		if json.Compact(&buf, r) == nil {
			ans.Rows[i] = buf.Bytes()
		}
	}
	return &ans, nil
}

func jsonValue(v any) (*mcp.CallToolResult, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return mcp.NewToolResultText(string(b)), nil
}

// isUnknownField tells an unknown-field answer: 404934 as documented, or
// 400803 "Unknown Field: X." as the live service has also answered.
func isUnknownField(err error) bool {
	var ae *backend.APIError
	return errors.As(err, &ae) && (ae.Code == "404934" || strings.Contains(strings.ToLower(ae.Summary+" "+ae.Detail), "unknown field"))
}

// vdsHint says what to do about a VizQL Data Service error code.
func vdsHint(ae *backend.APIError) string {
	const fields = "Call tableau_datasource_metadata_get for the exact field captions and types."
	switch {
	case isUnknownField(ae):
		return "A field caption is not in the data source (captions are case-sensitive). " + fields
	case ae.Code == "400803":
		return "The query is well-formed but invalid for this data source (for example a function that does not fit the field's type, or a filter missing a member); fix what the message names. " + fields
	case ae.Code == "400802":
		return "The query does not follow the VizQL Data Service's schema (a member name, a type or an enum value is wrong); compare it with the tool's input schema."
	case ae.Code == "400800":
		return "The calculation was refused; check its syntax, or query the data source's fields instead."
	case ae.Code == "400804":
		return "The answer is too large; lower max_rows, aggregate more (fewer dimensions, coarser dates) or add filters."
	case ae.Code == "403800":
		return "The signed-in user lacks the API Access capability (VizqlDataApiAccess) on this data source; its owner or a site administrator can grant it in the data source's permissions. Retrying will not help."
	case ae.Code == "403157":
		return "The VizQL Data Service is not available here: it is disabled on the site, or the server is older than Tableau Server 2023.1 (Tableau Cloud has it). Retrying will not help."
	case ae.Code == "408000":
		return "The query timed out; narrow it: filter to a shorter period, use fewer dimensions or coarser dates (YEAR or MONTH instead of DAY)."
	case ae.Code == "429000" || ae.Status == http.StatusTooManyRequests:
		return "The VizQL Data Service is rate limiting requests; wait a little before retrying, and prefer fewer, more aggregated queries."
	case ae.Code == "401002":
		return "Tableau rejected the session token even after signing in again; the credentials may be revoked or expired."
	case ae.Status == http.StatusNotFound:
		return "The data source was not found, or it is not a published data source the VizQL Data Service can query. Get datasource_luid from tableau_datasources_list (datasources.datasource[].id)."
	case ae.Status == http.StatusBadRequest:
		return "The VizQL Data Service rejected the query; fix what the message names. " + fields
	}
	return ""
}
