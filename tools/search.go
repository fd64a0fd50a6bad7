package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// ContentSearchArgs are the arguments of tableau_content_search.
type ContentSearchArgs struct {
	Terms string `json:"terms,omitempty" jsonschema_description:"Words to find in names, descriptions and tags."`
	Type  string `json:"type,omitempty" jsonschema:"enum=workbook,enum=view,enum=datasource,enum=project,enum=flow"`
	Paging
}

// hit is one compact search result.
type hit struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Owner    string `json:"owner,omitempty"`
	Project  string `json:"project,omitempty"`
	Workbook string `json:"workbook,omitempty"`
}

// searchAnswer is Tableau's content search answer, read once.
type searchAnswer struct {
	Hits struct {
		Total int `json:"total"`
		Items []struct {
			Content struct {
				Type           string `json:"type"`
				LUID           string `json:"luid"`
				DatasourceLUID string `json:"datasourceLuid"`
				Title          string `json:"title"`
				OwnerName      string `json:"ownerName"`
				ProjectName    string `json:"projectName"`
				ContainerName  string `json:"containerName"`
			} `json:"content"`
		} `json:"items"`
	} `json:"hits"`
}

func searchTools() []Tool {
	return []Tool{
		define(Tool{
			Name: "tableau_content_search", Title: "Search content", Kind: Read, Idempotent: true, Source: New, Toolset: "site",
			Description: "Find workbooks, views, data sources, projects and flows by words: type, id, name, owner, project, a view's workbook.",
		}, runContentSearch).answers(&resultShape{key: "hits", item: reflect.TypeFor[hit](), list: true}),
	}
}

// runContentSearch calls Tableau's content search (GET /api/-/search, the
// session's site): limit is page_size (default 10), page is 0-based.
func runContentSearch(ctx context.Context, env *Env, a *ContentSearchArgs) (*mcp.CallToolResult, error) {
	q := url.Values{}
	if a.Terms != "" {
		q.Set("terms", a.Terms)
	}
	if a.Type != "" {
		q.Set("filter", "type:eq:"+a.Type)
	}
	size := a.PageSize
	if size == 0 {
		size = 10
	}
	q.Set("limit", strconv.Itoa(size))
	if a.PageNumber > 1 {
		q.Set("page", strconv.Itoa(a.PageNumber-1))
	}
	req := get(backend.UnversionedScope, "/search", q)
	raw, err := env.Backend.Invoke(ctx, backend.Call{Tool: "tableau_content_search", Params: params(a), Request: req})
	if err != nil {
		return nil, err
	}
	if !env.compact() {
		return jsonResult(raw), nil
	}
	var ans searchAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("unexpected answer from Tableau's content search: %w", err)
	}
	hits := make([]hit, 0, len(ans.Hits.Items))
	seen := map[string]bool{}
	for _, it := range ans.Hits.Items {
		c := it.Content
		h := hit{Type: c.Type, ID: c.LUID, Name: c.Title, Owner: c.OwnerName, Project: c.ProjectName}
		if c.Type == "unifieddatasource" { // Tableau's merged data source hit
			h.Type, h.ID = "datasource", c.DatasourceLUID
		}
		if c.Type == "view" {
			h.Workbook = c.ContainerName
		}
		if h.ID == "" || seen[h.Type+h.ID] {
			continue
		}
		seen[h.Type+h.ID] = true
		hits = append(hits, h)
	}
	pg := &page{PageNumber: count(max(a.PageNumber, 1)), PageSize: count(size), TotalAvailable: count(ans.Hits.Total)}
	return listJSON("hits", hits, pg)
}
