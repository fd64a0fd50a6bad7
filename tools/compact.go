package tools

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Results a model reads at a glance. By default the list and get tools
// answer with the fields an agent uses, names beside IDs, instead of
// Tableau's whole JSON: the answer is decoded once straight into the small
// types below (unknown members are skipped by the decoder) and encoded once.
// Where Tableau's list methods take fields=, the request asks for the names
// (owner.name, project.name, workbook.name) so that they come in the same
// single request. Lists name an owner by name only (a user is found by name
// with tableau_users_list); get tools keep every ID Tableau gives.
// Env.Results "tableau" returns Tableau's JSON unchanged.

// Result modes.
const (
	ResultsCompact = "compact"
	ResultsTableau = "tableau"
)

func (env *Env) compact() bool { return env.Results != ResultsTableau }

// cRef names a related item: its LUID and, where known, its name.
type cRef struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type cUsage struct {
	TotalViewCount count `json:"totalViewCount"`
}

type cWorkbook struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Project     *cRef    `json:"project,omitempty"`
	Owner       *cRef    `json:"owner,omitempty"`
	Tags        tagList  `json:"tags,omitempty"`
	UpdatedAt   string   `json:"updatedAt,omitempty"`
	Views       *viewSet `json:"views,omitempty"` // tableau_workbook_get
}

type cView struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	SheetType string  `json:"sheetType,omitempty"`
	Workbook  *cRef   `json:"workbook,omitempty"`
	Project   *cRef   `json:"project,omitempty"`
	Owner     *cRef   `json:"owner,omitempty"`
	Tags      tagList `json:"tags,omitempty"`
	Usage     *cUsage `json:"usage,omitempty"`
}

type cDatasource struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Type        string  `json:"type,omitempty"`
	Description string  `json:"description,omitempty"`
	IsCertified bool    `json:"isCertified,omitempty"`
	HasExtracts bool    `json:"hasExtracts,omitempty"`
	Project     *cRef   `json:"project,omitempty"`
	Owner       *cRef   `json:"owner,omitempty"`
	Tags        tagList `json:"tags,omitempty"`
	UpdatedAt   string  `json:"updatedAt,omitempty"`
}

type cProject struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description,omitempty"`
	ParentProjectID string `json:"parentProjectId,omitempty"`
	Owner           *cRef  `json:"owner,omitempty"`
}

type cUser struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FullName  string `json:"fullName,omitempty"`
	Email     string `json:"email,omitempty"`
	SiteRole  string `json:"siteRole,omitempty"`
	LastLogin string `json:"lastLogin,omitempty"`
}

// tidy leaves out an email that only repeats the user name (as on Tableau
// Cloud, where the name is the email).
func (u *cUser) tidy() {
	if strings.EqualFold(u.Email, u.Name) {
		u.Email = ""
	}
}

// tidier is a compact item with members to drop once decoded.
type tidier interface{ tidy() }

type cGroup struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	MinimumSiteRole string `json:"minimumSiteRole,omitempty"`
	UserCount       count  `json:"userCount"`
}

type cJob struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	JobType   string `json:"jobType,omitempty"`
	Subtitle  string `json:"subtitle,omitempty"` // the content's name
	CreatedAt string `json:"createdAt,omitempty"`
	EndedAt   string `json:"endedAt,omitempty"`
}

type cSite struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ContentURL string `json:"contentUrl"`
}

// cTask flattens tasks.task[].extractRefresh.
type cTask struct {
	ExtractRefresh struct {
		ID       string `json:"id"`
		Type     string `json:"type,omitempty"`
		Failed   count  `json:"consecutiveFailedCount,omitempty"`
		Workbook *cRef  `json:"workbook,omitempty"`
		Data     *cRef  `json:"datasource,omitempty"`
		Schedule *struct {
			Name      string `json:"name,omitempty"`
			Frequency string `json:"frequency,omitempty"`
			NextRunAt string `json:"nextRunAt,omitempty"`
		} `json:"schedule,omitempty"`
	} `json:"extractRefresh"`
}

func (t cTask) MarshalJSONTo(enc *jsontext.Encoder) error {
	return jsonv2.MarshalEncode(enc, &t.ExtractRefresh)
}

// page is Tableau's pagination, whose counts are strings.
type page struct {
	PageNumber     count `json:"pageNumber"`
	PageSize       count `json:"pageSize"`
	TotalAvailable count `json:"totalAvailable"`
}

// shape says how one tool's answer is made compact: the collection's key in
// Tableau's answer and its element's, the key in the compact answer, and
// the fields= to ask for (empty: the method does not take it).
type shape struct {
	plural, singular, out, fields string
}

// resultShape is the compact answer of a tool, for its documentation.
type resultShape struct {
	key     string
	item    reflect.Type
	list    bool
	unpaged bool   // a list Tableau does not page
	paging  string // how the list pages, when not REST's way
}

// unpaged marks a list tool whose answer Tableau does not page.
func unpaged(t Tool) Tool {
	r := *t.result
	r.unpaged = true
	t.result = &r
	return t
}

func (t Tool) answers(r *resultShape) Tool {
	t.result = r
	return t
}

// listTool declares a list tool: one REST call whose answer is made compact
// as sh says, or returned as Tableau's JSON in the tableau results mode.
func listTool[A any, T any](t Tool, sh shape, build func(a *A) backend.Request) Tool {
	t.result = &resultShape{key: sh.out, item: reflect.TypeFor[T](), list: true}
	return define(t, func(ctx context.Context, env *Env, a *A) (*mcp.CallToolResult, error) {
		req := build(a)
		if !env.compact() {
			raw, err := env.Backend.Invoke(ctx, t.call(a, req))
			if err != nil {
				return nil, err
			}
			return jsonResult(raw), nil
		}
		call := t.call
		if sh.fields != "" {
			req.Query = withFields(req.Query, sh.fields, req)
			// The names come with fields=, which only the REST call carries.
			call = func(args any, req backend.Request) backend.Call { return t.callVia(args, req, false) }
		}
		raw, err := env.Backend.Invoke(ctx, call(a, req))
		if err != nil {
			return nil, err
		}
		if p := planOf(reflect.TypeFor[T]()); p != nil {
			if text, ok := transcodeList(raw, sh, p); ok {
				return mcp.NewToolResultText(text), nil
			}
		}
		items, pg, err := decodeList[T](raw, sh)
		if err != nil {
			return nil, fmt.Errorf("unexpected answer from Tableau: %w", err)
		}
		return listJSON(sh.out, items, pg)
	})
}

func withFields(q map[string][]string, fields string, req backend.Request) map[string][]string {
	out := map[string][]string{}
	for k, v := range q {
		out[k] = v
	}
	if req.Query.Get("includeUsageStatistics") == "true" {
		fields += ",usage.totalViewCount"
	}
	out["fields"] = []string{fields}
	return out
}

// getTool declares a get tool: one REST call answering {"<key>":{...}},
// made compact as T, or Tableau's JSON in the tableau results mode.
func getTool[A any, T any](t Tool, key string, build func(a *A) backend.Request) Tool {
	t.result = &resultShape{key: key, item: reflect.TypeFor[T]()}
	return define(t, func(ctx context.Context, env *Env, a *A) (*mcp.CallToolResult, error) {
		raw, err := env.Backend.Invoke(ctx, t.call(a, build(a)))
		if err != nil {
			return nil, err
		}
		if !env.compact() {
			return jsonResult(raw), nil
		}
		item, err := decodeMember[T](raw, key)
		if err != nil || item == nil {
			return jsonResult(raw), nil
		}
		return memberJSON(key, item)
	})
}

// ResultsMarkdown documents the compact answer of every list and get tool:
// its top-level key and the members of each item.
func ResultsMarkdown() string {
	var b strings.Builder
	b.WriteString("| tool | compact answer |\n| --- | --- |\n")
	for _, t := range All() {
		t = t.full()
		if t.result == nil {
			continue
		}
		r := t.result
		if r.list && r.paging != "" {
			fmt.Fprintf(&b, "| `%s` | `{\"%s\":[%s],%s}` |\n", t.Name, r.key, shapeOf(r.item), r.paging)
		} else if r.list && r.unpaged {
			fmt.Fprintf(&b, "| `%s` | `{\"%s\":[%s]}` |\n", t.Name, r.key, shapeOf(r.item))
		} else if r.list {
			fmt.Fprintf(&b, "| `%s` | `{\"%s\":[%s],\"page\":{number,size,total}}` |\n", t.Name, r.key, shapeOf(r.item))
		} else {
			fmt.Fprintf(&b, "| `%s` | `{\"%s\":%s}` |\n", t.Name, r.key, shapeOf(r.item))
		}
	}
	return b.String()
}

// shapeOf renders a compact type's members: {id,name,owner{id,name},...};
// members shown only when set carry a question mark.
func shapeOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[cTask]():
		f, _ := t.FieldByName("ExtractRefresh")
		return shapeOf(f.Type)
	case t == reflect.TypeFor[cFlowTask]():
		f, _ := t.FieldByName("FlowRun")
		return shapeOf(f.Type)
	case t == reflect.TypeFor[tagList]():
		return "[names]"
	case t == reflect.TypeFor[viewSet]():
		return "[" + shapeOf(reflect.TypeFor[cView]()) + "]"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return "[" + shapeOf(t.Elem()) + "]"
	case t.Kind() != reflect.Struct:
		return ""
	}
	var parts []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			parts = append(parts, strings.Trim(shapeOf(f.Type), "{}"))
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		if strings.Contains(opts, "omitempty") {
			name += "?"
		}
		parts = append(parts, name+shapeOf(f.Type))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
