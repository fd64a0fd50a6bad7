package tools

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
)

// The catalogue is declared twice. The tools' implementations (argument
// types, handlers, compact answers) are built by the functions siteTools,
// workbookTools, ... the first time a tool runs: building them runs the
// generic constructors (restTool, listTool, ...), whose code spans the
// whole package, and a process that only starts and answers tools/list
// needs none of it. Start-up, the selection and tools/list read the
// metadata table of catalogue_gen.go instead, generated from the built
// catalogue by TestCatalogueTable, which fails when the two differ.
//
// What every start runs besides (the selection, each definition fitted to
// the served set, the guides and resource templates listed) is kept in the
// files named catalogue_*.go. The linker lays a package's functions out in
// the order of its files, and the kernel maps a binary's pages 64 KB at a
// time: kept together, that code is resident in one such window of the
// package's text, where, spread over docs.go, exports.go, select.go,
// served.go and tool.go, it took four (docs/benchmarks.md).

// All returns every tool the server offers, sorted by name: its metadata
// only. The methods that need a tool's implementation (Decode, Run,
// ArgsType, ...) look it up by name.
func All() []Tool { return slices.Clone(catalogueTable[:]) }

// SelectFromAll is Select(All(), sel) without the copy of every tool that
// All makes (Select only reads it).
func SelectFromAll(sel Selection) ([]Tool, error) { return Select(catalogueTable[:], sel) }

// ByName finds a tool.
func ByName(name string) (Tool, error) {
	for _, t := range catalogueTable {
		if t.Name == name {
			return t, nil
		}
	}
	names := make([]string, 0, len(catalogueTable))
	for _, t := range catalogueTable {
		names = append(names, t.Name)
	}
	hint := ""
	if s := suggest(name, names); len(s) > 0 {
		hint = " did you mean " + strings.Join(s, " or ") + "?"
	}
	return Tool{}, fmt.Errorf("no tool named %q;%s run `tableau-mcp tools` to list them", name, hint)
}

// catalogue is every tool with its implementation, by name, built on
// first use.
var catalogue = lazy.Value[map[string]Tool]{Build: buildCatalogue}

// catalogueBuilds counts the catalogue's builds, for the tests that a
// process lists its tools without building it.
var catalogueBuilds atomic.Int32

func buildCatalogue() map[string]Tool {
	catalogueBuilds.Add(1)
	list := implementations()
	m := make(map[string]Tool, len(list))
	for _, t := range list {
		m[t.Name] = t
	}
	return m
}

// implementations builds every tool with its implementation, sorted by name.
func implementations() []Tool {
	var all []Tool
	for _, group := range [...]func() []Tool{
		siteTools, workbookTools, viewTools, datasourceTools, permissionTools,
		projectTools, userTools, groupTools, jobTools, scheduleTools, queryTools, exportTools, searchTools,
		customViewTools, flowTools, pulseTools, publishTools,
	} {
		all = append(all, group()...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// full returns t with its implementation. A tool from All or ByName
// carries metadata only; a tool built with its implementation (define
// and the constructors over it) is returned as it is. A name the
// catalogue lacks comes back without one, which Decode and Run refuse.
func (t Tool) full() Tool {
	if t.run != nil {
		return t
	}
	if f, ok := catalogue.Get()[t.Name]; ok {
		t.args, t.run, t.result = f.args, f.run, f.result
	}
	return t
}

// errNoImplementation is the error of a tool the catalogue lacks.
func errNoImplementation(t Tool) error {
	return fmt.Errorf("%s is not a tool of this server; run `tableau-mcp tools` to list them", t.Name)
}
