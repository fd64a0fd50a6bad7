package tools

import (
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// JobID names one background job.
type JobRef struct {
	JobID string `json:"job_id" jsonschema:"required" jsonschema_description:"LUID of the job, from tableau_jobs_list (backgroundJobs.backgroundJob[].id) or from the job a refresh returned (job.id)."`
}

// TaskID names one extract refresh task.
type TaskRef struct {
	TaskID string `json:"task_id" jsonschema:"required" jsonschema_description:"LUID of the extract refresh task, from tableau_extract_refresh_tasks_list (tasks.task[].extractRefresh.id)."`
}

var jobTools = []Tool{
	restTool(Tool{
		Name: "tableau_jobs_list", Title: "List background jobs", Kind: Read, Idempotent: true, Source: Seed, Toolset: "jobs",
		Description: "List background jobs (extract refreshes, publishes, flow runs) with optional filter (e.g. status:eq:Failed, jobType:eq:refresh_extracts), sort (e.g. createdAt:desc) and paging. Returns backgroundJobs.backgroundJob[] (id, status Pending|InProgress|Success|Failed|Cancelled, jobType, title, createdAt, startedAt, endedAt) and pagination.",
	}, func(a *ListArgs) backend.Request {
		return get(backend.SiteScope, "/jobs", a.query())
	}),
	restTool(Tool{
		Name: "tableau_job_get", Title: "Get a job", Kind: Read, Idempotent: true, Source: Seed, Toolset: "jobs",
		Description: "Return one job's progress and outcome: job{id, type, progress, createdAt, startedAt, completedAt, finishCode (0 success, 1 failed, 2 cancelled), statusNotes}. Use it to follow a refresh.",
	}, func(a *JobRef) backend.Request {
		return get(backend.SiteScope, backend.Segments("jobs", a.JobID), nil)
	}),
	restTool(Tool{
		Name: "tableau_job_cancel", Title: "Cancel a job", Kind: Write, Idempotent: true, Source: Seed, Toolset: "jobs",
		Description: "Cancel a job that is pending or in progress. A job that has already finished gives a conflict error.",
	}, func(a *JobRef) backend.Request {
		return send(http.MethodPut, backend.SiteScope, backend.Segments("jobs", a.JobID), nil)
	}),
	restTool(Tool{
		Name: "tableau_extract_refresh_tasks_list", Title: "List extract refresh tasks", Kind: Read, Idempotent: true, Source: SK, Toolset: "jobs",
		Description: "List the scheduled extract refresh tasks of the site. Returns tasks.task[].extractRefresh (id, priority, type, consecutiveFailedCount, schedule, and the workbook{id} or datasource{id} it refreshes).",
	}, func(a *ListArgs) backend.Request {
		return get(backend.SiteScope, "/tasks/extractRefreshes", a.query())
	}),
	restTool(Tool{
		Name: "tableau_extract_refresh_task_run", Title: "Run an extract refresh task now", Kind: Write, Idempotent: false, Source: SK, Toolset: "jobs",
		Description: "Run a scheduled extract refresh task now, outside its schedule. Returns the job (job.id); follow it with tableau_job_get.",
	}, func(a *TaskRef) backend.Request {
		return send(http.MethodPost, backend.SiteScope, backend.Segments("tasks", "extractRefreshes", a.TaskID, "runNow"), map[string]any{})
	}),
}
