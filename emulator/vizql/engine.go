package vizqlemu

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// group is one answer row before rendering: the source rows it covers and
// its cell values, aligned with plan.fields.
type group struct {
	rows  []int
	cells []any
}

// execute runs the plan: filters, grouping, aggregation, measure filters,
// sorting, row limit, rendering.
func (p *plan) execute() any {
	data := p.table.Rows
	rows := make([]int, len(data))
	for i := range rows {
		rows[i] = i
	}

	// 1. Context filters.
	rows = p.filterRows(rows, func(f *filter) bool { return f.context && f.kind != "TOP" && !f.e.isAgg() })

	// 2. TOP filters rank what the context filters left.
	type topSet struct {
		f    *filter
		keep map[string]bool
	}
	var tops []topSet
	for _, f := range p.filters {
		if f.kind == "TOP" {
			tops = append(tops, topSet{f, p.topMembers(f, rows)})
		}
	}

	// 3. The other row-level filters, and TOP membership.
	rows = p.filterRows(rows, func(f *filter) bool { return !f.context && f.kind != "TOP" && !f.e.isAgg() })
	if len(tops) > 0 {
		kept := rows[:0:0]
		var sb strings.Builder
	nextRow:
		for _, r := range rows {
			for _, ts := range tops {
				sb.Reset()
				groupKey(&sb, ts.f.e.rowValue(data[r]))
				if !ts.keep[sb.String()] {
					continue nextRow
				}
			}
			kept = append(kept, r)
		}
		rows = kept
	}

	// 4. Group by the dimension fields (or one group per row).
	groups := p.group(rows)

	// 5. Aggregate, then apply filters on aggregated fields.
	var aggFilters []*filter
	for _, f := range p.filters {
		if f.kind != "TOP" && f.e.isAgg() {
			aggFilters = append(aggFilters, f)
		}
	}
	kept := groups[:0]
	for _, g := range groups {
		for i, f := range p.fields {
			if f.e.isAgg() {
				g.cells[i] = p.aggregateOver(f.e, g.rows)
			}
		}
		ok := true
		for _, f := range aggFilters {
			if !f.keep(p.aggregateOver(f.e, g.rows)) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, g)
		}
	}
	groups = kept

	// 6. Sort: by default on the dimensions (aggregated answers only), then
	// by the requested sort fields.
	if !p.disaggregate {
		sort.SliceStable(groups, func(i, j int) bool {
			for k, f := range p.fields {
				if f.e.isAgg() {
					continue
				}
				if c := compareValues(groups[i].cells[k], groups[j].cells[k]); c != 0 {
					return c < 0
				}
			}
			return false
		})
	}
	var sortBy []int
	for i, f := range p.fields {
		if f.sortRank > 0 {
			sortBy = append(sortBy, i)
		}
	}
	sort.SliceStable(sortBy, func(a, b int) bool { return p.fields[sortBy[a]].sortRank < p.fields[sortBy[b]].sortRank })
	if len(sortBy) > 0 {
		sort.SliceStable(groups, func(i, j int) bool {
			for _, k := range sortBy {
				c := compareValues(groups[i].cells[k], groups[j].cells[k])
				if p.fields[k].desc {
					c = -c
				}
				if c != 0 {
					return c < 0
				}
			}
			return false
		})
	}

	// 7. Row limit and rendering.
	if p.rowLimit > 0 && len(groups) > p.rowLimit {
		groups = groups[:p.rowLimit]
	}
	keys := make([]string, len(p.fields))
	for i, f := range p.fields {
		keys[i] = f.key
	}
	out := make([]any, len(groups))
	for gi, g := range groups {
		vals := make([]any, len(p.fields))
		for i, f := range p.fields {
			vals[i] = render(g.cells[i], f.e.valueType(), f.decimals)
		}
		if p.arrays {
			out[gi] = vals
		} else {
			out[gi] = objectRow{keys: keys, vals: vals}
		}
	}
	return queryOutput{Data: out}
}

type queryOutput struct {
	Data []any `json:"data"`
}

// filterRows keeps the rows passing every row-level filter selected by use.
func (p *plan) filterRows(rows []int, use func(*filter) bool) []int {
	var active []*filter
	for _, f := range p.filters {
		if use(f) {
			active = append(active, f)
		}
	}
	if len(active) == 0 {
		return rows
	}
	kept := make([]int, 0, len(rows))
	for _, r := range rows {
		ok := true
		for _, f := range active {
			if !f.keep(f.e.rowValue(p.table.Rows[r])) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, r)
		}
	}
	return kept
}

// group partitions rows by the values of the non-aggregated fields, in one
// pass over a map keyed by the encoded tuple; first-seen order is kept.
func (p *plan) group(rows []int) []*group {
	data := p.table.Rows
	newGroup := func(r int) *group {
		g := &group{cells: make([]any, len(p.fields))}
		for i, f := range p.fields {
			if !f.e.isAgg() {
				g.cells[i] = f.e.rowValue(data[r])
			}
		}
		return g
	}
	var groups []*group
	if p.disaggregate {
		for _, r := range rows {
			g := newGroup(r)
			g.rows = []int{r}
			groups = append(groups, g)
		}
		return groups
	}
	byKey := map[string]*group{}
	var sb strings.Builder
	for _, r := range rows {
		sb.Reset()
		for _, f := range p.fields {
			if !f.e.isAgg() {
				groupKey(&sb, f.e.rowValue(data[r]))
			}
		}
		g, ok := byKey[sb.String()]
		if !ok {
			g = newGroup(r)
			byKey[sb.String()] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	return groups
}

// aggregateOver applies e's aggregate to its non-null values on rows.
func (p *plan) aggregateOver(e expr, rows []int) any {
	vals := make([]any, 0, len(rows))
	for _, r := range rows {
		if v := e.cell(p.table.Rows[r]); v != nil {
			vals = append(vals, v)
		}
	}
	return aggregate(e.fn, e.colType, vals)
}

// topMembers ranks the values of f's field by f's measure and returns the
// group keys of the first howMany.
func (p *plan) topMembers(f *filter, rows []int) map[string]bool {
	type candidate struct {
		key   string
		dim   any
		rows  []int
		score any
	}
	byKey := map[string]*candidate{}
	var cands []*candidate
	var sb strings.Builder
	for _, r := range rows {
		v := f.e.rowValue(p.table.Rows[r])
		sb.Reset()
		groupKey(&sb, v)
		c, ok := byKey[sb.String()]
		if !ok {
			c = &candidate{key: sb.String(), dim: v}
			byKey[c.key] = c
			cands = append(cands, c)
		}
		c.rows = append(c.rows, r)
	}
	for _, c := range cands {
		c.score = p.aggregateOver(f.measure, c.rows)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if (a.score == nil) != (b.score == nil) {
			return b.score == nil // no score ranks last either way
		}
		c := compareValues(a.score, b.score)
		if !f.bottom {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
		return compareValues(a.dim, b.dim) < 0
	})
	keep := map[string]bool{}
	for i := 0; i < len(cands) && i < f.howMany; i++ {
		keep[cands[i].key] = true
	}
	return keep
}

// keep tests a value (a row value, or an aggregate) against a row or
// measure filter.
func (f *filter) keep(v any) bool {
	switch f.kind {
	case "SET":
		n := normalizeCell(v, f.e.valueType())
		found := false
		for _, want := range f.values {
			if n == want {
				found = true
				break
			}
		}
		return found != f.exclude
	case "MATCH":
		matched := v != nil
		if matched {
			s := strings.ToLower(asText(v, f.e.valueType()))
			if f.contains != nil && !strings.Contains(s, *f.contains) ||
				f.startsWith != nil && !strings.HasPrefix(s, *f.startsWith) ||
				f.endsWith != nil && !strings.HasSuffix(s, *f.endsWith) {
				matched = false
			}
		}
		return matched != f.exclude
	case "QUANTITATIVE_NUMERICAL", "QUANTITATIVE_DATE":
		switch f.quant {
		case "ONLY_NULL":
			return v == nil
		case "ONLY_NON_NULL":
			return v != nil
		}
		if v == nil {
			return f.includeNulls
		}
		if f.kind == "QUANTITATIVE_NUMERICAL" {
			x := toFloat(v)
			return (f.lo == nil || x >= f.lo.(float64)) && (f.hi == nil || x <= f.hi.(float64))
		}
		t := v.(time.Time)
		return (f.lo == nil || !t.Before(f.lo.(time.Time))) && (f.hi == nil || t.Before(f.hi.(time.Time)))
	case "DATE":
		if v == nil {
			return f.includeNulls
		}
		t := v.(time.Time)
		return !t.Before(f.from) && t.Before(f.to)
	}
	return true
}

// objectRow is one OBJECTS-format answer row; it keeps the query's field
// order in the JSON.
type objectRow struct {
	keys []string
	vals []any
}

func (o objectRow) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
