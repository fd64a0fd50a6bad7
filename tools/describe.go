package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"

	"github.com/mark3labs/mcp-go/mcp"
)

// Placement is where one item of site content sits: what a scope needs to
// know of it. IDs are lower case.
type Placement struct {
	Project, Workbook string
	// Datasource is what an extract refresh task refreshes, when it is a
	// data source.
	Datasource string
	Tags       []string
}

// describers are the get tools that tell an item's placement.
var describers = map[string]struct{ tool, param string }{
	KindWorkbook:   {"tableau_workbook_get", "workbook_id"},
	KindDatasource: {"tableau_datasource_get", "datasource_id"},
	KindView:       {"tableau_view_get", "view_id"},
	KindCustomView: {"tableau_custom_view_get", "custom_view_id"},
	KindFlow:       {"tableau_flow_get", "flow_id"},
}

// Describe reads the placement of a workbook, data source or view by
// running its get tool (tableau_workbook_get and the rest) through the
// backend, so that the lookup takes the same path as the tool would on
// every backend.
func Describe(ctx context.Context, env *Env, kind, id string) (Placement, error) {
	if kind == KindTask {
		return describeTask(ctx, env, id)
	}
	d, ok := describers[kind]
	if !ok {
		return Placement{}, fmt.Errorf("no placement to read for a %s", kind)
	}
	t, err := ByName(d.tool)
	if err != nil {
		return Placement{}, err
	}
	t = t.full()
	args, err := t.decode(map[string]any{d.param: id})
	if err != nil {
		return Placement{}, err
	}
	res, err := t.run(ctx, env, args)
	if err != nil {
		return Placement{}, err
	}
	var doc map[string]json.RawMessage
	if text := resultText(res); json.Unmarshal([]byte(text), &doc) != nil {
		return Placement{}, fmt.Errorf("unexpected answer for %s %s", kind, id)
	}
	var item map[string]any
	if err := json.Unmarshal(doc[kind], &item); err != nil || item == nil {
		return Placement{}, fmt.Errorf("unexpected answer for %s %s", kind, id)
	}
	return PlacementOf(item), nil
}

func resultText(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// PlacementOf reads project{id}, workbook{id} and tags.tag[].label from an
// item as Tableau describes it (in a get or a list answer).
func PlacementOf(item map[string]any) Placement {
	ref := func(k string) string {
		m, _ := item[k].(map[string]any)
		id, _ := m["id"].(string)
		return strings.ToLower(id)
	}
	p := Placement{Project: ref("project"), Workbook: ref("workbook")}
	// Tags come as Tableau's {"tag":[{"label":...}]} or, in compact
	// results, as a list of names.
	list, compact := item["tags"].([]any)
	if !compact {
		tags, _ := item["tags"].(map[string]any)
		list, _ = tags["tag"].([]any)
	}
	for _, t := range list {
		if l, ok := t.(string); ok {
			p.Tags = append(p.Tags, l)
		}
		if m, ok := t.(map[string]any); ok {
			if l, ok := m["label"].(string); ok {
				p.Tags = append(p.Tags, l)
			}
		}
	}
	return p
}

// describeTask finds an extract refresh task in the site's task list (Tableau
// has no documented call that reads one task) and tells what it refreshes:
// its workbook or its data source. The list is read as REST, on every
// backend, so the answer has Tableau's shape.
func describeTask(ctx context.Context, env *Env, id string) (Placement, error) {
	for n := 1; n <= 50; n++ {
		req := get(backend.SiteScope, "/tasks/extractRefreshes", url.Values{"pageSize": {"1000"}, "pageNumber": {strconv.Itoa(n)}})
		req.Idempotent = true
		raw, err := env.Backend.Invoke(ctx, backend.Call{Tool: "tableau_extract_refresh_tasks_list", Request: req})
		if err != nil {
			return Placement{}, err
		}
		var doc struct {
			Tasks struct {
				Task []struct {
					ExtractRefresh struct {
						ID         string `json:"id"`
						Workbook   *cRef  `json:"workbook"`
						Datasource *cRef  `json:"datasource"`
					} `json:"extractRefresh"`
				} `json:"task"`
			} `json:"tasks"`
			Pagination page `json:"pagination"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return Placement{}, fmt.Errorf("unexpected answer listing extract refresh tasks")
		}
		for _, t := range doc.Tasks.Task {
			er := t.ExtractRefresh
			if !strings.EqualFold(er.ID, id) {
				continue
			}
			var p Placement
			if er.Workbook != nil {
				p.Workbook = strings.ToLower(er.Workbook.ID)
			}
			if er.Datasource != nil {
				p.Datasource = strings.ToLower(er.Datasource.ID)
			}
			return p, nil
		}
		// Without pagination (the list is whole) or past its end: not there.
		if int(doc.Pagination.PageSize) == 0 || n*int(doc.Pagination.PageSize) >= int(doc.Pagination.TotalAvailable) {
			break
		}
	}
	return Placement{}, fmt.Errorf("no extract refresh task %s on this site; tableau_extract_refresh_tasks_list shows the tasks", id)
}
