package server_test

import (
	"testing"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// walkFlows lists the flows, reads one, lists its runs and the failed
// ones, runs it and follows the job, and lists the flow tasks.
func walkFlows(t *testing.T, s *Session) {
	t.Helper()
	flows := List(s.OK("tableau_flows_list", nil), "flows", "flow")
	if len(flows) == 0 {
		t.Fatal("no flows")
	}
	var flowID string
	for _, f := range flows {
		if Str(f, "project", "id") == "" || Str(f, "project", "name") == "" || Str(f, "owner", "id") == "" {
			t.Errorf("flow %v lacks its project or owner", f["name"])
		}
		if f["name"] == "Clean Superstore Orders" {
			flowID = f["id"].(string)
		}
	}
	if flowID == "" {
		t.Fatal("no flow named Clean Superstore Orders")
	}
	named := List(s.OK("tableau_flows_list", args{"filter": "name:eq:Clean Superstore Orders"}), "flows", "flow")
	if len(named) != 1 || named[0]["id"] != flowID {
		t.Errorf("filter by name gave %v", named)
	}
	got := s.OK("tableau_flow_get", args{"flow_id": flowID})
	if Str(got, "flow", "id") != flowID || len(List(got, "flow", "outputSteps")) == 0 || Str(got, "flow", "project", "name") == "" {
		t.Errorf("flow_get %v", got)
	}

	// Runs are wrapped twice: flowRuns.flowRuns[].
	runs := List(s.OK("tableau_flow_runs_list", args{"flow_id": flowID}), "flowRuns", "flowRuns")
	if len(runs) == 0 {
		t.Fatal("no runs of the flow")
	}
	for _, r := range runs {
		if r["flowId"] != flowID {
			t.Errorf("run of flow %v listed for %s", r["flowId"], flowID)
		}
	}
	failed := List(s.OK("tableau_flow_runs_list", args{"status": "Failed"}), "flowRuns", "flowRuns")
	if len(failed) == 0 {
		t.Error("no failed run listed")
	}
	for _, r := range failed {
		if r["status"] != "Failed" {
			t.Errorf("status Failed listed a run that is %v", r["status"])
		}
	}
	s.Fail("tableau_flow_runs_list", args{"status": "Broken"}, "status")

	job := s.OK("tableau_flow_run", args{"flow_id": flowID})
	jobID := Str(job, "job", "id")
	if jobID == "" || Str(job, "job", "type") != "RunFlow" {
		t.Fatalf("flow_run answered %v, want a RunFlow job", job)
	}
	if Str(s.OK("tableau_job_get", args{"job_id": jobID}), "job", "id") != jobID {
		t.Error("job_get did not follow the flow's job")
	}
	found := false
	for _, r := range List(s.OK("tableau_flow_runs_list", args{"flow_id": flowID}), "flowRuns", "flowRuns") {
		found = found || r["backgroundJobId"] == jobID
	}
	if !found {
		t.Error("the new run is not listed with its job")
	}
	s.Fail("tableau_flow_run", args{"flow_id": flowID, "run_mode": "partial"}, "run_mode")

	tasks := List(s.OK("tableau_flow_tasks_list", nil), "tasks", "task")
	if len(tasks) == 0 {
		t.Fatal("no flow tasks")
	}
	for _, tk := range tasks {
		if Str(tk, "id") == "" || Str(tk, "flow", "name") == "" || Str(tk, "schedule", "frequency") == "" {
			t.Errorf("flow task %v lacks its id, flow or schedule", tk)
		}
	}
}

// A server scoped to the Sales project lists only its flows, and only
// the runs of those flows.
func TestScopeFiltersFlowsAndTheirRuns(t *testing.T) {
	x := newScopedSite(t)
	s := serve(t, server.Options{Backend: x.b, Scope: x.scope}, server.HTTPOptions{Auth: tokenAuth(t)})
	sess, err := s.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	inScope := map[string]bool{}
	for _, f := range List(sess.OK("tableau_flows_list", nil), "flows", "flow") {
		if Str(f, "project", "id") != x.sales {
			t.Errorf("flow %v of project %s listed by a server scoped to Sales", f["name"], Str(f, "project", "id"))
		}
		inScope[f["id"].(string)] = true
	}
	if len(inScope) == 0 {
		t.Fatal("no flow of Sales listed")
	}
	runs := List(sess.OK("tableau_flow_runs_list", nil), "flowRuns", "flowRuns")
	if len(runs) == 0 {
		t.Fatal("no runs listed")
	}
	for _, r := range runs {
		if !inScope[r["flowId"].(string)] {
			t.Errorf("run of out-of-scope flow %v listed", r["flowId"])
		}
	}
}

// Under a scope, flow tasks list only those of in-scope flows, and the
// Pulse tools, which a content scope cannot bound, are refused.
func TestScopeBoundsFlowTasksAndRefusesPulse(t *testing.T) {
	x := newScopedSite(t)
	s := serve(t, server.Options{Backend: x.b, Scope: x.scope}, server.HTTPOptions{Auth: tokenAuth(t)})
	sess, err := s.connect(t, "http", bearer(aliceToken))
	if err != nil {
		t.Fatal(err)
	}
	tasks := List(sess.OK("tableau_flow_tasks_list", nil), "tasks", "task")
	if len(tasks) == 0 {
		t.Fatal("no flow task of Sales listed")
	}
	for _, tk := range tasks {
		if id := Str(tk, "flow", "id"); id != x.inFlow {
			t.Errorf("task of flow %s listed by a server scoped to Sales", id)
		}
	}
	n := x.b.count()
	sess.Fail("tableau_pulse_definitions_list", nil, "not available under a scope")
	if sent := x.b.since(n); len(sent) > 0 {
		t.Errorf("a refused Pulse call sent %v", sent)
	}
}
