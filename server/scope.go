package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// Scope bounds the content the server will touch, so that an operator can
// hand an agent one corner of a site. Empty lists mean no bound.
//
// A workbook or data source is in scope when its ID is listed, its project
// is listed, or it carries a listed tag. A view is in scope when its
// workbook is. A project is in scope only when it is listed (nested projects
// are not included: list them too). Users, groups, jobs, schedules and the
// site itself are not content and are not bounded by the scope.
type Scope struct {
	Projects, Workbooks, Datasources, Tags []string
}

// Active reports whether any bound is set.
func (s Scope) Active() bool {
	return len(s.Projects)+len(s.Workbooks)+len(s.Datasources)+len(s.Tags) > 0
}

// scoper enforces a Scope: before a call it refuses arguments naming
// out-of-scope content, after a call it removes out-of-scope items from the
// collections the answer lists. Facts it must look up (a workbook's project
// and tags, a view's workbook) are read through the backend once and cached.
type scoper struct {
	projects, workbooks, datasources, tags map[string]bool
	b                                      backend.Backend
	ttl                                    time.Duration

	mu    sync.Mutex
	cache map[string]fact
}

// fact is what the scope needs to know about one item.
type fact struct {
	project, workbook string
	tags              []string
	at                time.Time
}

func newScoper(s Scope, b backend.Backend) *scoper {
	set := func(l []string, fold bool) map[string]bool {
		m := map[string]bool{}
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" {
				if fold {
					v = strings.ToLower(v)
				}
				m[v] = true
			}
		}
		return m
	}
	return &scoper{
		projects: set(s.Projects, true), workbooks: set(s.Workbooks, true),
		datasources: set(s.Datasources, true), tags: set(s.Tags, true),
		b: b, ttl: 2 * time.Minute, cache: map[string]fact{},
	}
}

// scopedParams maps the argument names that name content to its kind.
var scopedParams = map[string]string{
	"project_id": "project", "parent_project_id": "project", "new_project_id": "project",
	"workbook_id": "workbook", "view_id": "view",
	"datasource_id": "datasource", "datasource_luid": "datasource",
}

func (s *scoper) wrap(t tools.Tool, next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args := argMap(req.Params.Arguments)
		if t.Name == "tableau_project_create" && len(s.projects) > 0 {
			if p, _ := args["parent_project_id"].(string); p == "" {
				return refuse(ctx, OutcomeRefused, "scope", "a top-level project would be outside the content this server is allowed to touch (its scope is set by the operator): give parent_project_id, one of the projects tableau_projects_list shows"), nil
			}
		}
		for name, kind := range scopedParams {
			v, present := args[name]
			if !present {
				continue
			}
			id, ok := v.(string)
			if ok && id == "" {
				continue // an optional ID left empty names nothing
			}
			if !ok || !backend.IsLUID(id) {
				return refuse(ctx, OutcomeRefused, "scope", fmt.Sprintf("%s: %s must be a Tableau LUID string", t.Name, name)), nil
			}
			in, err := s.allows(ctx, kind, id)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				return refuse(ctx, OutcomeRefused, "scope", fmt.Sprintf("%s: could not check %s %s against the server's scope: %v", t.Name, kind, id, err)), nil
			}
			if !in {
				return refuse(ctx, OutcomeRefused, "scope", fmt.Sprintf("%s: %s %s is outside the content this server is allowed to touch (its scope is set by the operator); use an item that the list tools show", t.Name, kind, id)), nil
			}
		}
		res, err := next(ctx, req)
		if err != nil || res == nil || res.IsError {
			return res, err
		}
		return s.filter(ctx, res), nil
	}
}

// argMap returns the call's arguments as a map (nil when they are not an object).
func argMap(a any) map[string]any {
	switch v := a.(type) {
	case map[string]any:
		return v
	case nil:
		return nil
	}
	var raw []byte
	switch v := a.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		raw, _ = json.Marshal(v)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// allows reports whether the item of kind with id is in scope.
func (s *scoper) allows(ctx context.Context, kind, id string) (bool, error) {
	id = strings.ToLower(id)
	switch kind {
	case "project":
		return s.projects[id], nil
	case "workbook":
		return s.workbookIn(ctx, id, "")
	case "datasource":
		if s.datasources[id] {
			return true, nil
		}
		if len(s.projects) == 0 && len(s.tags) == 0 {
			return false, nil
		}
		f, err := s.lookup(ctx, "datasource", id)
		if err != nil {
			return false, err
		}
		return s.projects[f.project] || s.tagged(f.tags), nil
	case "view":
		f, err := s.lookup(ctx, "view", id)
		if err != nil {
			return false, err
		}
		return s.workbookIn(ctx, f.workbook, f.project)
	}
	return false, nil
}

// workbookIn reports whether a workbook is in scope; project, when known,
// spares a lookup.
func (s *scoper) workbookIn(ctx context.Context, id, project string) (bool, error) {
	if s.workbooks[id] || (project != "" && s.projects[project]) {
		return true, nil
	}
	if id == "" || (len(s.tags) == 0 && (project != "" || len(s.projects) == 0)) {
		return false, nil
	}
	f, err := s.lookup(ctx, "workbook", id)
	if err != nil {
		return false, err
	}
	return s.projects[f.project] || s.tagged(f.tags), nil
}

func (s *scoper) tagged(tags []string) bool {
	for _, t := range tags {
		if s.tags[strings.ToLower(t)] {
			return true
		}
	}
	return false
}

// lookup reads an item's project, workbook and tags, cached for a while.
func (s *scoper) lookup(ctx context.Context, kind, id string) (fact, error) {
	key := kind + "/" + id
	s.mu.Lock()
	f, ok := s.cache[key]
	s.mu.Unlock()
	if ok && time.Since(f.at) < s.ttl {
		return f, nil
	}
	var path, tool, param string
	switch kind {
	case "workbook":
		path, tool, param = backend.Segments("workbooks", id), "tableau_workbook_get", "workbook_id"
	case "datasource":
		path, tool, param = backend.Segments("datasources", id), "tableau_datasource_get", "datasource_id"
	case "view":
		path, tool, param = backend.Segments("views", id), "tableau_view_get", "view_id"
	default:
		return fact{}, errors.New("nothing to look up")
	}
	raw, err := s.b.Invoke(ctx, backend.Call{
		Tool: tool, Forward: true, Params: map[string]any{param: id},
		Request: backend.Request{Method: http.MethodGet, Scope: backend.SiteScope, Path: path},
	})
	if err != nil {
		return fact{}, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fact{}, fmt.Errorf("unexpected answer for %s %s", kind, id)
	}
	var item map[string]any
	if err := json.Unmarshal(doc[kind], &item); err != nil || item == nil {
		return fact{}, fmt.Errorf("unexpected answer for %s %s", kind, id)
	}
	f = factOf(item)
	f.at = time.Now()
	s.mu.Lock()
	if len(s.cache) > 10000 {
		s.cache = map[string]fact{}
	}
	s.cache[key] = f
	s.mu.Unlock()
	return f, nil
}

// factOf reads project{id}, workbook{id} and tags.tag[].label from an item.
func factOf(item map[string]any) fact {
	ref := func(k string) string {
		m, _ := item[k].(map[string]any)
		id, _ := m["id"].(string)
		return strings.ToLower(id)
	}
	f := fact{project: ref("project"), workbook: ref("workbook")}
	tags, _ := item["tags"].(map[string]any)
	list, _ := tags["tag"].([]any)
	for _, t := range list {
		if m, ok := t.(map[string]any); ok {
			if l, ok := m["label"].(string); ok {
				f.tags = append(f.tags, l)
			}
		}
	}
	return f
}

// collections are the lists in Tableau answers that the scope filters.
var collections = []struct{ outer, inner, kind string }{
	{"workbooks", "workbook", "workbook"},
	{"datasources", "datasource", "datasource"},
	{"views", "view", "view"},
	{"projects", "project", "project"},
}

// filter removes out-of-scope items from the answer's collections. Items
// whose scope cannot be checked are removed too.
func (s *scoper) filter(ctx context.Context, res *mcp.CallToolResult) *mcp.CallToolResult {
	for i, c := range res.Content {
		tc, ok := c.(mcp.TextContent)
		if !ok || !strings.HasPrefix(strings.TrimSpace(tc.Text), "{") {
			continue
		}
		var doc map[string]any
		if json.Unmarshal([]byte(tc.Text), &doc) != nil {
			continue
		}
		removed := 0
		for _, col := range collections {
			outer, ok := doc[col.outer].(map[string]any)
			if !ok {
				continue
			}
			items, ok := outer[col.inner].([]any)
			if !ok {
				continue
			}
			kept := make([]any, 0, len(items))
			for _, it := range items {
				m, _ := it.(map[string]any)
				if m != nil && s.itemIn(ctx, col.kind, m) {
					kept = append(kept, it)
				}
			}
			removed += len(items) - len(kept)
			outer[col.inner] = kept
		}
		if removed == 0 {
			continue
		}
		doc["scopeNote"] = fmt.Sprintf("%d item(s) outside the content this server may touch were removed from this page; pagination counts still include them.", removed)
		b, err := json.Marshal(doc)
		if err != nil {
			continue
		}
		tc.Text = string(b)
		res.Content[i] = tc
	}
	return res
}

// itemIn decides for one listed item, using what the listing says of it.
func (s *scoper) itemIn(ctx context.Context, kind string, m map[string]any) bool {
	id, _ := m["id"].(string)
	id = strings.ToLower(id)
	f := factOf(m)
	switch kind {
	case "project":
		return s.projects[id]
	case "workbook":
		if s.workbooks[id] || s.projects[f.project] || s.tagged(f.tags) {
			return true
		}
		return false
	case "datasource":
		return s.datasources[id] || s.projects[f.project] || s.tagged(f.tags)
	case "view":
		in, err := s.workbookIn(ctx, f.workbook, f.project)
		return err == nil && in
	}
	return false
}
