package tableauemu

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// Tableau Pulse (Cloud only) under /api/-/pulse/...: JSON only, snake_case,
// no site in the path. Metric values are computed from the sample data:
// the definition's measure summed over the last complete month before
// sampledata.Today (and the month before it for the comparison), with the
// metric's filters applied. With Config.NoPulse (Tableau Server) every
// Pulse path answers a bare 404, as Server does.

type pulseDefinition struct {
	id, name, description string
	datasource            string // sample dataset name
	measure, timeField    string
	metrics               []*pulseMetric
}

type pulseMetric struct {
	id, definitionID string
	filterField      string
	filterValue      string
}

func (s *site) seedPulse() {
	ds := s.datasourceByName(superstore)
	if ds == nil {
		return
	}
	for _, x := range []struct {
		name, description, measure string
		filters                    []string // "" = no filter, else Field=Value
	}{
		{"Superstore Sales", "Sum of sales by order date.", "Sales", []string{"", "Region=West", "Region=East", "Segment=Consumer"}},
		{"Superstore Profit", "Sum of profit by order date.", "Profit", []string{"", "Category=Technology"}},
		{"Units Sold", "Sum of quantity by order date.", "Quantity", []string{""}},
	} {
		d := &pulseDefinition{id: s.key("pulsedef", x.name), name: x.name, description: x.description,
			datasource: superstore, measure: x.measure, timeField: "Order Date"}
		for _, f := range x.filters {
			m := &pulseMetric{id: s.key("pulsemetric", x.name+"/"+f), definitionID: d.id}
			m.filterField, m.filterValue, _ = strings.Cut(f, "=")
			d.metrics = append(d.metrics, m)
		}
		s.pulse = append(s.pulse, d)
	}
}

func (s *site) pulseDef(id string) *pulseDefinition {
	for _, d := range s.pulse {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (s *site) pulseMetric(id string) (*pulseMetric, *pulseDefinition) {
	for _, d := range s.pulse {
		for _, m := range d.metrics {
			if m.id == id {
				return m, d
			}
		}
	}
	return nil, nil
}

func (c *call) pulseDefJSON(d *pulseDefinition) obj {
	ds := c.site.datasourceByName(d.datasource)
	return obj{
		"metadata": obj{"id": d.id, "name": d.name, "description": d.description,
			"schema_version": "1.0", "metric_version": "1", "definition_version": "1"},
		"specification": obj{
			"datasource": obj{"id": ds.id},
			"basic_specification": obj{
				"measure":        obj{"field": d.measure, "aggregation": "AGGREGATION_SUM"},
				"time_dimension": obj{"field": d.timeField},
				"filters":        []obj{},
			},
			"is_running_total": false,
		},
		"representation_options": obj{"type": "NUMBER_FORMAT_TYPE_NUMBER", "sentiment_type": "SENTIMENT_TYPE_UP_IS_GOOD"},
		"total_metrics":          len(d.metrics),
	}
}

func (c *call) pulseMetricJSON(m *pulseMetric, d *pulseDefinition) obj {
	filters := []obj{}
	if m.filterField != "" {
		filters = append(filters, obj{"field": m.filterField, "operator": "OPERATOR_EQUAL",
			"categorical_values": []obj{{"string_value": m.filterValue}}})
	}
	return obj{
		"id": m.id, "definition_id": d.id, "datasource_luid": c.site.datasourceByName(d.datasource).id,
		"is_default": m.filterField == "", "is_followed": false, "schema_version": "1.0", "metric_version": "1",
		"specification": obj{
			"filters":            filters,
			"measurement_period": obj{"granularity": "GRANULARITY_BY_MONTH", "range": "RANGE_LAST_COMPLETE"},
			"comparison":         obj{"comparison": "TIME_COMPARISON_PREVIOUS_PERIOD"},
		},
	}
}

// dispatchPulse answers /api/-/pulse/...; the session is already checked.
func (e *Emulator) dispatchPulse(c *call, rest []string) {
	c.json = true
	if e.cfg.NoPulse || len(rest) < 2 || rest[0] != "pulse" {
		c.rep = reply{status: http.StatusNotFound, header: http.Header{}}
		return
	}
	if err := e.authenticate(c); err != nil {
		c.fail(err)
		return
	}
	p, m := rest[1:], c.r.Method
	switch {
	case m == "GET" && len(p) == 1 && p[0] == "definitions":
		list := []obj{}
		for _, d := range c.site.pulse {
			list = append(list, c.pulseDefJSON(d))
		}
		c.ok(http.StatusOK, obj{"definitions": list, "next_page_token": "", "offset": "0", "total_available": itoa(len(list))})
	case m == "POST" && len(p) == 1 && p[0] == "definitions:batchGet":
		var req struct {
			IDs []string `json:"definition_ids"`
		}
		if json.Unmarshal(c.body, &req) != nil || len(req.IDs) == 0 {
			c.fail(badRequest("definition_ids must list at least one definition id."))
			return
		}
		list := []obj{}
		for _, id := range req.IDs {
			if d := c.site.pulseDef(id); d != nil {
				list = append(list, c.pulseDefJSON(d))
			}
		}
		c.ok(http.StatusOK, obj{"definitions": list})
	case m == "GET" && len(p) == 3 && p[0] == "definitions" && p[2] == "metrics":
		d := c.site.pulseDef(p[1])
		if d == nil {
			c.fail(newErr(http.StatusNotFound, "404000", fmt.Sprintf("Metric definition '%s' could not be found.", p[1])))
			return
		}
		list := []obj{}
		for _, x := range d.metrics {
			list = append(list, c.pulseMetricJSON(x, d))
		}
		c.ok(http.StatusOK, obj{"metrics": list, "total_available": len(list)})
	case m == "POST" && len(p) == 1 && p[0] == "metrics:batchGet":
		var req struct {
			IDs []string `json:"metric_ids"`
		}
		if json.Unmarshal(c.body, &req) != nil || len(req.IDs) == 0 {
			c.fail(badRequest("metric_ids must list at least one metric id."))
			return
		}
		list := []obj{}
		for _, id := range req.IDs {
			if x, d := c.site.pulseMetric(id); x != nil {
				list = append(list, c.pulseMetricJSON(x, d))
			}
		}
		c.ok(http.StatusOK, obj{"metrics": list})
	case m == "GET" && len(p) == 1 && p[0] == "subscriptions":
		// Every user follows the default metric of each definition.
		list := []obj{}
		if uid := c.q.Get("user_id"); uid == "" || uid == c.user.id {
			for _, d := range c.site.pulse {
				list = append(list, obj{"id": luid("pulsesub/" + c.user.id + "/" + d.metrics[0].id), "metric_id": d.metrics[0].id})
			}
		}
		c.ok(http.StatusOK, obj{"subscriptions": list, "next_page_token": "", "total_available": itoa(len(list))})
	case m == "POST" && len(p) == 2 && p[0] == "insights":
		c.pulseInsights(p[1])
	default:
		c.rep = reply{status: http.StatusNotFound, header: http.Header{}}
	}
}

// pulseInsights answers a bundle request: the metric is read from the
// request as the caller assembled it (definition + metric specification).
func (c *call) pulseInsights(bundle string) {
	switch bundle {
	case "ban", "springboard", "basic", "detail":
	default:
		c.fail(badRequest("Unknown bundle type '%s'; use ban, springboard, basic or detail.", bundle))
		return
	}
	var req struct {
		BundleRequest struct {
			Version int `json:"version"`
			Input   struct {
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
				Metric struct {
					Definition struct {
						Datasource struct {
							ID string `json:"id"`
						} `json:"datasource"`
						BasicSpecification struct {
							Measure struct {
								Field       string `json:"field"`
								Aggregation string `json:"aggregation"`
							} `json:"measure"`
							TimeDimension struct {
								Field string `json:"field"`
							} `json:"time_dimension"`
						} `json:"basic_specification"`
					} `json:"definition"`
					MetricSpecification struct {
						Filters []struct {
							Field  string `json:"field"`
							Values []struct {
								StringValue string `json:"string_value"`
							} `json:"categorical_values"`
						} `json:"filters"`
					} `json:"metric_specification"`
				} `json:"metric"`
			} `json:"input"`
		} `json:"bundle_request"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || req.BundleRequest.Version != 1 {
		c.fail(badRequest("bundle_request with version 1 is required."))
		return
	}
	in := req.BundleRequest.Input.Metric
	spec := in.Definition.BasicSpecification
	if spec.Measure.Aggregation != "AGGREGATION_SUM" || spec.TimeDimension.Field == "" {
		c.fail(badRequest("The emulator computes AGGREGATION_SUM over a time dimension only."))
		return
	}
	var ds *datasource
	for _, d := range c.site.datasources {
		if d.id == in.Definition.Datasource.ID {
			ds = d
		}
	}
	if ds == nil {
		c.fail(badRequest("Data source '%s' could not be found.", in.Definition.Datasource.ID))
		return
	}
	tb, ok := sampledata.Get(ds.name)
	if !ok {
		c.fail(badRequest("Data source '%s' has no data.", ds.name))
		return
	}
	mi, ti := tb.ColumnIndex(spec.Measure.Field), tb.ColumnIndex(spec.TimeDimension.Field)
	if mi < 0 || ti < 0 {
		c.fail(badRequest("Field '%s' or '%s' is not in the data source.", spec.Measure.Field, spec.TimeDimension.Field))
		return
	}
	type cond struct {
		col  int
		vals map[string]bool
	}
	var conds []cond
	for _, f := range in.MetricSpecification.Filters {
		i := tb.ColumnIndex(f.Field)
		if i < 0 {
			c.fail(badRequest("Filter field '%s' is not in the data source.", f.Field))
			return
		}
		k := cond{col: i, vals: map[string]bool{}}
		for _, v := range f.Values {
			k.vals[v.StringValue] = true
		}
		conds = append(conds, k)
	}
	end := time.Date(sampledata.Today().Year(), sampledata.Today().Month(), 1, 0, 0, 0, 0, time.UTC)
	start, prev := end.AddDate(0, -1, 0), end.AddDate(0, -2, 0)
	var cur, before float64
rows:
	for _, r := range tb.Rows {
		for _, k := range conds {
			if s, _ := r[k.col].(string); !k.vals[s] {
				continue rows
			}
		}
		t, ok := r[ti].(time.Time)
		if !ok {
			continue
		}
		v := 0.0
		switch x := r[mi].(type) {
		case float64:
			v = x
		case int64:
			v = float64(x)
		}
		switch {
		case !t.Before(start) && t.Before(end):
			cur += v
		case !t.Before(prev) && t.Before(start):
			before += v
		}
	}
	cur, before = math.Round(cur*100)/100, math.Round(before*100)/100
	diff := math.Round((cur-before)*100) / 100
	rel := 0.0
	if before != 0 {
		rel = diff / math.Abs(before)
	}
	dir := "flat"
	if diff > 0 {
		dir = "up"
	} else if diff < 0 {
		dir = "down"
	}
	name := req.BundleRequest.Input.Metadata.Name
	if name == "" {
		name = spec.Measure.Field
	}
	period := start.Format("January 2006")
	markup := fmt.Sprintf("%s was %s in %s, %s %s (%.1f%%) from %s.", name, fmtNum(cur), period, dir, fmtNum(math.Abs(diff)), 100*math.Abs(rel), prev.Format("January 2006"))
	facts := obj{
		"target_period_value":     obj{"raw": cur, "formatted": fmtNum(cur)},
		"comparison_period_value": obj{"raw": before, "formatted": fmtNum(before)},
		"difference":              obj{"absolute": obj{"raw": diff, "formatted": fmtNum(diff)}, "relative": obj{"raw": rel, "formatted": fmt.Sprintf("%.1f%%", 100*rel)}, "direction": dir},
		"target_time_period":      obj{"label": period, "range": obj{"start": start.Format("2006-01-02"), "end": end.AddDate(0, 0, -1).Format("2006-01-02")}},
	}
	c.ok(http.StatusCreated, obj{"bundle_response": obj{"result": obj{
		"has_errors": false, "characterization": "CHARACTERIZATION_NORMAL",
		"insight_groups": []obj{{"type": bundle, "insights": []obj{{"insight_type": "popc",
			"result": obj{"type": "popc", "version": 1, "markup": markup, "facts": facts}}}, "summaries": []obj{}}},
	}}})
}

func fmtNum(v float64) string { return fmt.Sprintf("%.2f", v) }
