package server_test

import (
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/tableau"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
)

// walkPulse lists the definitions, a definition's metrics, the caller's
// subscriptions, and gets the insight of the West's sales metric, whose
// value is summed here from the raw sample rows: the sales of orders in
// the last complete month before the sample data's today, against the
// month before.
func walkPulse(t *testing.T, s *Session) {
	t.Helper()
	defs := List(s.OK("tableau_pulse_definitions_list", nil), "definitions")
	var salesDef string
	for _, d := range defs {
		if Str(d, "name") == "Superstore Sales" {
			salesDef = Str(d, "id")
			if Str(d, "measure", "field") != "Sales" || Str(d, "time_dimension") != "Order Date" || Str(d, "datasource_id") == "" {
				t.Errorf("definition %v lacks its measure, time dimension or data source", d)
			}
		}
	}
	if salesDef == "" {
		t.Fatalf("no Superstore Sales definition among %d", len(defs))
	}
	if got := List(s.OK("tableau_pulse_definitions_list", args{"definition_ids": []any{salesDef}}), "definitions"); len(got) != 1 {
		t.Errorf("definitions by id gave %d", len(got))
	}
	metrics := List(s.OK("tableau_pulse_metrics_list", args{"definition_id": salesDef}), "metrics")
	var west string
	for _, m := range metrics {
		if m["definition_id"] != salesDef {
			t.Errorf("metric of definition %v listed under %s", m["definition_id"], salesDef)
		}
		if m["granularity"] == nil || m["comparison"] == nil {
			t.Errorf("metric %v lacks its period or comparison", m)
		}
		for _, f := range List(m, "filters") {
			vals, _ := f["categorical_values"].([]any)
			if f["field"] == "Region" && len(vals) == 1 && vals[0].(map[string]any)["string_value"] == "West" {
				west = m["id"].(string)
			}
		}
	}
	if west == "" {
		t.Fatal("no metric of the West region")
	}
	if got := List(s.OK("tableau_pulse_metrics_list", args{"metric_ids": []any{west}}), "metrics"); len(got) != 1 {
		t.Errorf("metrics by id gave %d", len(got))
	}
	s.Fail("tableau_pulse_metrics_list", args{}, "definition_id")
	subs := List(s.OK("tableau_pulse_subscriptions_list", nil), "subscriptions")
	if len(subs) == 0 || subs[0]["metric_id"] == nil {
		t.Errorf("subscriptions %v", subs)
	}

	tb := superstore(t)
	region, sales, ordered := col(t, tb, "Region"), col(t, tb, "Sales"), col(t, tb, "Order Date")
	end := time.Date(sampledata.Today().Year(), sampledata.Today().Month(), 1, 0, 0, 0, 0, time.UTC)
	start, prev := end.AddDate(0, -1, 0), end.AddDate(0, -2, 0)
	var cur, before float64
	for _, r := range tb.Rows {
		if region(r) != "West" {
			continue
		}
		d := day(ordered(r))
		if !d.Before(start) && d.Before(end) {
			cur += num(sales(r))
		} else if !d.Before(prev) && d.Before(start) {
			before += num(sales(r))
		}
	}
	in := s.OK("tableau_pulse_insights_get", args{"metric_id": west})
	value, _ := in["value"].(float64)
	previous, _ := in["previous_value"].(float64)
	if math.Abs(value-cur) > 0.01 || math.Abs(previous-before) > 0.01 {
		t.Errorf("insight value %v (previous %v); summed from the sample rows %.2f (previous %.2f)", in["value"], in["previous_value"], cur, before)
	}
	if change, _ := in["change"].(float64); math.Abs(change-(cur-before)) > 0.02 {
		t.Errorf("change %v, want %.2f", in["change"], cur-before)
	}
	texts, _ := in["insights"].([]any)
	if len(texts) == 0 || in["period"] != start.Format("January 2006") {
		t.Errorf("insight %v", in)
	}
}

// On Tableau Server, which answers the Pulse paths with a bare 404, every
// Pulse tool says that Pulse is a Tableau Cloud feature.
func TestPulseOnTableauServerSaysItIsACloudFeature(t *testing.T) {
	tab, _ := demo.NewSite(tableauemu.Config{NoPulse: true})
	hs := httptest.NewServer(tab)
	t.Cleanup(hs.Close)
	pat := tab.DefaultPAT()
	b, err := tableau.New(tableau.Config{ServerURL: hs.URL, Site: pat.SiteContentURL, PATName: pat.Name, PATSecret: pat.Secret})
	if err != nil {
		t.Fatal(err)
	}
	s := rigSession(t, b, "")
	for name, a := range map[string]args{
		"tableau_pulse_definitions_list":   nil,
		"tableau_pulse_metrics_list":       {"definition_id": unknownID},
		"tableau_pulse_subscriptions_list": nil,
		"tableau_pulse_insights_get":       {"metric_id": unknownID},
	} {
		s.Fail(name, a, "Pulse is a Tableau Cloud feature")
	}
}
