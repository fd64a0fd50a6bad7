package tableauemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"time"
)

// Prep flows: listed and read like other content, their runs listed
// site-wide (GET /flows/runs, wrapped twice and without a total), their
// scheduled tasks under /tasks/runFlow, and run now through a RunFlow job
// whose progress the run follows.

type flow struct {
	id, name, description string
	projectID, ownerID    string
	createdAt, updatedAt  time.Time
	num                   int
	steps                 []string // output step names
}

type flowRun struct {
	id, flowID             string
	status                 string // when the run has no job
	startedAt, completedAt time.Time
	jobID                  string
}

type flowTask struct {
	id, flowID, scheduleID string
	priority, failed       int
}

func (s *site) flow(id string) *flow {
	for _, f := range s.flows {
		if f.id == id {
			return f
		}
	}
	return nil
}

var flowFields = lazy.Value[fields[*flow]]{Build: func() fields[*flow] {
	return fields[*flow]{
		"name":        str(func(_ *site, f *flow) string { return f.name }),
		"projectName": str(func(s *site, f *flow) string { return s.projectName(f.projectID) }),
		"projectId":   str(func(_ *site, f *flow) string { return f.projectID }),
		"ownerName":   str(func(s *site, f *flow) string { return s.userFullName(f.ownerID) }),
		"createdAt":   tim(func(f *flow) time.Time { return f.createdAt }),
		"updatedAt":   tim(func(f *flow) time.Time { return f.updatedAt }),
	}

}}

func (s *site) userFullName(id string) string {
	if u := s.user(id); u != nil {
		return u.fullName
	}
	return ""
}

func (c *call) flowJSON(f *flow) obj {
	return obj{
		"id": f.id, "name": f.name, "description": f.description, "fileType": "tflx",
		"webpageUrl": c.webURL("flows", f.num), "createdAt": stamp(f.createdAt), "updatedAt": stamp(f.updatedAt),
		"project": obj{"id": f.projectID, "name": c.site.projectName(f.projectID)},
		"owner":   obj{"id": f.ownerID, "name": c.site.userName(f.ownerID)},
		"tags":    obj{},
	}
}

func hFlowsList(c *call) {
	listReply(c, c.site.flows, flowFields.Get(), "flows", "flow", func(f *flow) obj { return c.flowJSON(f) })
}

func (c *call) findFlow() (*flow, bool) {
	f := c.site.flow(c.param(1))
	if f == nil {
		c.fail(notFound("404004", "Flow", c.param(1)))
	}
	return f, f != nil
}

func stepID(f *flow, name string) string { return luid("flowstep/" + f.id + "/" + name) }

func hFlowGet(c *call) {
	f, ok := c.findFlow()
	if !ok {
		return
	}
	steps := make([]obj, len(f.steps))
	for i, n := range f.steps {
		steps[i] = obj{"id": stepID(f, n), "name": n}
	}
	c.ok(http.StatusOK, obj{"flow": c.flowJSON(f), "flowOutputSteps": collection("flowOutputStep", steps)})
}

// runStatus is the run's status, taken from its job while one exists.
func (c *call) runStatus(r *flowRun) (status string, progress int, started, completed time.Time) {
	if r.jobID == "" {
		p := 100
		if r.status == "InProgress" {
			p = 40
		} else if r.status == "Pending" {
			p = 0
		}
		return r.status, p, r.startedAt, r.completedAt
	}
	j := c.site.job(r.jobID)
	if j == nil {
		return "Failed", 100, r.startedAt, r.completedAt
	}
	return j.status, j.progress, j.startedAt, j.endedAt
}

func (c *call) flowRunJSON(r *flowRun) obj {
	status, progress, started, completed := c.runStatus(r)
	o := obj{"id": r.id, "flowId": r.flowID, "status": status, "progress": itoa(progress), "backgroundJobId": r.jobID}
	if !started.IsZero() {
		o["startedAt"] = stamp(started)
	}
	if !completed.IsZero() {
		o["completedAt"] = stamp(completed)
	}
	return o
}

var flowRunFields = lazy.Value[fields[*flowRun]]{Build: func() fields[*flowRun] {
	return fields[*flowRun]{
		"flowId":    str(func(_ *site, r *flowRun) string { return r.flowID }),
		"startedAt": tim(func(r *flowRun) time.Time { return r.startedAt }),
	}

}}

// GET /flows/runs: {"flowRuns":{"flowRuns":[...]}}, no pagination block.
// A status filter is not one Tableau applies; it is refused here as an
// unknown field, which a client filtering on the server would notice.
func hFlowRunsList(c *call) {
	page, _, err := query(c.site, c.site.flowRuns, flowRunFields.Get(), c.q)
	if err != nil {
		c.fail(err)
		return
	}
	list := make([]obj, len(page))
	for i, r := range page {
		list[i] = c.flowRunJSON(r)
	}
	c.ok(http.StatusOK, obj{"flowRuns": obj{"flowRuns": list}})
}

func hFlowRunGet(c *call) {
	for _, r := range c.site.flowRuns {
		if r.id == c.param(1) {
			c.ok(http.StatusOK, obj{"flowRun": c.flowRunJSON(r)})
			return
		}
	}
	c.fail(notFound("404004", "Flow run", c.param(1)))
}

// POST /flows/{id}/run: a RunFlow job, and a run that follows it.
func hFlowRun(c *call) {
	f, ok := c.findFlow()
	if !ok {
		return
	}
	spec, err := c.decode("flowRunSpec", false)
	if err != nil {
		c.fail(err)
		return
	}
	if mode, _ := spec["runMode"].(string); mode != "" && mode != "full" && mode != "incremental" {
		c.fail(badRequest("runMode must be full or incremental, not '%s'.", mode))
		return
	}
	if e := c.requireOwnerOrAdmin(f.ownerID, "run the flow '"+f.name+"'"); e != nil {
		c.fail(e)
		return
	}
	j := c.startJob("flow", f.id, f.name, "run_flow")
	r := &flowRun{id: c.e.newID("flowrun"), flowID: f.id, jobID: j.id, startedAt: c.now}
	j.flowRunID = r.id
	c.site.flowRuns = append(c.site.flowRuns, r)
	c.ok(http.StatusAccepted, obj{"job": jobJSON(j)})
}

// GET /tasks/runFlow: every entry wraps its task under "flowRun".
func hFlowTasksList(c *call) {
	list := make([]obj, 0, len(c.site.flowTasks))
	for _, t := range c.site.flowTasks {
		f := c.site.flow(t.flowID)
		if f == nil {
			continue
		}
		o := obj{"id": t.id, "priority": itoa(t.priority), "consecutiveFailedCount": itoa(t.failed), "type": "RunFlowTask",
			"flow": obj{"id": f.id, "name": f.name}}
		if x := c.e.schedule(t.scheduleID); x != nil {
			o["schedule"] = scheduleJSON(x, c.now)
		}
		list = append(list, obj{"flowRun": o})
	}
	c.ok(http.StatusOK, obj{"tasks": obj{"task": list}})
}

// seedFlows adds three Prep flows, past runs (one failed) and tasks.
func (s *site) seedFlows() {
	for i, x := range []struct {
		name, project, owner, description string
		steps                             []string
	}{
		{"Clean Superstore Orders", "Sales", "casey.creator@example.com", "Deduplicates orders and standardises regions.", []string{"Orders (clean)"}},
		{"Finance GL Rollup", "Finance", "felix.finance@example.com", "Rolls the ledger up by account and month.", []string{"GL Monthly", "GL Exceptions"}},
		{"Web Sessions Prep", "Marketing", "li.marketing@example.com", "Joins sessions to campaigns.", []string{"Sessions by Campaign"}},
	} {
		p, u := s.projectByName(x.project), s.userByName(x.owner)
		if p == nil || u == nil {
			continue
		}
		s.nextNum++
		s.flows = append(s.flows, &flow{id: s.key("flow", x.name), name: x.name, description: x.description,
			projectID: p.id, ownerID: u.id, createdAt: day(-90 + i), updatedAt: day(-5 + i), num: s.nextNum, steps: x.steps})
	}
	for i, x := range []struct {
		flow, status string
		ago, took    time.Duration
	}{
		{"Clean Superstore Orders", "Success", 26 * time.Hour, 4 * time.Minute},
		{"Clean Superstore Orders", "Success", 2 * time.Hour, 5 * time.Minute},
		{"Finance GL Rollup", "Failed", 9 * time.Hour, 70 * time.Second},
		{"Web Sessions Prep", "InProgress", 3 * time.Minute, 0},
	} {
		r := &flowRun{id: s.key("flowrun", x.flow+"/"+itoa(i)), flowID: s.key("flow", x.flow), status: x.status,
			startedAt: seedBase.Get().Add(-x.ago)}
		if x.took > 0 {
			r.completedAt = r.startedAt.Add(x.took)
		}
		s.flowRuns = append(s.flowRuns, r)
	}
	s.flowTasks = append(s.flowTasks,
		&flowTask{id: s.key("flowtask", "superstore-daily"), flowID: s.key("flow", "Clean Superstore Orders"), scheduleID: luid("schedule/Daily 2 AM"), priority: 50},
		&flowTask{id: s.key("flowtask", "gl-hourly"), flowID: s.key("flow", "Finance GL Rollup"), scheduleID: luid("schedule/Hourly Refresh"), priority: 40, failed: 1},
	)
}
