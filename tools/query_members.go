package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"go.uber.org/zap"
)

// maxMembers bounds the members read to check a SET filter's values; a
// field with more is not checked.
const maxMembers = 5000

// setValueNotes names each SET filter value that matches no member of its
// text field, with the closest members: a wrong case or spelling otherwise
// silently drops rows.
func setValueNotes(ctx context.Context, env *Env, md *dsMetadata, a *QueryViewArgs) []string {
	var notes []string
	for i, f := range a.Filters {
		if f.FilterType != "SET" || f.Field.Calculation != "" || (f.Field.Function != "" && f.Field.Function != "NONE") {
			continue
		}
		m, ok := md.byCaption[f.Field.FieldCaption]
		if !ok || m.DataType != "STRING" {
			continue
		}
		var missing []int
		for j, v := range f.Values {
			if _, isStr := v.(string); isStr {
				missing = append(missing, j)
			}
		}
		if len(missing) == 0 {
			continue
		}
		members, ok := md.membersOf(ctx, env, a.DatasourceLUID, m.FieldCaption)
		if !ok {
			continue
		}
		set := make(map[string]bool, len(members))
		for _, x := range members {
			set[x] = true
		}
		for _, j := range missing {
			v := f.Values[j].(string)
			if set[v] {
				continue
			}
			note := fmt.Sprintf("filters[%d].values[%d] %q matches no member of '%s'", i, j, clip(v), m.FieldCaption)
			s := suggest(v, members)
			if len(s) > 0 && strings.EqualFold(s[0], v) {
				s = s[:1] // differs only in case: that is the one meant
			}
			if len(s) > 0 {
				q := make([]string, len(s))
				for k, x := range s {
					q[k] = fmt.Sprintf("%q", x)
				}
				note += "; closest: " + strings.Join(q, ", ")
			} else {
				note += fmt.Sprintf(" (query '%s' alone to list its members)", m.FieldCaption)
			}
			notes = append(notes, note+".")
		}
	}
	return notes
}

// membersOf reads the distinct values of a text field, once per metadata
// lifetime. ok is false when they could not all be read.
func (md *dsMetadata) membersOf(ctx context.Context, env *Env, luid, caption string) ([]string, bool) {
	md.mu.Lock()
	got, done := md.members[caption]
	md.mu.Unlock()
	if done {
		return got, got != nil
	}
	q := &QueryViewArgs{DatasourceLUID: luid, query: []Field{{FieldCaption: caption}}}
	raw, err := env.Backend.Invoke(ctx, q.call(maxMembers))
	if err != nil {
		// The answer itself stands; only the hint is lost.
		if env.Log != nil {
			env.Log.Info("SET filter values not checked: the field's members could not be read", zap.String("field", caption), zap.Error(err))
		}
		return nil, false
	}
	var out struct {
		Data []map[string]any `json:"data"`
	}
	var list []string
	if json.Unmarshal(raw, &out) == nil && len(out.Data) <= maxMembers {
		list = make([]string, 0, len(out.Data))
		for _, row := range out.Data {
			if s, ok := row[caption].(string); ok {
				list = append(list, s)
			}
		}
	}
	md.mu.Lock()
	if md.members == nil {
		md.members = map[string][]string{}
	}
	md.members[caption] = list
	md.mu.Unlock()
	return list, list != nil
}
