package tools

import (
	"context"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Docs returns the guides, each for one tool.
func Docs() []Doc {
	return []Doc{{
		Resource: mcp.NewResource("tableau://docs/query", "query_guide",
			mcp.WithResourceDescription("How to write tableau_query_view queries: fields, functions, filters, sorting, row limits and the answer."),
			mcp.WithMIMEType("text/markdown")),
		Tool: "tableau_query_view",
		text: func() string { return queryGuide },
	}, {
		Resource: mcp.NewResource("tableau://docs/filters", "list_filter_guide",
			mcp.WithResourceDescription("The filter and sort grammar of the list tools, with the fields each collection filters and sorts on."),
			mcp.WithMIMEType("text/markdown")),
		Tool: "tableau_workbooks_list",
		text: filterGuide,
	}}
}

// Resources returns the export resource templates: for each, the plain form
// (tableau://views/{view_id}/image) and the same with the export's options
// as a query ({?options*}), which is how resource_links of tool results
// carry non-default options such as filters.
func Resources() []Resource {
	out := make([]Resource, 0, 2*len(resourceDefs))
	for _, d := range resourceDefs {
		base := "tableau://" + d.collection + "/{" + d.idParam + "}/" + d.kind
		parse := func(uri string) (any, error) { return resourceArgsOf(d, uri) }
		fetch := func(ctx context.Context, env *Env, uri string, args any) ([]mcp.ResourceContents, error) {
			return fetchResource(ctx, env, d, uri, args)
		}
		opts := []mcp.ResourceTemplateOption{mcp.WithTemplateTitle(d.title)}
		if d.mime != "" {
			opts = append(opts, mcp.WithTemplateMIMEType(d.mime))
		}
		name := strings.TrimSuffix(d.collection, "s") + "_" + d.kind
		out = append(out,
			Resource{Template: mcp.NewResourceTemplate(base, name, append(opts, mcp.WithTemplateDescription(d.description))...), Tool: d.tool, Args: parse, Fetch: fetch},
			Resource{Template: mcp.NewResourceTemplate(base+"{?options*}", name+"_with_options",
				append(opts, mcp.WithTemplateDescription(d.description+" Options are the tool's parameters as a query, view filters as vf_<field>=value."))...), Tool: d.tool, Args: parse, Fetch: fetch})
	}
	return out
}
