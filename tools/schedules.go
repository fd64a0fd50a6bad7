package tools

import (
	"encoding/json"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"regexp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Interval is one interval of a schedule's frequency details.
type Interval struct {
	Hours    string `json:"hours,omitempty" jsonschema:"enum=1,enum=2,enum=4,enum=6,enum=8,enum=12,enum=24"`
	Minutes  string `json:"minutes,omitempty" jsonschema:"enum=15,enum=30,enum=60"`
	WeekDay  string `json:"weekDay,omitempty" jsonschema:"enum=Monday,enum=Tuesday,enum=Wednesday,enum=Thursday,enum=Friday,enum=Saturday,enum=Sunday"`
	MonthDay string `json:"monthDay,omitempty" jsonschema_description:"Monthly: 1 to 31 or LastDay."`
}

// Intervals reads either a plain array of intervals or Tableau's own
// {"interval":[...]} form, and is sent in Tableau's form.
type Intervals []Interval

// UnmarshalJSON accepts both forms.
func (iv *Intervals) UnmarshalJSON(b []byte) error {
	var list []Interval
	if err := json.Unmarshal(b, &list); err == nil {
		*iv = list
		return nil
	}
	var wrapped struct {
		Interval []Interval `json:"interval"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return fmt.Errorf("intervals must be an array such as [{\"weekDay\":\"Monday\"}]")
	}
	*iv = wrapped.Interval
	return nil
}

// MarshalJSON writes Tableau's form.
func (iv Intervals) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"interval": []Interval(iv)})
}

// FrequencyDetails says when a schedule runs.
type FrequencyDetails struct {
	Start     string    `json:"start" jsonschema:"required" jsonschema_description:"Start time HH:MM:SS."`
	End       string    `json:"end,omitempty" jsonschema_description:"Hourly: end time HH:MM:SS."`
	Intervals Intervals `json:"intervals,omitempty"`
}

var clock = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$`) }}

func (f *FrequencyDetails) validate() error {
	if !clock.Get().MatchString(f.Start) {
		return fmt.Errorf("frequency_details.start %q must be a time HH:MM:SS such as 06:00:00", clip(f.Start))
	}
	if f.End != "" && !clock.Get().MatchString(f.End) {
		return fmt.Errorf("frequency_details.end %q must be a time HH:MM:SS", clip(f.End))
	}
	return nil
}

// ScheduleSettings are the optional settings shared by create and update.
type ScheduleSettings struct {
	Priority       int    `json:"priority,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"1 (highest) to 100 (default 50)."`
	ExecutionOrder string `json:"execution_order,omitempty" jsonschema:"enum=Parallel,enum=Serial" jsonschema_description:"How its tasks run."`
}

// ScheduleCreateArgs are the arguments of tableau_schedule_create.
type ScheduleCreateArgs struct {
	Name             string           `json:"name" jsonschema:"required" jsonschema_description:"Name, unique on the server."`
	Frequency        string           `json:"frequency" jsonschema:"required,enum=Hourly,enum=Daily,enum=Weekly,enum=Monthly" jsonschema_description:"How often it runs."`
	FrequencyDetails FrequencyDetails `json:"frequency_details" jsonschema:"required" jsonschema_description:"Start time and intervals."`
	ScheduleType     string           `json:"schedule_type,omitempty" jsonschema:"enum=Extract,enum=Subscription,enum=Flow,enum=DataAcceleration" jsonschema_description:"What it runs (default Extract)."`
	ScheduleSettings
}

// Validate checks the times.
func (a *ScheduleCreateArgs) Validate() error { return a.FrequencyDetails.validate() }

// ScheduleUpdateArgs are the arguments of tableau_schedule_update.
type ScheduleUpdateArgs struct {
	ScheduleID       string            `json:"schedule_id" jsonschema:"required" jsonschema_description:"From tableau_schedules_list."`
	Frequency        string            `json:"frequency,omitempty" jsonschema:"enum=Hourly,enum=Daily,enum=Weekly,enum=Monthly" jsonschema_description:"New frequency (with frequency_details)."`
	FrequencyDetails *FrequencyDetails `json:"frequency_details,omitempty" jsonschema_description:"New start time and intervals."`
	State            string            `json:"state,omitempty" jsonschema:"enum=Active,enum=Suspended"`
	ScheduleSettings
}

// Validate requires something to change and checks the times.
func (a *ScheduleUpdateArgs) Validate() error {
	if a.Frequency == "" && a.FrequencyDetails == nil && a.State == "" && a.ScheduleSettings == (ScheduleSettings{}) {
		return fmt.Errorf("nothing to update: give at least one of frequency, frequency_details, state, priority, execution_order")
	}
	if a.FrequencyDetails != nil {
		return a.FrequencyDetails.validate()
	}
	return nil
}

func (s ScheduleSettings) fill(m map[string]any) {
	if s.Priority > 0 {
		m["priority"] = s.Priority
	}
	putIf(m, "executionOrder", s.ExecutionOrder)
}

// ScheduleID names one schedule.
type ScheduleRef struct {
	ScheduleID string `json:"schedule_id" jsonschema:"required" jsonschema_description:"From tableau_schedules_list."`
}

// SchedulesListArgs are the arguments of tableau_schedules_list.
type SchedulesListArgs struct {
	Paging
}

func scheduleTools() []Tool {
	return []Tool{
		restTool(Tool{
			Name: "tableau_schedules_list", Title: "List schedules", Kind: Read, Idempotent: true, Source: SK, Toolset: "schedules",
			Description: "List server schedules (Tableau Server only): id, name, state, type, frequency, next run.",
		}, func(a *SchedulesListArgs) backend.Request {
			return get(backend.APIScope, "/schedules", a.Paging.query(nil))
		}),
		restTool(Tool{
			Name: "tableau_schedule_create", Title: "Create a schedule", Kind: Write, Idempotent: false, Source: SK, Toolset: "schedules",
			Description: "Create a server schedule (Tableau Server only).",
		}, func(a *ScheduleCreateArgs) backend.Request {
			s := map[string]any{"name": a.Name, "frequency": a.Frequency, "frequencyDetails": a.FrequencyDetails}
			st := a.ScheduleType
			if st == "" {
				st = "Extract"
			}
			s["type"] = st
			a.ScheduleSettings.fill(s)
			return send(http.MethodPost, backend.APIScope, "/schedules", map[string]any{"schedule": s})
		}),
		restTool(Tool{
			Name: "tableau_schedule_update", Title: "Update a schedule", Kind: Write, Idempotent: true, Source: SK, Toolset: "schedules",
			Description: "Change a server schedule's timing, priority or order, or suspend or resume it (Tableau Server only).",
		}, func(a *ScheduleUpdateArgs) backend.Request {
			s := map[string]any{}
			putIf(s, "frequency", a.Frequency)
			putIf(s, "state", a.State)
			if a.FrequencyDetails != nil {
				s["frequencyDetails"] = a.FrequencyDetails
			}
			a.ScheduleSettings.fill(s)
			return send(http.MethodPut, backend.APIScope, backend.Segments("schedules", a.ScheduleID), map[string]any{"schedule": s})
		}),
		restTool(Tool{
			Name: "tableau_schedule_delete", Title: "Delete a schedule", Kind: Destructive, Idempotent: true, Source: SK, Toolset: "schedules",
			Description: "Permanently delete a server schedule; its tasks stop (Tableau Server only).",
		}, func(a *ScheduleRef) backend.Request {
			return send(http.MethodDelete, backend.APIScope, backend.Segments("schedules", a.ScheduleID), nil)
		}),
	}
}
