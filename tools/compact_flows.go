package tools

import (
	"bytes"
	"encoding/json"
)

// Compact shapes of custom views and Tableau Prep flows. None of their
// list methods takes fields=, so the compact answer keeps what the
// default answer carries that an agent uses.

// flag reads a boolean Tableau may send as a string ("true").
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	*f = flag(string(bytes.Trim(b, `"`)) == "true")
	return nil
}

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

func (p *flowParams) UnmarshalJSON(b []byte) error {
	var w struct {
		Parameter []cFlowParam `json:"parameter"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return nil // an unexpected form is left out, not fatal
	}
	*p = w.Parameter
	return nil
}

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

func (t cFlowTask) MarshalJSON() ([]byte, error) { return json.Marshal(t.FlowRun) }

// oneOrMany reads a list Tableau may send as a single object, or as
// nothing at all when empty.
type oneOrMany[T any] []T

func (l *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = []T{one}
		return nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}
