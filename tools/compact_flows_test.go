package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// Tableau answers written from the REST reference (not from the emulator):
// the compact result keeps the members an agent uses, in the forms Tableau
// is documented to send (a lone item as an object, an empty list as {},
// booleans and progress as strings).
func TestCustomViewsAndFlowsAnswerCompactly(t *testing.T) {
	const fl = "0a1b2c3d-0000-4000-8000-000000000001"
	cases := []struct{ tool, args, answer, want string }{
		{"tableau_custom_views_list", `{}`,
			`{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"1"},"customViews":{"customView":[{"id":"c1","name":"West","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-02-01T00:00:00Z","lastAccessedAt":"2025-03-01T00:00:00Z","shared":"true","view":{"id":"v1","name":"Overview"},"workbook":{"id":"w1","name":"Sales"},"owner":{"id":"u1","name":"ann"}}]}}`,
			`{"customViews":[{"id":"c1","name":"West","shared":true,"view":{"id":"v1","name":"Overview"},"workbook":{"id":"w1","name":"Sales"},"owner":{"id":"u1","name":"ann"},"updatedAt":"2025-02-01T00:00:00Z"}],"page":{"number":1,"size":100,"total":1}}`},
		{"tableau_custom_views_list", `{}`, `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"0"}}`,
			`{"customViews":[],"page":{"number":1,"size":100,"total":0}}`},
		{"tableau_custom_view_get", `{"custom_view_id":"` + wb + `"}`,
			`{"customView":{"id":"c1","name":"West","shared":false,"view":{"id":"v1","name":"Overview"},"workbook":{"id":"w1","name":"Sales"},"owner":{"id":"u1","name":"ann"}}}`,
			`{"customView":{"id":"c1","name":"West","shared":false,"view":{"id":"v1","name":"Overview"},"workbook":{"id":"w1","name":"Sales"},"owner":{"id":"u1","name":"ann"}}}`},
		{"tableau_flows_list", `{}`,
			`{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"1"},"flows":{"flow":[{"id":"f1","name":"Clean","description":"","webpageUrl":"https://x/#/flows/1","fileType":"tflx","createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-02-01T00:00:00Z","project":{"id":"p1","name":"Sales"},"owner":{"id":"u1","name":"ann","siteRole":"Creator"},"tags":{"tag":[{"label":"prep"}]},"parameters":{"parameter":[{"id":"x","type":"string","name":"Region"}]}}]}}`,
			`{"flows":[{"id":"f1","name":"Clean","project":{"id":"p1","name":"Sales"},"owner":{"id":"u1","name":"ann"},"tags":["prep"],"updatedAt":"2025-02-01T00:00:00Z"}],"page":{"number":1,"size":100,"total":1}}`},
		{"tableau_flow_get", `{"flow_id":"` + fl + `"}`,
			`{"flow":{"id":"f1","name":"Clean","webpageUrl":"https://x","project":{"id":"p1","name":"Sales"},"owner":{"id":"u1"},"parameters":{"parameter":[{"id":"x","type":"string","name":"Region","value":"West","isRequired":"true","domain":{"domainType":"any"}}]}},"flowOutputSteps":{"flowOutputStep":{"id":"s1","name":"Output"}}}`,
			`{"flow":{"id":"f1","name":"Clean","project":{"id":"p1","name":"Sales"},"owner":{"id":"u1"},"parameters":[{"id":"x","name":"Region","type":"string","value":"West","isRequired":true}],"outputSteps":[{"id":"s1","name":"Output"}]}}`},
		{"tableau_flow_get", `{"flow_id":"` + fl + `"}`, `{"flow":{"id":"f1","name":"Clean"},"flowOutputSteps":{}}`,
			`{"flow":{"id":"f1","name":"Clean","outputSteps":[]}}`},
		{"tableau_flow_runs_list", `{"status":"Failed"}`,
			`{"flowRuns":{"flowRuns":[{"id":"r1","flowId":"f1","status":"Success","startedAt":"a","completedAt":"b","progress":"100","backgroundJobId":"j1"},{"id":"r2","flowId":"f1","status":"Failed","startedAt":"c","progress":"40","backgroundJobId":"j2","flowParameterRuns":{"parameterRuns":[]}}]}}`,
			`{"flowRuns":[{"id":"r2","flowId":"f1","status":"Failed","progress":40,"startedAt":"c","backgroundJobId":"j2"}]}`},
		{"tableau_flow_tasks_list", `{}`,
			`{"tasks":{"task":{"flowRun":{"id":"t1","priority":"50","consecutiveFailedCount":"2","type":"RunFlowTask","schedule":{"id":"s","name":"Nightly","state":"Active","priority":"50","type":"Flow","frequency":"Daily","nextRunAt":"2025-04-01T02:00:00Z"},"flow":{"id":"f1","name":"Clean"}}}}}`,
			`{"tasks":[{"id":"t1","flow":{"id":"f1","name":"Clean"},"consecutiveFailedCount":2,"schedule":{"name":"Nightly","state":"Active","frequency":"Daily","nextRunAt":"2025-04-01T02:00:00Z"}}]}`},
		{"tableau_flow_tasks_list", `{}`, `{"tasks":{}}`, `{"tasks":[]}`},
	}
	for _, c := range cases {
		res := callTool(t, c.tool, c.args, &recorder{answer: json.RawMessage(c.answer)})
		if res.IsError || text(res) != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.tool, c.answer, text(res), c.want)
		}
		raw := callToolIn(t, &Env{Backend: &recorder{answer: json.RawMessage(c.answer)}, Results: ResultsTableau}, c.tool, c.args)
		if c.args == `{}` && text(raw) != c.answer {
			t.Errorf("%s in the tableau results mode changed Tableau's answer: %s", c.tool, text(raw))
		}
	}
}

// Pulse answers in the shapes the Pulse reference gives: lists keep Pulse's
// own paging (next_page_token, total_available, which may be strings).
func TestPulseListsAnswerCompactly(t *testing.T) {
	const def, met = "11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa"
	cases := []struct{ tool, args, answer, want string }{
		{"tableau_pulse_definitions_list", `{}`,
			`{"definitions":[{"metadata":{"id":"` + def + `","name":"Sales","description":"Sum of sales.","schema_version":"1.0","metric_version":"1","definition_version":"1","last_updated_user":{"id":"u"}},"specification":{"datasource":{"id":"ds1"},"basic_specification":{"measure":{"field":"Sales","aggregation":"AGGREGATION_SUM"},"time_dimension":{"field":"Order Date"},"filters":[]},"is_running_total":false},"extension_options":{"allowed_dimensions":["Region"]},"representation_options":{"type":"NUMBER_FORMAT_TYPE_NUMBER"},"insights_options":{"show_insights":true},"comparisons":{"comparisons":[]},"datasource_goals":[],"total_metrics":4}],"next_page_token":"abc","offset":"0","total_available":"12"}`,
			`{"definitions":[{"id":"` + def + `","name":"Sales","description":"Sum of sales.","datasource_id":"ds1","measure":{"field":"Sales","aggregation":"AGGREGATION_SUM"},"time_dimension":"Order Date","total_metrics":4}],"next_page_token":"abc","total_available":12}`},
		{"tableau_pulse_definitions_list", `{"definition_ids":["` + def + `"]}`,
			`{"definitions":[{"metadata":{"id":"` + def + `","name":"Viz"},"specification":{"datasource":{"id":"ds1"},"viz_state_specification":{"viz_state_string":"x"},"is_running_total":true}}]}`,
			`{"definitions":[{"id":"` + def + `","name":"Viz","datasource_id":"ds1","viz_state":true,"is_running_total":true}]}`},
		{"tableau_pulse_metrics_list", `{"definition_id":"` + def + `"}`,
			`{"metrics":[{"id":"` + met + `","definition_id":"` + def + `","datasource_luid":"00000000-0000-0000-0000-000000000000","is_default":false,"is_followed":true,"schema_version":"1.0","metric_version":"1","goals":{"target":{"value":1000}},"specification":{"filters":[{"field":"Region","operator":"OPERATOR_EQUAL","categorical_values":[{"string_value":"West"}]}],"measurement_period":{"granularity":"GRANULARITY_BY_QUARTER","range":"RANGE_LAST_COMPLETE"},"comparison":{"comparison":"TIME_COMPARISON_PREVIOUS_PERIOD"}}}],"total_available":1}`,
			`{"metrics":[{"id":"` + met + `","definition_id":"` + def + `","is_followed":true,"filters":[{"field":"Region","operator":"OPERATOR_EQUAL","categorical_values":[{"string_value":"West"}]}],"granularity":"GRANULARITY_BY_QUARTER","range":"RANGE_LAST_COMPLETE","comparison":"TIME_COMPARISON_PREVIOUS_PERIOD","goal":1000}],"total_available":1}`},
		{"tableau_pulse_metrics_list", `{"metric_ids":["` + met + `"]}`, `{"metrics":[]}`, `{"metrics":[]}`},
	}
	for _, c := range cases {
		res := callTool(t, c.tool, c.args, &recorder{answer: json.RawMessage(c.answer)})
		if res.IsError || text(res) != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.tool, c.args, text(res), c.want)
		}
		raw := callToolIn(t, &Env{Backend: &recorder{answer: json.RawMessage(c.answer)}, Results: ResultsTableau}, c.tool, c.args)
		if text(raw) != c.answer {
			t.Errorf("%s in the tableau results mode changed Pulse's answer: %s", c.tool, text(raw))
		}
	}
}

// The next_page_token a Pulse list answers is what page_token sends back.
func TestPulseDefinitionsPageByToken(t *testing.T) {
	b := &recorder{answer: json.RawMessage(`{"definitions":[],"next_page_token":"","total_available":"0"}`)}
	res := callTool(t, "tableau_pulse_definitions_list", `{"page_token":"abc=="}`, b)
	if res.IsError || len(b.calls) != 1 || b.calls[0].Request.Query.Get("page_token") != "abc==" || b.calls[0].Request.Path != "/pulse/definitions" {
		t.Fatalf("page_token not sent: %s %+v", text(res), b.calls)
	}
	if text(res) != `{"definitions":[],"total_available":0}` {
		t.Errorf("last page answered %s", text(res))
	}
	res = callTool(t, "tableau_pulse_definitions_list", `{"page_token":"abc","definition_ids":["11111111-2222-4333-8444-555555555555"]}`, &recorder{})
	if !res.IsError || !strings.Contains(text(res), "leave it out with definition_ids") {
		t.Errorf("page_token with definition_ids: %s", text(res))
	}
}
