package server

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Prompts are workflows a person starts from a client's prompt menu. Each
// names the tools it uses and is offered only when all of them are served;
// prompts/get goes through the guarded path (observed, selection checked).

type promptArg struct {
	name, description string
	required          bool
	// kind, when set, is the content the argument names ("view",
	// "workbook", "datasource"): it is completed with names from the site.
	kind string
}

type promptDef struct {
	name, title, description string
	args                     []promptArg
	tools                    []string // the tools the workflow uses; all must be served
	// optional tools are mentioned when served.
	optional []string
	render   func(a map[string]string, served func(string) bool) string
}

// ref names an item for the model: by ID when given one, else by name with
// the tool and filter that find it.
func ref(kind, value, listTool string) string {
	if backend.IsLUID(value) {
		return fmt.Sprintf("the %s with ID %s", kind, value)
	}
	return fmt.Sprintf("the %s named %q (find its ID with %s, filter \"name:eq:%s\")", kind, value, listTool, value)
}

var promptDefs = []promptDef{
	{
		name: "explore_datasource", title: "Answer a question from a data source",
		description: "Explore a published data source's fields and answer a question with a query.",
		args: []promptArg{
			{name: "datasource", description: "Name or ID of the published data source.", required: true, kind: "datasource"},
			{name: "question", description: "The question to answer from its data.", required: true},
		},
		tools: []string{"tableau_datasources_list", "tableau_datasource_metadata_get", "tableau_query_view"},
		render: func(a map[string]string, _ func(string) bool) string {
			return fmt.Sprintf("Answer this question from %s on Tableau: %s\n\n"+
				"1. Read its fields with tableau_datasource_metadata_get: captions, data types, dimensions and measures.\n"+
				"2. Query it with tableau_query_view, naming fields by their exact captions; give measures a function (SUM, AVG, COUNTD...) and filter or sort as the question needs.\n"+
				"3. Answer in plain words with the figures, say which fields and filters you used, and say when the answer was cut or the data cannot answer the question.",
				ref("data source", a["datasource"], "tableau_datasources_list"), a["question"])
		},
	},
	{
		name: "explain_view", title: "Explain a view",
		description: "Look at a view's image and data and explain what it shows.",
		args: []promptArg{
			{name: "view", description: "Name or ID of the view (worksheet or dashboard).", required: true, kind: "view"},
		},
		tools: []string{"tableau_views_list", "tableau_view_image_get", "tableau_view_data_get"},
		render: func(a map[string]string, _ func(string) bool) string {
			return fmt.Sprintf("Explain %s on Tableau.\n\n"+
				"1. Look at it with tableau_view_image_get.\n"+
				"2. Read the data behind it with tableau_view_data_get.\n"+
				"3. Say what the view shows (measures, dimensions, filters), the main patterns and outliers with figures from the data, and anything the image suggests that the data does not support.",
				ref("view", a["view"], "tableau_views_list"))
		},
	},
	{
		name: "find_content", title: "Find content about a topic",
		description: "Find the workbooks, views and data sources about a topic.",
		args: []promptArg{
			{name: "topic", description: "What the content should be about, e.g. sales pipeline.", required: true},
		},
		tools: []string{"tableau_workbooks_list", "tableau_views_list", "tableau_datasources_list"},
		render: func(a map[string]string, _ func(string) bool) string {
			return fmt.Sprintf("Find the Tableau content about: %s\n\n"+
				"1. List workbooks (tableau_workbooks_list), views (tableau_views_list) and data sources (tableau_datasources_list); filter by tag with \"tags:eq:<tag>\" when the topic is a tag, and page through with page_number.\n"+
				"2. Keep the items whose name, description, project or tags match the topic, including close synonyms.\n"+
				"3. Report them grouped by kind with name, project, owner and ID, best matches first, and say when nothing matches.",
				a["topic"])
		},
	},
	{
		name: "review_workbook_access", title: "Review who can see a workbook",
		description: "List who has which permissions on a workbook and flag broad access.",
		args: []promptArg{
			{name: "workbook", description: "Name or ID of the workbook.", required: true, kind: "workbook"},
		},
		tools:    []string{"tableau_workbooks_list", "tableau_workbook_permissions_list"},
		optional: []string{"tableau_group_users_list", "tableau_project_permissions_list"},
		render: func(a map[string]string, served func(string) bool) string {
			var b strings.Builder
			fmt.Fprintf(&b, "Review who can see and change %s on Tableau.\n\n", ref("workbook", a["workbook"], "tableau_workbooks_list"))
			steps := []string{"Read its permissions with tableau_workbook_permissions_list: each user or group and the capabilities allowed or denied."}
			if served("tableau_project_permissions_list") {
				steps = append(steps, "Read its project's permissions with tableau_project_permissions_list: project rules may lock or add to the workbook's.")
			}
			if served("tableau_group_users_list") {
				steps = append(steps, "For each group with access, list its members with tableau_group_users_list.")
			}
			for i, st := range steps {
				fmt.Fprintf(&b, "%d. %s\n", i+1, st)
			}
			b.WriteString("Then summarise who can view, who can edit or download, and flag broad grants (the All Users group, Download or Export Data for many) and anything denied explicitly. Change nothing.")
			return b.String()
		},
	},
}

// addPrompts registers the prompts whose tools are all served, and returns
// them by name.
func (d *dispatcher) addPrompts(s *mcpserver.MCPServer) map[string]promptDef {
	out := map[string]promptDef{}
	for _, p := range promptDefs {
		ok := true
		for _, t := range p.tools {
			if _, served := d.served[t]; !served {
				ok = false
			}
		}
		if !ok {
			continue
		}
		opts := []mcp.PromptOption{mcp.WithPromptDescription(p.description), mcp.WithPromptTitle(p.title)}
		for _, a := range p.args {
			aopts := []mcp.ArgumentOption{mcp.ArgumentDescription(a.description)}
			if a.required {
				aopts = append(aopts, mcp.RequiredArgument())
			}
			opts = append(opts, mcp.WithArgument(a.name, aopts...))
		}
		s.AddPrompt(mcp.NewPrompt(p.name, opts...), d.prompt(p))
		out[p.name] = p
	}
	d.prompts = map[string][]string{}
	for name, p := range out {
		d.prompts[name] = p.tools
	}
	return out
}

// maxPromptArg bounds a prompt argument's length.
const maxPromptArg = 500

// prompt is the prompts/get handler of p.
func (d *dispatcher) prompt(p promptDef) mcpserver.PromptHandlerFunc {
	return func(ctx context.Context, req mcp.GetPromptRequest) (res *mcp.GetPromptResult, err error) {
		d.observe(ctx, SurfacePrompt, p.name, "", func(ctx context.Context) string {
			for _, t := range p.tools {
				if !d.serves(ctx, t) {
					r := refused("selection", "prompt %s needs %s, which this server does not serve", p.name, t)
					r.record(ctx)
					err = r
					return OutcomeRefused
				}
			}
			release, r := d.limits.admit(identityOf(ctx))
			if r != nil {
				r.record(ctx)
				err = r
				return OutcomeRefused
			}
			release() // a prompt runs nothing upstream
			args := map[string]string{}
			for _, a := range p.args {
				v := strings.TrimSpace(req.Params.Arguments[a.name])
				switch {
				case v == "" && a.required:
					err = fmt.Errorf("prompt %s needs the argument %s: %s", p.name, a.name, a.description)
				case len(v) > maxPromptArg || strings.IndexFunc(v, unicode.IsControl) >= 0:
					err = fmt.Errorf("prompt %s: argument %s must be at most %d characters without control characters", p.name, a.name, maxPromptArg)
				}
				if err != nil {
					return OutcomeError
				}
				args[a.name] = v
			}
			for k := range req.Params.Arguments {
				if !p.hasArg(k) {
					err = fmt.Errorf("prompt %s has no argument %s; its arguments are %s", p.name, k, p.argNames())
					return OutcomeError
				}
			}
			// An ID given for a content argument must be in scope, as it
			// would be in a tool call.
			for _, a := range p.args {
				if v := args[a.name]; a.kind != "" && d.scope != nil && backend.IsLUID(v) {
					if in, serr := d.scope.allows(ctx, a.kind, v); serr != nil || !in {
						r := refused("scope", "prompt %s: %s %s is outside the content this server is allowed to touch (its scope is set by the operator)", p.name, a.kind, v)
						r.record(ctx)
						err = r
						return OutcomeRefused
					}
				}
			}
			text := p.render(args, func(t string) bool { return d.serves(ctx, t) })
			res = mcp.NewGetPromptResult(p.title, []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text))})
			return OutcomeOK
		})
		return res, err
	}
}

func (p promptDef) hasArg(name string) bool {
	for _, a := range p.args {
		if a.name == name {
			return true
		}
	}
	return false
}

func (p promptDef) argNames() string {
	var n []string
	for _, a := range p.args {
		n = append(n, a.name)
	}
	return strings.Join(n, ", ")
}
