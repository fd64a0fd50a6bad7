package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unsafe"

	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"github.com/tableau-mcp/tableau-mcp/schemas"

	"github.com/mark3labs/mcp-go/mcp"
)

// Descriptions are written for the whole catalogue and name other tools
// ("follow it with tableau_job_get"). A server that serves only some tools
// must not send the model to the others, so each description is fitted to
// the served set: of alternatives ("A or B") the served ones stay, and a
// clause or parenthesis naming a tool that is not served is left out.

var (
	toolChoices = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`tableau_[a-z_]+[a-z](?: or tableau_[a-z_]+[a-z])+`) }}
	parenthesis = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(` ?\([^()]*\)`) }}
)

// Served is the set of tool names one server registers.
type Served map[string]bool

// ServedSet returns the names of list.
func ServedSet(list []Tool) Served {
	s := Served{}
	for _, t := range list {
		s[t.Name] = true
	}
	return s
}

// missing reports whether text names a tool outside the set.
func (s Served) missing(text string) bool { return missingIn(s, text) }

// missingIn finds what the regexp tableau_[a-z_]+[a-z] matches, by hand:
// every server start fits each tool's description and input schema, and the
// regexp's matching cost more than all the rest of that work.
func missingIn(s Served, text string) bool {
	const prefix = "tableau_"
	for i := 0; i+len(prefix) <= len(text); i++ {
		if string(text[i:i+len(prefix)]) != prefix {
			continue
		}
		end := i + len(prefix)
		for end < len(text) && (text[end] == '_' || 'a' <= text[end] && text[end] <= 'z') {
			end++
		}
		for end > i+len(prefix) && text[end-1] == '_' {
			end--
		}
		if end-i-len(prefix) < 2 { // two characters at least after the prefix
			continue
		}
		if !s[string(text[i:end])] {
			return true
		}
		i = end - 1
	}
	return false
}

// Fit rewrites text so that it names only served tools.
func (s Served) Fit(text string) string {
	if !s.missing(text) {
		return text
	}
	text = toolChoices.Get().ReplaceAllStringFunc(text, func(m string) string {
		var keep []string
		for _, n := range strings.Split(m, " or ") {
			if s[n] {
				keep = append(keep, n)
			}
		}
		if len(keep) == 0 {
			return strings.Split(m, " or ")[0] // left for the clause rule
		}
		return strings.Join(keep, " or ")
	})
	text = parenthesis.Get().ReplaceAllStringFunc(text, func(m string) string {
		if s.missing(m) {
			return ""
		}
		return m
	})
	if !s.missing(text) {
		return text
	}
	// Drop the sentences, then the clauses, that still name one.
	var out []string
	for _, sentence := range splitKeep(text, ". ") {
		if !s.missing(sentence) {
			out = append(out, sentence)
			continue
		}
		var clauses []string
		for _, c := range splitKeep(strings.TrimSuffix(sentence, "."), "; ") {
			if !s.missing(c) {
				clauses = append(clauses, c)
			}
		}
		if len(clauses) > 0 {
			c := strings.TrimSuffix(strings.TrimSpace(strings.Join(clauses, " ")), ";")
			out = append(out, strings.TrimSuffix(c, ".")+".")
		}
	}
	return strings.TrimSpace(strings.Join(out, " "))
}

// splitKeep splits after each sep, keeping the text before it whole
// (". " keeps the full stop).
func splitKeep(s, sep string) []string {
	var out []string
	for {
		i := strings.Index(s, sep)
		if i < 0 {
			if strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
			return out
		}
		out = append(out, strings.TrimSpace(s[:i+len(sep)-1]))
		s = s[i+len(sep):]
	}
}

// MCPFor is MCP fitted to the tools one server serves.
func (t Tool) MCPFor(s Served) (mcp.Tool, error) {
	def, err := t.MCP()
	if err != nil {
		return def, err
	}
	def.Description = s.Fit(def.Description)
	if missingIn(s, readOnlyString(def.RawInputSchema)) {
		var schema map[string]any
		if json.Unmarshal(def.RawInputSchema, &schema) == nil {
			fitDescriptions(schema, s)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if enc.Encode(schema) == nil {
				def.RawInputSchema = bytes.TrimSpace(buf.Bytes())
			}
		}
	}
	return def, nil
}

func fitDescriptions(node any, s Served) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if d, ok := v.(string); ok && k == "description" {
				if d = s.Fit(d); d == "" {
					delete(n, k)
				} else {
					n[k] = d
				}
				continue
			}
			fitDescriptions(v, s)
		}
	case []any:
		for _, v := range n {
			fitDescriptions(v, s)
		}
	}
}

// MCP returns the tool definition clients see. Its input schema is the one
// recorded for the tool by the snapshot test of package schemas, which
// generates it from the argument struct, so that the server neither
// reflects over the argument types nor links the generator.
func (t Tool) MCP() (mcp.Tool, error) {
	schema, ok := schemas.Snapshot(t.Name)
	if !ok {
		return mcp.Tool{}, fmt.Errorf("%s has no recorded input schema; run UPDATE_TOOLSNAPS=true go test ./schemas/", t.Name)
	}
	return t.Definition(schema), nil
}

// Definition is the tool's definition with this input schema.
func (t Tool) Definition(schema json.RawMessage) mcp.Tool {
	def := mcp.NewToolWithRawSchema(t.Name, t.Description, schema)
	// Only hints that differ from the protocol's defaults are sent: every
	// tool reaches Tableau, so openWorldHint keeps its default true; a
	// read-only tool's destructive and idempotent hints mean nothing;
	// idempotentHint defaults to false. destructiveHint (default true) is
	// said either way, and destructive tools, whose calls a client asks a
	// person to approve, carry their title for that prompt. This spares
	// each tools/list some four thousand bytes.
	switch t.Kind {
	case Read:
		def.Annotations = mcp.ToolAnnotation{ReadOnlyHint: mcp.ToBoolPtr(true)}
	case Write:
		def.Annotations = mcp.ToolAnnotation{DestructiveHint: mcp.ToBoolPtr(false)}
	case Destructive:
		def.Annotations = mcp.ToolAnnotation{Title: t.Title, DestructiveHint: mcp.ToBoolPtr(true)}
	}
	if t.Kind != Read && t.Idempotent {
		def.Annotations.IdempotentHint = mcp.ToBoolPtr(true)
	}
	return def
}

// readOnlyString views b as a string without copying it, for a reader that
// neither keeps the string nor runs while b changes. The recorded input
// schemas are read this way at every start: copying them allocated some
// 20 KB, and a generic missingIn, which read them in place too, was laid
// out with the package's other instantiations, pages away from the rest
// of the start-up path.
func readOnlyString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
