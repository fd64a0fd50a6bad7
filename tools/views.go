package tools

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ViewID names one view.
type ViewRef struct {
	ViewID string `json:"view_id" jsonschema:"required" jsonschema_description:"From tableau_views_list."`
}

// ViewsListArgs are the arguments of tableau_views_list.
type ViewsListArgs struct {
	ListArgs
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty"`
}

// WorkbookViewsArgs are the arguments of tableau_list_views.
type WorkbookViewsArgs struct {
	WorkbookRef
	Filter                 string `json:"filter,omitempty" check:"filter" jsonschema_description:"On name or sheetType, ops eq cieq has in, e.g. name:has:Sales."`
	IncludeUsageStatistics bool   `json:"include_usage_statistics,omitempty"`
	Paging
}

// ViewGetArgs are the arguments of tableau_view_get.
type ViewGetArgs struct {
	ViewRef
	IncludeUsageStatistics bool `json:"include_usage_statistics,omitempty"`
}

func viewTools() []Tool {
	return []Tool{
		listTool[ViewsListArgs, cView](Tool{
			Name: "tableau_views_list", Title: "List views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
			Description: "List views across the site: id, name, type, workbook, project, owner.",
		}, shape{"views", "view", "views", "id,name,sheetType,workbook.id,workbook.name,project.id,project.name,tags"}, func(a *ViewsListArgs) backend.Request {
			return get(backend.SiteScope, "/views", usage(a.ListArgs.query(), a.IncludeUsageStatistics))
		}),
		define(Tool{
			Name: "tableau_list_views", Title: "List a workbook's views", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
			Description: "List the views of one workbook: id, name, type.",
		}, listWorkbookViews).answers(&resultShape{key: "views", item: reflect.TypeFor[cView](), list: true}),
		getTool[ViewGetArgs, cView](Tool{
			Name: "tableau_view_get", Title: "Get a view", Kind: Read, Idempotent: true, Source: Seed, Toolset: "views",
			Description: "Get one view: name, type, workbook, project, owner, tags.",
		}, "view", func(a *ViewGetArgs) backend.Request {
			return get(backend.SiteScope, backend.Segments("views", a.ViewID), usage(nil, a.IncludeUsageStatistics))
		}),
	}
}

// Tableau's Query Views for Workbook answers every view of the workbook and
// takes no filter or paging, so tableau_list_views applies its filter
// (name and sheetType, operators eq cieq has in) and paging itself, to the
// one answer.

// viewTerm is one checked filter term of tableau_list_views.
type viewTerm struct {
	field, op string
	values    []string
}

// Validate refuses filters tableau_list_views cannot apply.
func (a *WorkbookViewsArgs) Validate() error {
	_, err := a.terms()
	return err
}

func (a *WorkbookViewsArgs) terms() ([]viewTerm, error) {
	if a.Filter == "" {
		return nil, nil
	}
	parts, err := splitTerms(a.Filter)
	if err != nil {
		return nil, err
	}
	var out []viewTerm
	for _, p := range parts {
		field, rest, _ := strings.Cut(p, ":")
		op, value, _ := strings.Cut(rest, ":")
		if field != "name" && field != "sheetType" {
			return nil, fmt.Errorf("filter: tableau_list_views filters on name and sheetType only, not %q; to filter a workbook's views on other fields use tableau_views_list with workbookName:eq:<workbook name> and your filter", clip(field))
		}
		t := viewTerm{field: field, op: op, values: []string{value}}
		switch op {
		case "eq", "cieq", "has":
		case "in":
			t.values = strings.Split(strings.Trim(value, "[]"), ",")
		default:
			return nil, fmt.Errorf("filter: tableau_list_views takes the operators eq, cieq (equals ignoring case), has (contains, a substring match) and in ([a,b]), not %q", clip(op))
		}
		out = append(out, t)
	}
	return out, nil
}

func (t viewTerm) match(v string) bool {
	for _, want := range t.values {
		switch t.op {
		case "eq", "in":
			if v == want {
				return true
			}
		case "cieq":
			if strings.EqualFold(v, want) {
				return true
			}
		case "has":
			if strings.Contains(strings.ToLower(v), strings.ToLower(want)) {
				return true
			}
		}
	}
	return false
}

func listWorkbookViews(ctx context.Context, env *Env, a *WorkbookViewsArgs) (*mcp.CallToolResult, error) {
	terms, err := a.terms()
	if err != nil {
		return nil, err
	}
	req := get(backend.SiteScope, workbookPath(a.WorkbookID, "views"), usage(nil, a.IncludeUsageStatistics))
	raw, err := env.Backend.Invoke(ctx, backend.Call{Tool: "tableau_list_views", Forward: true, Params: params(a), Request: req})
	if err != nil {
		return nil, err
	}
	sh := shape{plural: "views", singular: "view"}
	size, number := a.PageSize, a.PageNumber
	if size == 0 {
		size = 100
	}
	if number == 0 {
		number = 1
	}
	if env.compact() {
		views, _, err := decodeList[cView](raw, sh)
		if err != nil {
			return nil, fmt.Errorf("unexpected answer from Tableau: %w", err)
		}
		kept, pg := pageOf(views, terms, size, number, func(v cView, f string) string {
			if f == "sheetType" {
				return v.SheetType
			}
			return v.Name
		})
		return listJSON("views", kept, pg)
	}
	views, _, err := decodeList[map[string]any](raw, sh)
	if err != nil {
		return nil, fmt.Errorf("unexpected answer from Tableau: %w", err)
	}
	kept, pg := pageOf(views, terms, size, number, func(v map[string]any, f string) string {
		s, _ := v[f].(string)
		return s
	})
	return jsonValue(map[string]any{
		"pagination": map[string]string{"pageNumber": fmt.Sprint(pg.PageNumber), "pageSize": fmt.Sprint(pg.PageSize), "totalAvailable": fmt.Sprint(pg.TotalAvailable)},
		"views":      map[string]any{"view": kept},
	})
}

// pageOf filters items by the terms and returns the page asked for.
func pageOf[T any](items []T, terms []viewTerm, size, number int, get func(T, string) string) ([]T, *page) {
	kept := make([]T, 0, len(items))
	for _, it := range items {
		ok := true
		for _, t := range terms {
			if !t.match(get(it, t.field)) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, it)
		}
	}
	total := len(kept)
	start := (number - 1) * size
	if number-1 >= total || start >= total {
		kept = kept[:0]
	} else {
		kept = kept[start:min(start+size, total)]
	}
	return kept, &page{PageNumber: count(number), PageSize: count(size), TotalAvailable: count(total)}
}
