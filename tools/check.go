package tools

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// idSources says, for each ID parameter, which tool lists valid values, so
// that an error can tell the model where to get a right one.
var idSources = map[string]string{
	"workbook_id":       "tableau_workbooks_list or tableau_workbook_search",
	"view_id":           "tableau_views_list or tableau_list_views",
	"datasource_id":     "tableau_datasources_list",
	"datasource_luid":   "tableau_datasources_list",
	"project_id":        "tableau_projects_list",
	"parent_project_id": "tableau_projects_list",
	"new_project_id":    "tableau_projects_list",
	"user_id":           "tableau_users_list",
	"new_owner_id":      "tableau_users_list",
	"group_id":          "tableau_groups_list",
	"grantee_id":        "tableau_users_list for a user, tableau_groups_list for a group",
	"job_id":            "tableau_jobs_list",
	"task_id":           "tableau_extract_refresh_tasks_list",
	"schedule_id":       "tableau_schedules_list",
	"custom_view_id":    "tableau_custom_views_list",
	"owner_id":          "tableau_users_list",
	"flow_id":           "tableau_flows_list",
	"definition_id":     "tableau_pulse_definitions_list",
	"metric_id":         "tableau_pulse_metrics_list",
}

// IDSource names the tool that lists valid values of an ID parameter.
func IDSource(param string) string {
	if s, ok := idSources[param]; ok {
		return s
	}
	return "the matching list tool"
}

type fieldInfo struct {
	name     string // JSON name
	required bool
	enum     []string
	min, max *float64
	check    string // "filter" or "sort"
	index    []int
}

// fieldsOf lists the parameters of an argument struct, embedded structs included.
// fieldsOf is read on every call, so each type's answer is kept.
func fieldsOf(t reflect.Type) []fieldInfo {
	if t == nil {
		return nil
	}
	if v, ok := fieldCache.Load(t); ok {
		return v.([]fieldInfo)
	}
	out := readFields(t)
	fieldCache.Store(t, out)
	return out
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

func readFields(t reflect.Type) []fieldInfo {
	var out []fieldInfo
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		fi := fieldInfo{name: name, check: f.Tag.Get("check"), index: f.Index}
		for _, part := range strings.Split(f.Tag.Get("jsonschema"), ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "required":
				fi.required = true
			case "enum":
				fi.enum = append(fi.enum, v)
			case "minimum":
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					fi.min = &n
				}
			case "maximum":
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					fi.max = &n
				}
			}
		}
		out = append(out, fi)
	}
	return out
}

func paramNames(t reflect.Type) []string {
	var names []string
	for _, f := range fieldsOf(t) {
		names = append(names, f.name)
	}
	if len(names) == 0 {
		names = []string{"(none)"}
	}
	return names
}

// check runs the generic rules on decoded arguments.
func check(t Tool, v reflect.Value) error {
	t = t.full()
	for _, f := range fieldsOf(t.args) {
		fv := v.FieldByIndex(f.index)
		set := !fv.IsZero()
		if f.required && !set {
			return fmt.Errorf("%s: parameter %q is required%s", t.Name, f.name, idHint(f.name))
		}
		if !set {
			continue
		}
		for fv.Kind() == reflect.Pointer {
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.String {
			s := fv.String()
			if isIDParam(f.name) && !backend.IsLUID(s) {
				return fmt.Errorf("%s: %s %q is not a Tableau LUID (a UUID such as 9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e); get a valid one from %s", t.Name, f.name, clip(s), IDSource(f.name))
			}
			if len(f.enum) > 0 && !contains(f.enum, s) {
				return fmt.Errorf("%s: %s %q is not one of: %s", t.Name, f.name, clip(s), strings.Join(f.enum, ", "))
			}
			var err error
			switch f.check {
			case "filter":
				err = CheckFilter(s)
			case "sort":
				err = CheckSort(s)
			}
			if err != nil {
				return fmt.Errorf("%s: %s: %w. %s", t.Name, f.name, err, filterHelp(t.Name))
			}
		}
		if fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64 {
			n := float64(fv.Int())
			if (f.min != nil && n < *f.min) || (f.max != nil && n > *f.max) {
				return fmt.Errorf("%s: %s must be between %s and %s, not %d", t.Name, f.name, num(f.min), num(f.max), fv.Int())
			}
		}
	}
	return nil
}

func isIDParam(name string) bool {
	return strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_luid")
}

func idHint(name string) string {
	if isIDParam(name) {
		return "; get one from " + IDSource(name)
	}
	return ""
}

func num(p *float64) string {
	if p == nil {
		return "any"
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clip shortens s for an error message: at most 80 characters as %q shows
// them (an escaped byte or rune counts as its escape), cut between runes,
// invalid UTF-8 shown as U+FFFD. Cutting at 80 bytes let escapes quadruple a
// quoted value, and could split a rune.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var buf [16]byte
	n := 0
	for i, r := range s {
		if n += len(strconv.AppendQuoteRune(buf[:0], r)) - 2; n > 80 {
			return s[:i] + "…"
		}
	}
	return s
}

var (
	fieldName  = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`) }}
	filterOps  = []string{"eq", "gt", "gte", "lt", "lte", "in", "has", "cieq"}
	sortOrders = []string{"asc", "desc"}
)

// CheckFilter checks a Tableau REST filter expression: field:operator:value
// joined by commas, operators eq gt gte lt lte in has cieq, `in` taking
// [a,b,...]. Values may not hold ',' (outside an in-list) or '&'.
func CheckFilter(expr string) error {
	if i := strings.IndexFunc(expr, unicode.IsControl); i >= 0 {
		return fmt.Errorf("filter %q holds a control character (%U); write the value as it is shown in Tableau", clip(expr), []rune(expr[i:])[0])
	}
	terms, err := splitTerms(expr)
	if err != nil {
		return err
	}
	for _, term := range terms {
		field, rest, ok := strings.Cut(term, ":")
		op, value, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 {
			return fmt.Errorf("filter term %q is not field:operator:value (e.g. name:eq:Sales, createdAt:gt:2025-01-01T00:00:00Z, tags:in:[finance,ops])", clip(term))
		}
		if !fieldName.Get().MatchString(field) {
			return fmt.Errorf("filter term %q: %q is not a field name such as name, ownerName, projectName, updatedAt", clip(term), clip(field))
		}
		if !contains(filterOps, op) {
			return fmt.Errorf("filter term %q: operator %q is not one of %s", clip(term), clip(op), strings.Join(filterOps, " "))
		}
		if value == "" {
			return fmt.Errorf("filter term %q has no value", clip(term))
		}
		if strings.ContainsAny(value, "&") {
			return fmt.Errorf("filter value %q may not contain '&' (Tableau cannot filter on it)", clip(value))
		}
		if op == "in" {
			if !strings.HasPrefix(value, "[") || !strings.HasSuffix(value, "]") || len(value) < 3 {
				return fmt.Errorf("filter term %q: the in operator takes a list such as [a,b]", clip(term))
			}
		} else if strings.ContainsAny(value, "[]") && op != "eq" && op != "cieq" && op != "has" {
			return fmt.Errorf("filter term %q: brackets are only for the in operator", clip(term))
		}
	}
	return nil
}

// CheckSort checks field:asc|desc joined by commas.
func CheckSort(expr string) error {
	for _, term := range strings.Split(expr, ",") {
		field, order, ok := strings.Cut(term, ":")
		if !ok || !fieldName.Get().MatchString(field) || !contains(sortOrders, order) {
			return fmt.Errorf("sort term %q is not field:asc or field:desc (e.g. name:asc,updatedAt:desc)", clip(term))
		}
	}
	return nil
}

// splitTerms splits on commas outside brackets.
func splitTerms(expr string) ([]string, error) {
	var terms []string
	depth, start := 0, 0
	for i, r := range expr {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ']' in filter %q", clip(expr))
			}
		case ',':
			if depth == 0 {
				terms = append(terms, expr[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '[' in filter %q", clip(expr))
	}
	return append(terms, expr[start:]), nil
}
