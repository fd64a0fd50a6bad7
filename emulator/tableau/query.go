package tableauemu

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// One generic collection serves every list endpoint: a resource kind
// declares the fields that filter and sort may name, and query does the rest.

type fieldType int

const (
	ftString fieldType = iota
	ftTime
	ftBool
	ftNumber
	ftTags
)

// field reads one filterable value of a record: string, time.Time, bool,
// int or []string (tags), according to typ.
type field[T any] struct {
	typ fieldType
	get func(s *site, x T) any
}

type fields[T any] map[string]field[T]

var opsFor = lazy.Value[map[fieldType][]string]{Build: func() map[fieldType][]string {
	return map[fieldType][]string{
		ftString: {"eq", "cieq", "in", "has", "gt", "gte", "lt", "lte"},
		ftTime:   {"eq", "gt", "gte", "lt", "lte"},
		ftBool:   {"eq"},
		ftNumber: {"eq", "in", "gt", "gte", "lt", "lte"},
		ftTags:   {"eq", "cieq", "in", "has"},
	}

}}
var knownOps = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{"eq": true, "gt": true, "gte": true, "lt": true, "lte": true, "in": true, "has": true, "cieq": true}
}}

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

type cond struct {
	name, op string
	typ      fieldType
	values   []string
	times    []time.Time
	nums     []float64
}

type sortKey struct {
	name string
	desc bool
}

// paging reads pageSize and pageNumber.
func paging(q url.Values) (size, number int, e *apiErr) {
	size, number = defaultPageSize, 1
	if v, ok := q["pageSize"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(first(v)))
		switch {
		case err != nil || n <= 0:
			return 0, 0, newErr(http.StatusBadRequest, "400007", fmt.Sprintf("The page size '%s' is not valid: it must be a positive whole number.", first(v)))
		case n > maxPageSize:
			return 0, 0, newErr(http.StatusForbidden, "403014", fmt.Sprintf("The page size %d exceeds the limit of %d.", n, maxPageSize))
		}
		size = n
	}
	if v, ok := q["pageNumber"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(first(v)))
		if err != nil || n <= 0 {
			return 0, 0, newErr(http.StatusBadRequest, "400006", fmt.Sprintf("The page number '%s' is not valid: it must be a whole number of 1 or more.", first(v)))
		}
		number = n
	}
	return size, number, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func fieldNames[T any](fs fields[T]) string {
	names := make([]string, 0, len(fs))
	for k := range fs {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// splitTop splits s on commas that are not inside square brackets.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func badFilter(format string, a ...any) *apiErr {
	return newErr(http.StatusBadRequest, "400065", fmt.Sprintf(format, a...))
}

func parseFilter[T any](expr string, fs fields[T]) ([]cond, *apiErr) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	var out []cond
	for _, part := range splitTop(expr) {
		bits := strings.SplitN(part, ":", 3)
		if len(bits) != 3 {
			return nil, badFilter("Filter expression '%s' is not of the form field:operator:value.", part)
		}
		name, op, raw := bits[0], bits[1], bits[2]
		f, ok := fs[name]
		if !ok {
			return nil, badFilter("Unknown filter field '%s'. Fields that can be filtered here: %s.", name, fieldNames(fs))
		}
		if !knownOps.Get()[op] {
			return nil, badFilter("Unknown filter operator '%s' in '%s'. Operators: eq, gt, gte, lt, lte, in, has, cieq.", op, part)
		}
		allowed := false
		for _, o := range opsFor.Get()[f.typ] {
			allowed = allowed || o == op
		}
		if !allowed {
			return nil, badFilter("Operator '%s' cannot be used with field '%s'; it takes: %s.", op, name, strings.Join(opsFor.Get()[f.typ], ", "))
		}
		c := cond{name: name, op: op, typ: f.typ}
		if op == "in" {
			if !strings.HasPrefix(raw, "[") || !strings.HasSuffix(raw, "]") {
				return nil, badFilter("The 'in' operator takes a bracketed list, for example %s:in:[a,b]; got '%s'.", name, raw)
			}
			c.values = append(c.values, strings.Split(raw[1:len(raw)-1], ",")...)
		} else {
			c.values = []string{raw}
		}
		for _, v := range c.values {
			switch f.typ {
			case ftTime:
				t, ok := parseTime(v)
				if !ok {
					return nil, badFilter("Value '%s' for field '%s' is not a date-time like 2024-01-31T00:00:00Z.", v, name)
				}
				c.times = append(c.times, t)
			case ftNumber:
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, badFilter("Value '%s' for field '%s' is not a number.", v, name)
				}
				c.nums = append(c.nums, n)
			case ftBool:
				if v != "true" && v != "false" {
					return nil, badFilter("Value '%s' for field '%s' must be true or false.", v, name)
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func parseSort[T any](expr string, fs fields[T]) ([]sortKey, *apiErr) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	var out []sortKey
	for _, part := range strings.Split(expr, ",") {
		bits := strings.Split(part, ":")
		if len(bits) != 2 {
			return nil, newErr(http.StatusBadRequest, "400066", fmt.Sprintf("Sort expression '%s' is not of the form field:asc or field:desc.", part))
		}
		if _, ok := fs[bits[0]]; !ok {
			return nil, newErr(http.StatusBadRequest, "400066", fmt.Sprintf("Unknown sort field '%s'. Fields that can be sorted here: %s.", bits[0], fieldNames(fs)))
		}
		if bits[1] != "asc" && bits[1] != "desc" {
			return nil, newErr(http.StatusBadRequest, "400066", fmt.Sprintf("Sort direction '%s' must be asc or desc.", bits[1]))
		}
		out = append(out, sortKey{name: bits[0], desc: bits[1] == "desc"})
	}
	return out, nil
}

func cmpStrings(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func numOf(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func (c cond) match(v any) bool {
	switch c.typ {
	case ftString:
		s, _ := v.(string)
		for _, want := range c.values {
			var ok bool
			switch c.op {
			case "eq", "in":
				ok = s == want
			case "cieq":
				ok = strings.EqualFold(s, want)
			case "has":
				ok = strings.Contains(strings.ToLower(s), strings.ToLower(want))
			case "gt":
				ok = cmpStrings(s, want) > 0
			case "gte":
				ok = cmpStrings(s, want) >= 0
			case "lt":
				ok = cmpStrings(s, want) < 0
			case "lte":
				ok = cmpStrings(s, want) <= 0
			}
			if ok {
				return true
			}
		}
	case ftTime:
		t, _ := v.(time.Time)
		if t.IsZero() {
			return false
		}
		want := c.times[0]
		switch c.op {
		case "eq":
			return t.Equal(want)
		case "gt":
			return t.After(want)
		case "gte":
			return !t.Before(want)
		case "lt":
			return t.Before(want)
		case "lte":
			return !t.After(want)
		}
	case ftBool:
		b, _ := v.(bool)
		return strconv.FormatBool(b) == c.values[0]
	case ftNumber:
		n := numOf(v)
		for _, want := range c.nums {
			var ok bool
			switch c.op {
			case "eq", "in":
				ok = n == want
			case "gt":
				ok = n > want
			case "gte":
				ok = n >= want
			case "lt":
				ok = n < want
			case "lte":
				ok = n <= want
			}
			if ok {
				return true
			}
		}
	case ftTags:
		tags, _ := v.([]string)
		for _, t := range tags {
			for _, want := range c.values {
				switch c.op {
				case "eq", "in":
					if t == want {
						return true
					}
				case "cieq":
					if strings.EqualFold(t, want) {
						return true
					}
				case "has":
					if strings.Contains(strings.ToLower(t), strings.ToLower(want)) {
						return true
					}
				}
			}
		}
	}
	return false
}

func compareValues(typ fieldType, a, b any) int {
	switch typ {
	case ftTime:
		ta, _ := a.(time.Time)
		tb, _ := b.(time.Time)
		return ta.Compare(tb)
	case ftBool:
		ba, _ := a.(bool)
		bb, _ := b.(bool)
		switch {
		case ba == bb:
			return 0
		case bb:
			return -1
		}
		return 1
	case ftNumber:
		na, nb := numOf(a), numOf(b)
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	case ftTags:
		ta, _ := a.([]string)
		tb, _ := b.([]string)
		return cmpStrings(strings.Join(ta, ","), strings.Join(tb, ","))
	}
	sa, _ := a.(string)
	sb, _ := b.(string)
	return cmpStrings(sa, sb)
}

// query filters, sorts and pages items by the request's filter, sort,
// pageSize and pageNumber parameters. It answers the page and the
// pagination object (counts as strings).
func query[T any](s *site, items []T, fs fields[T], q url.Values) ([]T, obj, *apiErr) {
	size, number, e := paging(q)
	if e != nil {
		return nil, nil, e
	}
	conds, e := parseFilter(q.Get("filter"), fs)
	if e != nil {
		return nil, nil, e
	}
	keys, e := parseSort(q.Get("sort"), fs)
	if e != nil {
		return nil, nil, e
	}
	kept := make([]T, 0, len(items))
	for _, it := range items {
		ok := true
		for _, c := range conds {
			if !c.match(fs[c.name].get(s, it)) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, it)
		}
	}
	if len(keys) > 0 {
		sort.SliceStable(kept, func(i, j int) bool {
			for _, k := range keys {
				f := fs[k.name]
				c := compareValues(f.typ, f.get(s, kept[i]), f.get(s, kept[j]))
				if c == 0 {
					continue
				}
				if k.desc {
					return c > 0
				}
				return c < 0
			}
			return false
		})
	}
	total := len(kept)
	var page []T
	if number-1 < total { // guards the multiplication below against overflow
		start := (number - 1) * size
		end := start + size
		if end > total {
			end = total
		}
		if start < total {
			page = kept[start:end]
		}
	}
	return page, obj{"pageNumber": itoa(number), "pageSize": itoa(size), "totalAvailable": itoa(total)}, nil
}

// listReply answers a list request: the page of items chosen by the
// request's filter, sort and paging, as {"pagination":{...},"<plural>":{"<singular>":[...]}}.
func listReply[T any](c *call, items []T, fs fields[T], plural, singular string, toJSON func(T) obj) {
	page, pg, err := query(c.site, items, fs, c.q)
	if err != nil {
		c.fail(err)
		return
	}
	list := make([]obj, len(page))
	_, selectable := fieldNamesFor.Get()[singular]
	for i, x := range page {
		list[i] = toJSON(x)
		if selectable && c.q.Get("fields") != "" {
			if list[i], err = c.selectFields(singular, list[i]); err != nil {
				c.fail(err)
				return
			}
		}
	}
	c.ok(http.StatusOK, obj{"pagination": pg, plural: collection(singular, list)})
}
