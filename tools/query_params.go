package tools

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// paramMeta is the part of a ParameterRecord (read-metadata's
// extraData.parameters) the checks use.
type paramMeta struct {
	caption, kind, dataType string
	value                   any
	min, max                *float64
	minDate, maxDate        string
	members                 []paramMember
}

type paramMember struct {
	value any
	alias string
}

func readParam(m map[string]any) paramMeta {
	s := func(k string) string { v, _ := m[k].(string); return v }
	f := func(k string) *float64 {
		if v, ok := m[k].(float64); ok {
			return &v
		}
		return nil
	}
	pm := paramMeta{caption: s("parameterCaption"), kind: s("parameterType"), dataType: s("dataType"),
		value: m["value"], min: f("min"), max: f("max"), minDate: s("minDate"), maxDate: s("maxDate")}
	list, _ := m["members"].([]any)
	for _, x := range list {
		if o, ok := x.(map[string]any); ok {
			alias, _ := o["alias"].(string)
			pm.members = append(pm.members, paramMember{value: o["value"], alias: alias})
		}
	}
	return pm
}

func (md *dsMetadata) params() []paramMeta {
	out := make([]paramMeta, 0, len(md.parameters))
	for _, m := range md.parameters {
		out = append(out, readParam(m))
	}
	return out
}

// checkParameters checks each parameter value against the data source's
// parameter of that caption: it exists, the value has its data type and
// lies in its range or list.
func checkParameters(md *dsMetadata, given []Parameter, p *problems) {
	if len(given) == 0 {
		return
	}
	known := md.params()
	byCaption := map[string]paramMeta{}
	captions := make([]string, 0, len(known))
	for _, pm := range known {
		byCaption[pm.caption] = pm
		captions = append(captions, pm.caption)
	}
	for i, g := range given {
		where := fmt.Sprintf("parameters[%d]", i)
		pm, ok := byCaption[g.ParameterCaption]
		if !ok {
			if len(known) == 0 {
				p.add("%s: the data source has no parameters, so '%s' cannot be set; drop parameters", where, clip(g.ParameterCaption))
				continue
			}
			hint := ""
			if s := suggest(g.ParameterCaption, captions); len(s) > 0 {
				hint = "; did you mean '" + strings.Join(s, "' or '") + "'?"
			} else {
				hint = "; its parameters are '" + strings.Join(captions, "', '") + "'"
			}
			p.add("%s: no parameter '%s'%s", where, clip(g.ParameterCaption), hint)
			continue
		}
		if msg := pm.valueProblem(g.Value); msg != "" {
			p.add("%s.value %s", where, msg)
		}
	}
}

// valueProblem says why v cannot be this parameter's value, or "".
func (pm paramMeta) valueProblem(v any) string {
	shown := clip(compactJSON(v))
	example := ""
	if pm.value != nil {
		example = ", e.g. its current value " + clip(compactJSON(pm.value))
	}
	num, isNum := v.(float64)
	str, isStr := v.(string)
	switch pm.dataType {
	case "INTEGER":
		if !isNum || num != math.Trunc(num) {
			return fmt.Sprintf("%s does not fit '%s', which takes a whole number (INTEGER)%s", shown, pm.caption, example)
		}
	case "REAL":
		if !isNum {
			return fmt.Sprintf("%s does not fit '%s', which takes a number (REAL), not a string%s", shown, pm.caption, example)
		}
	case "STRING":
		if !isStr {
			return fmt.Sprintf("%s does not fit '%s', which takes a string (STRING)%s", shown, pm.caption, example)
		}
	case "BOOLEAN":
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("%s does not fit '%s', which takes true or false (BOOLEAN)", shown, pm.caption)
		}
	case "DATE", "DATETIME":
		if _, ok := paramTime(str); !isStr || !ok {
			return fmt.Sprintf("%s does not fit '%s', which takes a date as a string YYYY-MM-DD (%s)%s", shown, pm.caption, pm.dataType, example)
		}
	}
	switch pm.kind {
	case "QUANTITATIVE_RANGE":
		if isNum && ((pm.min != nil && num < *pm.min) || (pm.max != nil && num > *pm.max)) {
			return fmt.Sprintf("%s is outside the range of '%s': %s to %s", shown, pm.caption, num2(pm.min), num2(pm.max))
		}
	case "QUANTITATIVE_DATE":
		t, _ := paramTime(str)
		lo, okLo := paramTime(pm.minDate)
		hi, okHi := paramTime(pm.maxDate)
		if (okLo && t.Before(lo)) || (okHi && t.After(hi)) {
			return fmt.Sprintf("%s is outside the dates of '%s': %s to %s", shown, pm.caption, orAny(pm.minDate), orAny(pm.maxDate))
		}
	case "LIST":
		if len(pm.members) == 0 {
			return ""
		}
		var allowed []string
		for _, m := range pm.members {
			if sameValue(m.value, v) {
				return ""
			}
			a := clip(compactJSON(m.value))
			if m.alias != "" && m.alias != fmt.Sprint(m.value) {
				a += " (" + m.alias + ")"
			}
			allowed = append(allowed, a)
		}
		for _, m := range pm.members {
			if isStr && m.alias != "" && strings.EqualFold(m.alias, str) {
				return fmt.Sprintf("%s is the alias of the value %s of '%s'; send the value", shown, compactJSON(m.value), pm.caption)
			}
		}
		if len(allowed) > 20 {
			allowed = append(allowed[:20], fmt.Sprintf("and %d more", len(allowed)-20))
		}
		return fmt.Sprintf("%s is not one of the values '%s' allows: %s", shown, pm.caption, strings.Join(allowed, ", "))
	}
	return ""
}

func sameValue(a, b any) bool {
	x, okx := a.(float64)
	y, oky := b.(float64)
	if okx && oky {
		return x == y
	}
	return a == b
}

// paramTime reads a date parameter value: a day, or a date and time.
func paramTime(s string) (time.Time, bool) {
	if t, ok := parseDay(s); ok {
		return t, true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func num2(p *float64) string {
	if p == nil {
		return "any"
	}
	return compactJSON(*p)
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}
