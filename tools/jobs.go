package tools

import (
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// JobID names one background job.
type JobRef struct {
	JobID string `json:"job_id" jsonschema:"required" jsonschema_description:"Job LUID, from a refresh or tableau_jobs_list."`
}

// TaskID names one extract refresh task.
type TaskRef struct {
	TaskID string `json:"task_id" jsonschema:"required" jsonschema_description:"From tableau_extract_refresh_tasks_list."`
}

func jobTools() []Tool {
	return []Tool{
		listTool[ListArgs, cJob](Tool{
			Name: "tableau_jobs_list", Title: "List background jobs", Kind: Read, Idempotent: true, Source: Seed, Toolset: "jobs",
			Description: "List background jobs, e.g. filter status:eq:Failed: id, status, type, content, times.",
		}, shape{"backgroundJobs", "backgroundJob", "jobs", ""}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/jobs", a.query())
		}),
		restTool(Tool{
			Name: "tableau_job_get", Title: "Get a job", Kind: Read, Idempotent: true, Source: Seed, Toolset: "jobs",
			Description: "Get one job's progress and outcome (finishCode 0 success, 1 failed, 2 cancelled) and notes.",
		}, func(a *JobRef) backend.Request {
			return get(backend.SiteScope, backend.Segments("jobs", a.JobID), nil)
		}),
		restTool(Tool{
			Name: "tableau_job_cancel", Title: "Cancel a job", Kind: Write, Idempotent: true, Source: Seed, Toolset: "jobs",
			Description: "Cancel a pending or running job; a finished one cannot be cancelled.",
		}, func(a *JobRef) backend.Request {
			return send(http.MethodPut, backend.SiteScope, backend.Segments("jobs", a.JobID), nil)
		}),
		listTool[ListArgs, cTask](Tool{
			Name: "tableau_extract_refresh_tasks_list", Title: "List extract refresh tasks", Kind: Read, Idempotent: true, Source: SK, Toolset: "jobs",
			Description: "List scheduled extract refresh tasks: id, type, schedule, and the workbook or data source refreshed.",
		}, shape{"tasks", "task", "tasks", ""}, func(a *ListArgs) backend.Request {
			return get(backend.SiteScope, "/tasks/extractRefreshes", a.query())
		}),
		restTool(Tool{
			Name: "tableau_extract_refresh_task_run", Title: "Run an extract refresh task now", Kind: Write, Idempotent: false, Source: SK, Toolset: "jobs",
			Description: "Run an extract refresh task now. Returns the job; follow it with tableau_job_get.",
		}, func(a *TaskRef) backend.Request {
			return send(http.MethodPost, backend.SiteScope, backend.Segments("tasks", "extractRefreshes", a.TaskID, "runNow"), map[string]any{})
		}),
	}
}
