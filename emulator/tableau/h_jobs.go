package tableauemu

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ---- jobs ----

func jobGetType(j *job) string {
	switch j.jobType {
	case "increment_extracts":
		return "IncrementExtract"
	case "run_flow":
		return "RunFlow"
	}
	return "RefreshExtract"
}

func finished(j *job) bool {
	return j.status == "Success" || j.status == "Failed" || j.status == "Cancelled"
}

// jobJSON is the "job" object of Query Job and of refresh answers.
func jobJSON(j *job) obj {
	updated := j.createdAt
	if j.startedAt.After(updated) {
		updated = j.startedAt
	}
	if j.endedAt.After(updated) {
		updated = j.endedAt
	}
	o := obj{"id": j.id, "mode": "Asynchronous", "type": jobGetType(j), "progress": itoa(j.progress),
		"createdAt": stamp(j.createdAt), "updatedAt": stamp(updated)}
	if j.jobType == "run_flow" {
		o["runFlowJobType"] = obj{"flowRunId": j.flowRunID, "flow": obj{"id": j.contentID, "name": j.contentName}}
	} else {
		o["extractRefreshJob"] = obj{j.contentKind: obj{"id": j.contentID, "name": j.contentName}}
	}
	if !j.startedAt.IsZero() {
		o["startedAt"] = stamp(j.startedAt)
	}
	if finished(j) {
		o["completedAt"] = stamp(j.endedAt)
		o["finishCode"] = map[string]string{"Success": "0", "Failed": "1", "Cancelled": "2"}[j.status]
	}
	if len(j.notes) > 0 {
		notes := make([]obj, len(j.notes))
		for i, n := range j.notes {
			notes[i] = obj{"type": "ErrorCode", "value": "FAILED", "text": n}
		}
		o["statusNotes"] = obj{"statusNote": notes}
	}
	return o
}

func backgroundJobJSON(j *job) obj {
	o := obj{"id": j.id, "status": j.status, "jobType": j.jobType, "priority": itoa(j.priority),
		"createdAt": stamp(j.createdAt), "title": jobTitle(j), "subtitle": j.contentName}
	if !j.startedAt.IsZero() {
		o["startedAt"] = stamp(j.startedAt)
	}
	if !j.endedAt.IsZero() {
		o["endedAt"] = stamp(j.endedAt)
	}
	return o
}

func hJobsList(c *call) {
	if err := c.requireAdmin("list the site's background jobs"); err != nil {
		c.fail(err)
		return
	}
	listReply(c, c.site.jobs, jobFields.Get(), "backgroundJobs", "backgroundJob", func(j *job) obj { return backgroundJobJSON(j) })
}

func (c *call) findJob() (*job, bool) {
	j := c.site.job(c.param(1))
	if j == nil {
		c.fail(notFound("404031", "Job", c.param(1)))
	}
	return j, j != nil
}

func hJobGet(c *call) {
	if j, ok := c.findJob(); ok {
		c.ok(http.StatusOK, obj{"job": jobJSON(j)})
	}
}

// hJobCancel cancels a pending or running job; Tableau answers 200 with no
// body.
func hJobCancel(c *call) {
	j, ok := c.findJob()
	if !ok {
		return
	}
	if err := c.requireAdmin("cancel jobs"); err != nil {
		c.fail(err)
		return
	}
	if finished(j) {
		c.fail(conflict("Job '%s' has already finished with status %s and cannot be cancelled.", j.id, j.status))
		return
	}
	j.status, j.endedAt, j.auto = "Cancelled", c.now, false
	c.empty(http.StatusOK)
}

// ---- extract refresh tasks ----

func (c *call) taskJSON(t *task) obj {
	o := obj{"id": t.id, "priority": itoa(t.priority), "consecutiveFailedCount": itoa(t.failed), "type": t.typ,
		t.contentKind: obj{"id": t.contentID}}
	if x := c.e.schedule(t.scheduleID); x != nil {
		o["schedule"] = scheduleJSON(x, c.now)
	}
	return obj{"extractRefresh": o}
}

func hTasksList(c *call) {
	listReply(c, c.site.tasks, taskFields.Get(), "tasks", "task", func(t *task) obj { return c.taskJSON(t) })
}

func (c *call) findTask() (*task, bool) {
	t := c.site.task(c.param(1))
	if t == nil {
		c.fail(notFound("404016", "Task", c.param(1)))
	}
	return t, t != nil
}

func hTaskGet(c *call) {
	if t, ok := c.findTask(); ok {
		c.ok(http.StatusOK, obj{"task": c.taskJSON(t)})
	}
}

func hTaskDelete(c *call) {
	t, ok := c.findTask()
	if !ok {
		return
	}
	if err := c.requireAdmin("delete extract refresh tasks"); err != nil {
		c.fail(err)
		return
	}
	c.site.tasks = without(c.site.tasks, func(x *task) bool { return x == t })
	c.empty(http.StatusNoContent)
}

// hTaskRun runs a task now; Tableau answers 200 with the new job.
func hTaskRun(c *call) {
	t, ok := c.findTask()
	if !ok {
		return
	}
	if _, err := c.decode("task", false); err != nil {
		c.fail(err)
		return
	}
	var name, owner string
	switch t.contentKind {
	case "workbook":
		if w := c.site.workbook(t.contentID); w != nil {
			name, owner = w.name, w.ownerID
		}
	case "datasource":
		if d := c.site.datasource(t.contentID); d != nil {
			name, owner = d.name, d.ownerID
		}
	}
	if err := c.requireOwnerOrAdmin(owner, "run the refresh of '"+name+"'"); err != nil {
		c.fail(err)
		return
	}
	jobType := "refresh_extracts"
	if t.typ == "IncrementExtract" {
		jobType = "increment_extracts"
	}
	j := c.startJob(t.contentKind, t.contentID, name, jobType)
	c.ok(http.StatusOK, obj{"job": jobJSON(j)})
}

// ---- schedules (server level) ----

func (e *Emulator) schedule(id string) *schedule {
	for _, x := range e.schedules {
		if x.id == id {
			return x
		}
	}
	return nil
}

var weekDays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func scheduleJSON(x *schedule, now time.Time) obj {
	iv := make([]obj, len(x.intervals))
	for i, it := range x.intervals {
		iv[i] = obj{it.key: it.value}
	}
	fd := obj{"start": x.start, "intervals": collection("interval", iv)}
	if x.end != "" {
		fd["end"] = x.end
	}
	o := obj{"id": x.id, "name": x.name, "state": x.state, "priority": itoa(x.priority),
		"createdAt": stamp(x.createdAt), "updatedAt": stamp(x.updatedAt), "type": x.typ,
		"frequency": x.frequency, "executionOrder": x.executionOrder, "frequencyDetails": fd}
	if x.state == "Active" {
		if t, ok := nextRun(x, now); ok {
			o["nextRunAt"] = stamp(t)
		}
	}
	return o
}

func clockSeconds(hms string) int {
	p := strings.Split(hms, ":")
	h, _ := strconv.Atoi(p[0])
	m, _ := strconv.Atoi(p[1])
	s := 0
	if len(p) > 2 {
		s, _ = strconv.Atoi(p[2])
	}
	return h*3600 + m*60 + s
}

// nextRun finds the next time the schedule fires after now (times in UTC).
func nextRun(x *schedule, now time.Time) (time.Time, bool) {
	now = now.UTC()
	start := clockSeconds(x.start)
	end := 24*3600 - 1
	if x.end != "" {
		end = clockSeconds(x.end)
	}
	step := 0
	days := map[string]bool{}
	var monthDays []string
	for _, it := range x.intervals {
		switch it.key {
		case "hours":
			n, _ := strconv.Atoi(it.value)
			step = n * 3600
		case "minutes":
			n, _ := strconv.Atoi(it.value)
			step = n * 60
		case "weekDay":
			days[it.value] = true
		case "monthDay":
			monthDays = append(monthDays, it.value)
		}
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for d := 0; d < 400; d++ {
		day := midnight.AddDate(0, 0, d)
		switch x.frequency {
		case "Weekly":
			if !days[day.Weekday().String()] {
				continue
			}
		case "Monthly":
			if !monthDayMatches(day, monthDays, days) {
				continue
			}
		default:
			if len(days) > 0 && !days[day.Weekday().String()] {
				continue
			}
		}
		if x.frequency == "Hourly" && step > 0 {
			for t := start; t <= end; t += step {
				if at := day.Add(time.Duration(t) * time.Second); at.After(now) {
					return at, true
				}
			}
			continue
		}
		if at := day.Add(time.Duration(start) * time.Second); at.After(now) {
			return at, true
		}
	}
	return time.Time{}, false
}

var ordinals = lazy.Value[map[string]int]{Build: func() map[string]int {
	return map[string]int{"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Fifth": 5}
}}

func monthDayMatches(day time.Time, monthDays []string, weekDays map[string]bool) bool {
	last := day.AddDate(0, 1, -day.Day()).Day()
	for _, md := range monthDays {
		if md == "LastDay" {
			if len(weekDays) == 0 && day.Day() == last {
				return true
			}
			if weekDays[day.Weekday().String()] && day.Day()+7 > last {
				return true
			}
			continue
		}
		if n, ok := ordinals.Get()[md]; ok {
			if weekDays[day.Weekday().String()] && (day.Day()-1)/7+1 == n {
				return true
			}
			continue
		}
		if n, _ := strconv.Atoi(md); n == day.Day() {
			return true
		}
	}
	return false
}

func hSchedulesList(c *call) {
	listReply(c, c.e.schedules, scheduleFields.Get(), "schedules", "schedule", func(x *schedule) obj { return scheduleJSON(x, c.now) })
}

func (c *call) findSchedule() (*schedule, bool) {
	x := c.e.schedule(c.param(0))
	if x == nil {
		c.fail(notFound("404013", "Schedule", c.param(0)))
	}
	return x, x != nil
}

func hScheduleGet(c *call) {
	if x, ok := c.findSchedule(); ok {
		c.ok(http.StatusOK, obj{"schedule": scheduleJSON(x, c.now)})
	}
}

func oneOf(path, key, v string, allowed ...string) *apiErr {
	for _, a := range allowed {
		if a == v {
			return nil
		}
	}
	return badRequest("'%s.%s' must be one of %s, not '%s'.", path, key, strings.Join(allowed, ", "), v)
}

// applySchedule reads a schedule body onto x (a copy for updates), checking
// every member.
func (c *call) applySchedule(x *schedule, create bool) *apiErr {
	m, err := c.decode("schedule", true)
	if err != nil {
		return err
	}
	const p = "schedule"
	str := func(key string, allowed ...string) (string, bool, *apiErr) {
		v, ok, err := sval(m, p, key)
		if err == nil && ok && len(allowed) > 0 {
			err = oneOf(p, key, v, allowed...)
		}
		return v, ok, err
	}
	var ok bool
	var v string
	if v, ok, err = str("name"); err != nil {
		return err
	} else if ok {
		if strings.TrimSpace(v) == "" {
			return badRequest("'schedule.name' cannot be empty.")
		}
		x.name = v
	} else if create {
		return badRequest("'schedule.name' is required.")
	}
	if v, ok, err = str("type", "Extract", "Subscription", "Flow", "DataAcceleration"); err != nil {
		return err
	} else if ok {
		x.typ = v
	}
	if v, ok, err = str("state", "Active", "Suspended"); err != nil {
		return err
	} else if ok {
		x.state = v
	}
	if v, ok, err = str("executionOrder", "Parallel", "Serial"); err != nil {
		return err
	} else if ok {
		x.executionOrder = v
	}
	if n, ok, err := ival(m, p, "priority"); err != nil {
		return err
	} else if ok {
		if n < 1 || n > 100 {
			return badRequest("'schedule.priority' must be from 1 to 100, not %d.", n)
		}
		x.priority = n
	}
	if v, ok, err = str("frequency", "Hourly", "Daily", "Weekly", "Monthly"); err != nil {
		return err
	} else if ok {
		x.frequency = v
	} else if create {
		return badRequest("'schedule.frequency' is required: Hourly, Daily, Weekly or Monthly.")
	}
	fd, ok, err := oval(m, p, "frequencyDetails")
	if err != nil {
		return err
	}
	if ok {
		if err := readFrequencyDetails(fd, x); err != nil {
			return err
		}
	} else if create {
		return badRequest("'schedule.frequencyDetails' is required, e.g. {\"start\":\"02:00:00\",\"intervals\":{\"interval\":[{\"weekDay\":\"Monday\"}]}}.")
	}
	return checkFrequency(x)
}

func normalizeClock(path, v string) (string, *apiErr) {
	var h, m, s int
	n, _ := fmt.Sscanf(v, "%d:%d:%d", &h, &m, &s)
	if n < 2 || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 59 || strings.Count(v, ":") > 2 {
		return "", badRequest("'%s' must be a time of day like 02:00:00, not '%s'.", path, v)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s), nil
}

func readFrequencyDetails(fd jobj, x *schedule) *apiErr {
	const p = "schedule.frequencyDetails"
	start, ok, err := sval(fd, p, "start")
	if err != nil {
		return err
	}
	if !ok {
		return badRequest("'%s.start' is required (a time of day like 02:00:00).", p)
	}
	if x.start, err = normalizeClock(p+".start", start); err != nil {
		return err
	}
	x.end = ""
	if end, ok, err := sval(fd, p, "end"); err != nil {
		return err
	} else if ok && end != "" {
		if x.end, err = normalizeClock(p+".end", end); err != nil {
			return err
		}
	}
	x.intervals = nil
	ivs, ok, err := oval(fd, p, "intervals")
	if err != nil || !ok {
		return err
	}
	items, _, err := lval(ivs, p+".intervals", "interval")
	if err != nil {
		return err
	}
	for i, it := range items {
		ip := fmt.Sprintf("%s.intervals.interval[%d]", p, i)
		if len(it) != 1 {
			return badRequest("'%s' must hold exactly one of hours, minutes, weekDay or monthDay.", ip)
		}
		for k := range it {
			v, _, err := sval(it, ip, k)
			if err != nil {
				return err
			}
			switch k {
			case "hours":
				err = oneOf(ip, k, v, "1", "2", "4", "6", "8", "12", "24")
			case "minutes":
				err = oneOf(ip, k, v, "15", "30", "60")
			case "weekDay":
				err = oneOf(ip, k, v, weekDays...)
			case "monthDay":
				if n, e := strconv.Atoi(v); e != nil || n < 1 || n > 31 {
					err = oneOf(ip, k, v, "1..31", "First", "Second", "Third", "Fourth", "Fifth", "LastDay")
				}
			default:
				err = badRequest("'%s' has unknown member '%s'; use hours, minutes, weekDay or monthDay.", ip, k)
			}
			if err != nil {
				return err
			}
			x.intervals = append(x.intervals, interval{k, v})
		}
	}
	return nil
}

// checkFrequency checks that the intervals suit the frequency.
func checkFrequency(x *schedule) *apiErr {
	count := map[string]int{}
	for _, it := range x.intervals {
		count[it.key]++
	}
	switch x.frequency {
	case "Hourly":
		if count["hours"]+count["minutes"] != 1 {
			return badRequest("An Hourly schedule needs one interval of hours (1, 2, 4, 6, 8, 12, 24) or minutes (15, 30, 60).")
		}
		if x.end == "" {
			return badRequest("An Hourly schedule needs frequencyDetails.end.")
		}
	case "Daily":
		if count["minutes"] > 0 || count["monthDay"] > 0 || count["hours"] > 1 {
			return badRequest("A Daily schedule takes at most one hours interval and weekDay intervals.")
		}
	case "Weekly":
		if count["weekDay"] == 0 || len(x.intervals) != count["weekDay"] {
			return badRequest("A Weekly schedule needs one or more weekDay intervals and nothing else.")
		}
	case "Monthly":
		if count["monthDay"] == 0 || count["hours"]+count["minutes"] > 0 {
			return badRequest("A Monthly schedule needs one or more monthDay intervals.")
		}
	}
	return nil
}

func (c *call) scheduleNameTaken(name string, except *schedule) bool {
	for _, x := range c.e.schedules {
		if x != except && strings.EqualFold(x.name, name) {
			return true
		}
	}
	return false
}

func hScheduleCreate(c *call) {
	if err := c.requireAdmin("create schedules"); err != nil {
		c.fail(err)
		return
	}
	x := &schedule{state: "Active", typ: "Extract", executionOrder: "Parallel", priority: 50, createdAt: c.now, updatedAt: c.now}
	if err := c.applySchedule(x, true); err != nil {
		c.fail(err)
		return
	}
	if c.scheduleNameTaken(x.name, nil) {
		c.fail(conflict("A schedule named '%s' already exists.", x.name))
		return
	}
	x.id = c.e.newID("schedule")
	c.e.schedules = append(c.e.schedules, x)
	c.ok(http.StatusCreated, obj{"schedule": scheduleJSON(x, c.now)})
}

func hScheduleUpdate(c *call) {
	x, ok := c.findSchedule()
	if !ok {
		return
	}
	if err := c.requireAdmin("update schedules"); err != nil {
		c.fail(err)
		return
	}
	draft := *x
	draft.intervals = append([]interval(nil), x.intervals...)
	if err := c.applySchedule(&draft, false); err != nil {
		c.fail(err)
		return
	}
	if c.scheduleNameTaken(draft.name, x) {
		c.fail(conflict("A schedule named '%s' already exists.", draft.name))
		return
	}
	draft.updatedAt = c.now
	*x = draft
	c.ok(http.StatusOK, obj{"schedule": scheduleJSON(x, c.now)})
}

// hScheduleDelete deletes a schedule and the tasks on it, on every site.
func hScheduleDelete(c *call) {
	x, ok := c.findSchedule()
	if !ok {
		return
	}
	if err := c.requireAdmin("delete schedules"); err != nil {
		c.fail(err)
		return
	}
	c.e.schedules = without(c.e.schedules, func(y *schedule) bool { return y == x })
	for _, s := range c.e.sites {
		s.tasks = without(s.tasks, func(t *task) bool { return t.scheduleID == x.id })
	}
	c.empty(http.StatusNoContent)
}
