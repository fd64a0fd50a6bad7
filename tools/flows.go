package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Tableau Prep flows: the flows, their runs and scheduled tasks, and
// running one now (a RunFlow job).

// FlowRef names one flow.
type FlowRef struct {
	FlowID string `json:"flow_id" jsonschema:"required" jsonschema_description:"From tableau_flows_list."`
}

// FlowRunsListArgs are the arguments of tableau_flow_runs_list.
type FlowRunsListArgs struct {
	FlowID string `json:"flow_id,omitempty" jsonschema_description:"Only this flow's runs."`
	Status string `json:"status,omitempty" jsonschema:"enum=Pending,enum=InProgress,enum=Success,enum=Failed,enum=Cancelled" jsonschema_description:"Only runs in this state, e.g. Failed."`
	Paging
}

// FlowRunArgs are the arguments of tableau_flow_run.
type FlowRunArgs struct {
	FlowRef
	RunMode string `json:"run_mode,omitempty" jsonschema:"enum=full,enum=incremental" jsonschema_description:"Default full."`
}

// runFlowsList sends the runs query and keeps the runs of the status asked
// for: Tableau ignores a status filter, so it is applied here. Tableau
// answers runs without paging counts.
func runFlowsList(t Tool) Tool {
	t.result = &resultShape{key: "flowRuns", item: reflect.TypeFor[cFlowRun](), list: true, unpaged: true}
	return define(t, func(ctx context.Context, env *Env, a *FlowRunsListArgs) (*mcp.CallToolResult, error) {
		q := a.Paging.query(nil)
		if a.FlowID != "" {
			q.Set("filter", "flowId:eq:"+a.FlowID)
		}
		raw, err := env.Backend.Invoke(ctx, t.call(a, get(backend.SiteScope, "/flows/runs", q)))
		if err != nil {
			return nil, err
		}
		if env.compact() {
			runs, _, err := decodeList[cFlowRun](raw, shape{plural: "flowRuns", singular: "flowRuns"})
			if err != nil {
				return nil, fmt.Errorf("the flow runs answer is not the JSON expected: %v", err)
			}
			if a.Status != "" {
				runs = slices.DeleteFunc(runs, func(r cFlowRun) bool { return r.Status != a.Status })
			}
			return listJSON("flowRuns", runs, nil)
		}
		if a.Status == "" {
			return jsonResult(raw), nil
		}
		var doc struct {
			FlowRuns struct {
				FlowRuns []map[string]any `json:"flowRuns"`
			} `json:"flowRuns"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("the flow runs answer is not the JSON expected: %v", err)
		}
		kept := []map[string]any{}
		for _, r := range doc.FlowRuns.FlowRuns {
			if s, _ := r["status"].(string); s == a.Status {
				kept = append(kept, r)
			}
		}
		b, err := json.Marshal(map[string]any{"flowRuns": map[string]any{"flowRuns": kept}})
		if err != nil {
			return nil, err
		}
		return jsonResult(b), nil
	})
}

// flowGet reads one flow; Tableau answers its output steps beside it,
// which the compact answer puts inside it.
func flowGet(t Tool) Tool {
	t.result = &resultShape{key: "flow", item: reflect.TypeFor[cFlowDetail]()}
	return define(t, func(ctx context.Context, env *Env, a *FlowRef) (*mcp.CallToolResult, error) {
		raw, err := env.Backend.Invoke(ctx, t.call(a, get(backend.SiteScope, backend.Segments("flows", a.FlowID), nil)))
		if err != nil {
			return nil, err
		}
		if !env.compact() {
			return jsonResult(raw), nil
		}
		var doc struct {
			Flow  *cFlowDetail `json:"flow"`
			Steps struct {
				Step oneOrMany[cRef] `json:"flowOutputStep"`
			} `json:"flowOutputSteps"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil || doc.Flow == nil {
			return jsonResult(raw), nil
		}
		doc.Flow.OutputSteps = doc.Steps.Step
		if doc.Flow.OutputSteps == nil {
			doc.Flow.OutputSteps = []cRef{}
		}
		b, err := json.Marshal(map[string]any{"flow": doc.Flow})
		if err != nil {
			return nil, err
		}
		return mcp.NewToolResultText(string(b)), nil
	})
}

func flowTools() []Tool {
	return []Tool{
		listTool[ListArgs, cFlow](Tool{
			Name: "tableau_flows_list", Title: "List Prep flows", Kind: Read, Idempotent: true, Source: New, Toolset: "flows",
			Description: "List Tableau Prep flows: id, name, project, owner. Filter on name, projectName, projectId, ownerName, createdAt, updatedAt.",
		}, shape{"flows", "flow", "flows", ""}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/flows", a.query())
		}),
		flowGet(Tool{
			Name: "tableau_flow_get", Title: "Get a Prep flow", Kind: Read, Idempotent: true, Source: New, Toolset: "flows",
			Description: "Get one flow: project, owner, parameters, and its output steps (id, name).",
		}),
		runFlowsList(Tool{
			Name: "tableau_flow_runs_list", Title: "List flow runs", Kind: Read, Idempotent: true, Source: New, Toolset: "flows",
			Description: "List flow runs: status, progress, start and end, background job. A failure's reason is on its job (tableau_job_get).",
		}),
		restTool(Tool{
			Name: "tableau_flow_run", Title: "Run a Prep flow now", Kind: Write, Idempotent: false, Source: New, Toolset: "flows",
			Description: "Run a flow now. Returns the job; follow it with tableau_job_get or tableau_flow_runs_list.",
		}, func(a *FlowRunArgs) backend.Request {
			mode := a.RunMode
			if mode == "" {
				mode = "full"
			}
			return send(http.MethodPost, backend.SiteScope, backend.Segments("flows", a.FlowID, "run"),
				map[string]any{"flowRunSpec": map[string]any{"flowId": a.FlowID, "runMode": mode}})
		}),
		unpaged(listTool[NoArgs, cFlowTask](Tool{
			Name: "tableau_flow_tasks_list", Title: "List flow tasks", Kind: Read, Idempotent: true, Source: New, Toolset: "flows",
			Description: "List scheduled flow tasks: id, flow, schedule, next run, consecutive failures.",
		}, shape{"tasks", "task", "tasks", ""}, func(a *NoArgs) backend.Request {
			return get(backend.SiteScope, "/tasks/runFlow", url.Values{})
		})),
	}
}
