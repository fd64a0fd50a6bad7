package tools

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Compact shapes of custom views and Tableau Prep flows. None of their
// list methods takes fields=, so the compact answer keeps what the
// default answer carries that an agent uses.

type cCustomView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Shared    flag   `json:"shared"`
	View      *cRef  `json:"view,omitempty"`
	Workbook  *cRef  `json:"workbook,omitempty"` // the scope reads workbook.id
	Owner     *cRef  `json:"owner,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
}

type cFlow struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Project     *cRef   `json:"project,omitempty"` // the scope reads project.id
	Owner       *cRef   `json:"owner,omitempty"`
	Tags        tagList `json:"tags,omitempty"`
	UpdatedAt   string  `json:"updatedAt,omitempty"`
}

// cFlowParam is one of a flow's parameters.
type cFlowParam struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type,omitempty"`
	Value      string `json:"value,omitempty"`
	IsRequired flag   `json:"isRequired,omitempty"`
}

// flowParams reads {"parameter":[...]} and writes the array.
type flowParams []cFlowParam

func (p *flowParams) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var w struct {
		Parameter oneOrMany[cFlowParam] `json:"parameter"`
	}
	if jsonv2.Unmarshal(raw, &w, readOpts) != nil {
		return nil // an unexpected form is left out, not fatal
	}
	*p = flowParams(w.Parameter)
	return nil
}

func (p *flowParams) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, p, readOpts) }

// cFlowDetail is tableau_flow_get's flow: the list's members, its
// parameters, and the output steps Tableau answers beside the flow.
type cFlowDetail struct {
	cFlow
	Parameters  flowParams `json:"parameters,omitempty"`
	OutputSteps []cRef     `json:"outputSteps"`
}

type cFlowRun struct {
	ID              string `json:"id"`
	FlowID          string `json:"flowId"` // the scope reads it
	Status          string `json:"status"`
	Progress        count  `json:"progress"`
	StartedAt       string `json:"startedAt,omitempty"`
	CompletedAt     string `json:"completedAt,omitempty"`
	BackgroundJobID string `json:"backgroundJobId,omitempty"`
}

// cFlowTask flattens tasks.task[].flowRun.
type cFlowTask struct {
	FlowRun struct {
		ID       string `json:"id"`
		Flow     *cRef  `json:"flow,omitempty"` // the scope reads flow.id
		Failed   count  `json:"consecutiveFailedCount,omitempty"`
		Schedule *struct {
			Name      string `json:"name,omitempty"`
			State     string `json:"state,omitempty"`
			Frequency string `json:"frequency,omitempty"`
			NextRunAt string `json:"nextRunAt,omitempty"`
		} `json:"schedule,omitempty"`
	} `json:"flowRun"`
}

func (t cFlowTask) MarshalJSONTo(enc *jsontext.Encoder) error {
	return jsonv2.MarshalEncode(enc, &t.FlowRun)
}
