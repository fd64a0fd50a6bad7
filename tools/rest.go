package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// restTool declares a tool that is exactly one REST call: build turns the
// checked arguments into the request; one piece of code sends it through the
// backend and returns Tableau's JSON.
func restTool[A any](t Tool, build func(a *A) backend.Request) Tool {
	return define(t, func(ctx context.Context, env *Env, a *A) (*mcp.CallToolResult, error) {
		raw, err := env.Backend.Invoke(ctx, t.call(a, build(a)))
		if err != nil {
			return nil, err
		}
		return jsonResult(raw), nil
	})
}

// call packages a request with the tool's arguments in Scalekit's form.
func (t Tool) call(args any, req backend.Request) backend.Call {
	return t.callVia(args, req, t.Source != New)
}

// callVia packages a request that Scalekit's connector runs as its own tool
// when forward is set, with the arguments in its form; otherwise the request
// goes as it is, and the arguments, which no backend reads then, are not
// rendered.
func (t Tool) callVia(args any, req backend.Request, forward bool) backend.Call {
	req.Idempotent = t.Idempotent
	c := backend.Call{Tool: t.Name, Forward: forward, Request: req}
	if forward {
		c.Params = params(args)
	}
	return c
}

// params renders arguments as the JSON object a caller would send.
func params(args any) map[string]any {
	out := map[string]any{}
	if b, err := json.Marshal(args); err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

func get(scope backend.Scope, path string, q url.Values) backend.Request {
	return backend.Request{Method: http.MethodGet, Scope: scope, Path: path, Query: q}
}

func send(method string, scope backend.Scope, path string, body any) backend.Request {
	return backend.Request{Method: method, Scope: scope, Path: path, Body: body}
}

// Paging is the page_number and page_size pair every list tool shares.
type Paging struct {
	PageNumber int `json:"page_number,omitempty" jsonschema:"minimum=1"`
	PageSize   int `json:"page_size,omitempty" jsonschema:"minimum=1,maximum=1000"`
}

func (p Paging) query(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.PageNumber > 0 {
		q.Set("pageNumber", strconv.Itoa(p.PageNumber))
	}
	if p.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(p.PageSize))
	}
	return q
}

// ListArgs are the filter, sort and paging parameters of list tools.
type ListArgs struct {
	Filter string `json:"filter,omitempty" check:"filter" jsonschema_description:"field:op:value,..., e.g. name:has:Sales."`
	Sort   string `json:"sort,omitempty" check:"sort" jsonschema_description:"field:asc|desc,..."`
	Paging
}

func (l ListArgs) query() url.Values {
	q := l.Paging.query(nil)
	if l.Filter != "" {
		q.Set("filter", l.Filter)
	}
	if l.Sort != "" {
		q.Set("sort", l.Sort)
	}
	return q
}

// NoArgs is the argument struct of tools without parameters.
type NoArgs struct{}

func usage(q url.Values, on bool) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if on {
		q.Set("includeUsageStatistics", "true")
	}
	return q
}

func ref(id string) map[string]any { return map[string]any{"id": id} }

// putIf sets m[k] when v is set (non-empty string or non-nil pointer).
func putIf(m map[string]any, k string, v any) {
	switch x := v.(type) {
	case string:
		if x != "" {
			m[k] = x
		}
	case *bool:
		if x != nil {
			m[k] = *x
		}
	case *int:
		if x != nil {
			m[k] = *x
		}
	default:
		if v != nil {
			m[k] = v
		}
	}
}
