package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"regexp"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Tableau Pulse (Tableau Cloud only): metric definitions, their metrics,
// the caller's subscriptions, and a metric's insight (value, change over
// the period, Tableau's sentences). Pulse lives at /api/-/pulse, JSON only.

// PulseDefinitionsArgs are the arguments of tableau_pulse_definitions_list.
type PulseDefinitionsArgs struct {
	DefinitionIDs []string `json:"definition_ids,omitempty" jsonschema:"maxItems=100" jsonschema_description:"Only these definitions; all when absent."`
	PulsePage
}

// PulsePage pages a Pulse list the way Pulse does, by token.
type PulsePage struct {
	PageToken string `json:"page_token,omitempty" jsonschema:"maxLength=2000" jsonschema_description:"The next_page_token of the previous answer."`
}

func (p PulsePage) query() map[string][]string {
	if p.PageToken == "" {
		return nil
	}
	return map[string][]string{"page_token": {p.PageToken}}
}

// Validate checks the ids' form.
func (a PulseDefinitionsArgs) Validate() error {
	if len(a.DefinitionIDs) > 0 && a.PageToken != "" {
		return errors.New("page_token pages the list of all definitions; leave it out with definition_ids")
	}
	return luids("definition_ids", a.DefinitionIDs)
}

// PulseMetricsArgs are the arguments of tableau_pulse_metrics_list.
type PulseMetricsArgs struct {
	DefinitionID string   `json:"definition_id,omitempty" jsonschema_description:"The metrics of this definition (tableau_pulse_definitions_list)."`
	MetricIDs    []string `json:"metric_ids,omitempty" jsonschema:"maxItems=100" jsonschema_description:"Or these metrics, e.g. from tableau_pulse_subscriptions_list."`
}

// Validate asks for exactly one of the two.
func (a PulseMetricsArgs) Validate() error {
	if (a.DefinitionID == "") == (len(a.MetricIDs) == 0) {
		return errors.New("give either definition_id or metric_ids, not both and not neither")
	}
	return luids("metric_ids", a.MetricIDs)
}

// PulseInsightArgs are the arguments of tableau_pulse_insights_get.
type PulseInsightArgs struct {
	MetricID   string `json:"metric_id" jsonschema:"required" jsonschema_description:"From tableau_pulse_metrics_list."`
	BundleType string `json:"bundle_type,omitempty" jsonschema:"enum=ban,enum=springboard,enum=basic,enum=detail" jsonschema_description:"ban (default): the value and its change; detail: more insights."`
}

func luids(param string, ids []string) error {
	for _, id := range ids {
		if !backend.IsLUID(id) {
			return fmt.Errorf("%s: %q is not a Pulse id (a 36-character UUID)", param, clip(id))
		}
	}
	return nil
}

// pulseErr says what a Pulse failure means: Tableau Server answers every
// Pulse path with a bare 404, and a Cloud site can have Pulse turned off.
func pulseErr(err error) error {
	var ae *backend.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Status == http.StatusNotFound && ae.Code == "":
		return &backend.UserError{Msg: "Pulse is a Tableau Cloud feature: this Tableau site does not serve it (Tableau Server has no Pulse)."}
	case ae.Status == http.StatusBadRequest && strings.Contains(ae.Detail+ae.Summary, "0xd3408984"):
		return &backend.UserError{Msg: "Pulse is turned off on this Tableau Cloud site; a site administrator can turn it on."}
	}
	return err
}

func pulseCall(ctx context.Context, env *Env, t Tool, args any, req backend.Request) (json.RawMessage, error) {
	req.Scope = backend.UnversionedScope
	req.Path = "/pulse" + req.Path
	raw, err := env.Backend.Invoke(ctx, t.call(args, req))
	return raw, pulseErr(err)
}

// pulseTool declares a Pulse list tool answering {"<key>":[...]}, made
// compact as T, or Pulse's JSON in the tableau results mode.
func pulseTool[A any, T any](t Tool, key string, build func(a *A) backend.Request) Tool {
	t.result = pulseShape[T](key)
	return define(t, func(ctx context.Context, env *Env, a *A) (*mcp.CallToolResult, error) {
		raw, err := pulseCall(ctx, env, t, a, build(a))
		if err != nil {
			return nil, err
		}
		if !env.compact() {
			return jsonResult(raw), nil
		}
		return pulseList[T](raw, key)
	})
}

func batchGet(what string, body any) backend.Request {
	return backend.Request{Method: http.MethodPost, Path: "/" + what + ":batchGet", Body: body}
}

var markupTag = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`<[^>]*>`) }}

// insights renders the bundle answer as text a model can quote.
func insightsResult(metric map[string]any, def map[string]any, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var doc struct {
		Response struct {
			Result struct {
				HasErrors bool `json:"has_errors"`
				Groups    []struct {
					Type     string `json:"type"`
					Insights []struct {
						Type   string         `json:"insight_type"`
						Result map[string]any `json:"result"`
					} `json:"insights"`
				} `json:"insight_groups"`
			} `json:"result"`
		} `json:"bundle_response"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("the insight answer is not the JSON expected: %v", err)
	}
	out := map[string]any{"metric_id": metric["id"], "definition_id": metric["definition_id"]}
	if md, ok := def["metadata"].(map[string]any); ok {
		out["name"] = md["name"]
	}
	var texts []string
	for _, g := range doc.Response.Result.Groups {
		for _, in := range g.Insights {
			if m, _ := in.Result["markup"].(string); m != "" {
				texts = append(texts, strings.TrimSpace(markupTag.Get().ReplaceAllString(m, "")))
			}
			facts, _ := in.Result["facts"].(map[string]any)
			if facts == nil || out["value"] != nil {
				continue
			}
			val := func(k string) any {
				m, _ := facts[k].(map[string]any)
				return m["raw"]
			}
			out["value"], out["previous_value"] = val("target_period_value"), val("comparison_period_value")
			if d, ok := facts["difference"].(map[string]any); ok {
				abs, _ := d["absolute"].(map[string]any)
				rel, _ := d["relative"].(map[string]any)
				out["change"], out["change_relative"], out["direction"] = abs["raw"], rel["raw"], d["direction"]
			}
			if p, ok := facts["target_time_period"].(map[string]any); ok {
				out["period"] = p["label"]
			}
		}
	}
	out["insights"] = texts
	if doc.Response.Result.HasErrors {
		out["note"] = "Tableau reported errors generating some insights."
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return mcp.NewToolResultText(string(b)), nil
}

func firstOf(raw json.RawMessage, key string) (map[string]any, error) {
	var doc map[string][]map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("the Pulse answer is not the JSON expected: %v", err)
	}
	if len(doc[key]) == 0 {
		return nil, nil
	}
	return doc[key][0], nil
}

func pulseTools() []Tool {
	return []Tool{
		pulseTool[PulseDefinitionsArgs, cPulseDefinition](Tool{
			Name: "tableau_pulse_definitions_list", Title: "List Pulse metric definitions", Kind: Read, Idempotent: true, Source: New, Toolset: "pulse",
			Description: "List Pulse metric definitions (Tableau Cloud): id, name, data source, measure, time dimension.",
		}, "definitions", func(a *PulseDefinitionsArgs) backend.Request {
			if len(a.DefinitionIDs) > 0 {
				return batchGet("definitions", map[string]any{"definition_ids": a.DefinitionIDs})
			}
			return backend.Request{Method: http.MethodGet, Path: "/definitions", Query: a.query()}
		}),
		pulseTool[PulseMetricsArgs, cPulseMetric](Tool{
			Name: "tableau_pulse_metrics_list", Title: "List Pulse metrics", Kind: Read, Idempotent: true, Source: New, Toolset: "pulse",
			Description: "List Pulse metrics of a definition, or by id: id, filters, period, comparison.",
		}, "metrics", func(a *PulseMetricsArgs) backend.Request {
			if a.DefinitionID != "" {
				return backend.Request{Method: http.MethodGet, Path: backend.Segments("definitions", a.DefinitionID, "metrics")}
			}
			return batchGet("metrics", map[string]any{"metric_ids": a.MetricIDs})
		}),
		define(Tool{
			result: pulseShape[cPulseSubscription]("subscriptions"),
			Name:   "tableau_pulse_subscriptions_list", Title: "List my Pulse subscriptions", Kind: Read, Idempotent: true, Source: New, Toolset: "pulse",
			Description: "List the Pulse metrics you follow: subscription id and metric_id.",
		}, func(ctx context.Context, env *Env, a *PulsePage) (*mcp.CallToolResult, error) {
			t := Tool{Name: "tableau_pulse_subscriptions_list", Idempotent: true, Source: New}
			raw, err := env.Backend.Invoke(ctx, t.call(NoArgs{}, get(backend.APIScope, "/sessions/current", nil)))
			if err != nil {
				return nil, err
			}
			var s struct {
				Session struct {
					User struct {
						ID string `json:"id"`
					} `json:"user"`
				} `json:"session"`
			}
			if json.Unmarshal(raw, &s) != nil || s.Session.User.ID == "" {
				return nil, errors.New("could not read the signed-in user from the session")
			}
			q := map[string][]string{"user_id": {s.Session.User.ID}}
			if a.PageToken != "" {
				q["page_token"] = []string{a.PageToken}
			}
			raw, err = pulseCall(ctx, env, t, a, backend.Request{Method: http.MethodGet, Path: "/subscriptions", Query: q})
			if err != nil {
				return nil, err
			}
			if !env.compact() {
				return jsonResult(raw), nil
			}
			return pulseList[cPulseSubscription](raw, "subscriptions")
		}),
		define(Tool{
			Name: "tableau_pulse_insights_get", Title: "Get a Pulse metric's insights", Kind: Read, Idempotent: true, Source: New, Toolset: "pulse",
			Description: "Get a Pulse metric's current value, its change from the previous period, and Tableau's insights as sentences.",
		}, func(ctx context.Context, env *Env, a *PulseInsightArgs) (*mcp.CallToolResult, error) {
			t := Tool{Name: "tableau_pulse_insights_get", Idempotent: true, Source: New}
			raw, err := pulseCall(ctx, env, t, a, batchGet("metrics", map[string]any{"metric_ids": []string{a.MetricID}}))
			if err != nil {
				return nil, err
			}
			metric, err := firstOf(raw, "metrics")
			if err != nil {
				return nil, err
			}
			if metric == nil {
				return nil, &backend.UserError{Msg: fmt.Sprintf("tableau_pulse_insights_get: no Pulse metric %s; get one from tableau_pulse_metrics_list", a.MetricID)}
			}
			defID, _ := metric["definition_id"].(string)
			raw, err = pulseCall(ctx, env, t, a, batchGet("definitions", map[string]any{"definition_ids": []string{defID}}))
			if err != nil {
				return nil, err
			}
			def, err := firstOf(raw, "definitions")
			if err != nil || def == nil {
				return nil, fmt.Errorf("the definition %s of metric %s could not be read: %v", defID, a.MetricID, err)
			}
			spec, _ := def["specification"].(map[string]any)
			md, _ := def["metadata"].(map[string]any)
			metricDef := map[string]any{"datasource": spec["datasource"], "basic_specification": spec["basic_specification"],
				"is_running_total": spec["is_running_total"]}
			if v, ok := spec["viz_state_specification"]; ok {
				metricDef["viz_state_specification"] = v
			}
			m := map[string]any{"definition": metricDef, "metric_specification": metric["specification"]}
			for _, k := range []string{"extension_options", "representation_options", "insights_options"} {
				if v, ok := def[k]; ok {
					m[k] = v
				}
			}
			if g, ok := metric["goals"]; ok {
				m["goals"] = g
			}
			bundle := a.BundleType
			if bundle == "" {
				bundle = "ban"
			}
			body := map[string]any{"bundle_request": map[string]any{
				"version": 1,
				"options": map[string]any{"output_format": "OUTPUT_FORMAT_TEXT", "time_zone": "UTC", "language": "LANGUAGE_EN_US", "locale": "LOCALE_EN_US"},
				"input": map[string]any{
					"metadata": map[string]any{"name": md["name"], "metric_id": a.MetricID, "definition_id": defID},
					"metric":   m,
				},
			}}
			raw, err = pulseCall(ctx, env, t, a, backend.Request{Method: http.MethodPost, Path: backend.Segments("insights", bundle), Body: body})
			if err != nil {
				return nil, err
			}
			return insightsResult(metric, def, raw)
		}),
	}
}
