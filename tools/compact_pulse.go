package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"
)

// Compact shapes of Pulse answers. Pulse is not REST-paged: its lists carry
// next_page_token and total_available, which the compact answer keeps
// beside the items. Members keep Pulse's snake_case names.

// zeroLUID is a metric's data source when Pulse does not say it.
const zeroLUID = "00000000-0000-0000-0000-000000000000"

type pulseField struct {
	Field       string `json:"field"`
	Aggregation string `json:"aggregation,omitempty"`
}

// cPulseDefinition flattens a definition's metadata and specification.
type cPulseDefinition struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	DatasourceID  string            `json:"datasource_id,omitempty"`
	Measure       *pulseField       `json:"measure,omitempty"`
	TimeDimension string            `json:"time_dimension,omitempty"`
	Filters       []json.RawMessage `json:"filters,omitempty"`
	VizState      bool              `json:"viz_state,omitempty"` // defined by a viz, not a measure
	RunningTotal  bool              `json:"is_running_total,omitempty"`
	TotalMetrics  count             `json:"total_metrics,omitempty"`
}

func (d *cPulseDefinition) UnmarshalJSON(b []byte) error {
	var w struct {
		Metadata struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"metadata"`
		Spec struct {
			Datasource struct {
				ID string `json:"id"`
			} `json:"datasource"`
			Basic *struct {
				Measure       *pulseField       `json:"measure"`
				TimeDimension pulseField        `json:"time_dimension"`
				Filters       []json.RawMessage `json:"filters"`
			} `json:"basic_specification"`
			VizState     json.RawMessage `json:"viz_state_specification"`
			RunningTotal bool            `json:"is_running_total"`
		} `json:"specification"`
		TotalMetrics count `json:"total_metrics"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = cPulseDefinition{ID: w.Metadata.ID, Name: w.Metadata.Name, Description: w.Metadata.Description,
		DatasourceID: w.Spec.Datasource.ID, VizState: len(w.Spec.VizState) > 0 && string(w.Spec.VizState) != "null",
		RunningTotal: w.Spec.RunningTotal, TotalMetrics: w.TotalMetrics}
	if bs := w.Spec.Basic; bs != nil {
		d.Measure, d.TimeDimension, d.Filters = bs.Measure, bs.TimeDimension.Field, bs.Filters
	}
	return nil
}

// cPulseMetric flattens a metric's specification.
type cPulseMetric struct {
	ID           string            `json:"id"`
	DefinitionID string            `json:"definition_id"`
	DatasourceID string            `json:"datasource_id,omitempty"` // left out when Pulse gives the zero id
	IsDefault    bool              `json:"is_default,omitempty"`
	IsFollowed   bool              `json:"is_followed,omitempty"`
	Filters      []json.RawMessage `json:"filters,omitempty"`
	Granularity  string            `json:"granularity,omitempty"`
	Range        string            `json:"range,omitempty"`
	Comparison   string            `json:"comparison,omitempty"`
	Goal         json.RawMessage   `json:"goal,omitempty"`
}

func (m *cPulseMetric) UnmarshalJSON(b []byte) error {
	var w struct {
		ID           string `json:"id"`
		DefinitionID string `json:"definition_id"`
		Datasource   string `json:"datasource_luid"`
		IsDefault    flag   `json:"is_default"`
		IsFollowed   flag   `json:"is_followed"`
		Spec         struct {
			Filters []json.RawMessage `json:"filters"`
			Period  struct {
				Granularity string `json:"granularity"`
				Range       string `json:"range"`
			} `json:"measurement_period"`
			Comparison struct {
				Comparison string `json:"comparison"`
			} `json:"comparison"`
		} `json:"specification"`
		Goals struct {
			Target struct {
				Value json.RawMessage `json:"value"`
			} `json:"target"`
		} `json:"goals"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = cPulseMetric{ID: w.ID, DefinitionID: w.DefinitionID, DatasourceID: w.Datasource,
		IsDefault: bool(w.IsDefault), IsFollowed: bool(w.IsFollowed), Filters: w.Spec.Filters,
		Granularity: w.Spec.Period.Granularity, Range: w.Spec.Period.Range, Comparison: w.Spec.Comparison.Comparison,
		Goal: w.Goals.Target.Value}
	if m.DatasourceID == zeroLUID {
		m.DatasourceID = ""
	}
	return nil
}

type cPulseSubscription struct {
	ID       string `json:"id"`
	MetricID string `json:"metric_id"`
}

// pulseList makes a Pulse list answer compact:
// {"<key>":[...],"next_page_token"?:"...","total_available"?:n}.
func pulseList[T any](raw json.RawMessage, key string) (*mcp.CallToolResult, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("the Pulse answer is not the JSON expected: %v", err)
	}
	items := []T{}
	if v, ok := doc[key]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &items); err != nil {
			return nil, fmt.Errorf("the Pulse answer is not the JSON expected: %v", err)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	fmt.Fprintf(&b, `{"%s":`, key)
	if err := enc.Encode(items); err != nil {
		return nil, err
	}
	b.Truncate(b.Len() - 1)
	var next string
	if json.Unmarshal(doc["next_page_token"], &next) == nil && next != "" {
		b.WriteString(`,"next_page_token":`)
		b.WriteString(strconv.Quote(next))
	}
	var total count
	if v, ok := doc["total_available"]; ok && total.UnmarshalJSON(v) == nil {
		fmt.Fprintf(&b, `,"total_available":%d`, total)
	}
	b.WriteByte('}')
	return mcp.NewToolResultText(b.String()), nil
}

// pulsePaging is how the results document shows Pulse's paging.
const pulsePaging = `"next_page_token"?,"total_available"?`

func pulseShape[T any](key string) *resultShape {
	return &resultShape{key: key, item: reflect.TypeFor[T](), list: true, paging: pulsePaging}
}
