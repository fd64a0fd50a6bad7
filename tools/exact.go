package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// exactKeys refuses an object member whose name matches a parameter (or a
// member of a nested object) only when case is ignored. encoding/json
// would take "WORKBOOK_ID" for workbook_id; a check reading the raw keys
// would not, and the two would disagree about what the call names. Here the
// client's spelling must be the parameter's own.
func exactKeys(data []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if data[0] != '{' || json.Unmarshal(data, &obj) != nil {
			return nil // the decoder words what is wrong
		}
		names := memberTypes(t)
		for k, v := range obj {
			if ft, ok := names[k]; ok {
				if err := exactKeys(v, ft, join(path, k)); err != nil {
					return err
				}
				continue
			}
			for n := range names {
				if strings.EqualFold(n, k) {
					return &caseError{path: path, got: k, want: n, members: jsonMembers(t)}
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if data[0] == '"' { // a JSONList given as a string holding the array
			var s string
			if json.Unmarshal(data, &s) != nil {
				return nil
			}
			data = bytes.TrimSpace([]byte(s))
			if len(data) == 0 {
				return nil
			}
		}
		if data[0] == '{' { // Tableau's wrapped form, {"interval":[...]}
			var obj map[string]json.RawMessage
			if json.Unmarshal(data, &obj) != nil {
				return nil
			}
			for _, v := range obj {
				if err := exactKeys(v, t, path); err != nil {
					return err
				}
			}
			return nil
		}
		var items []json.RawMessage
		if data[0] != '[' || json.Unmarshal(data, &items) != nil {
			return nil
		}
		for i, it := range items {
			if err := exactKeys(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if data[0] != '{' || json.Unmarshal(data, &obj) != nil {
			return nil
		}
		for k, v := range obj {
			if err := exactKeys(v, t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberTypes maps a struct's JSON member names to their types, read once
// per type.
func memberTypes(t reflect.Type) map[string]reflect.Type {
	if v, ok := memberTypeCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	names := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" && n != "-" {
			names[n] = f.Type
		}
	}
	memberTypeCache.Store(t, names)
	return names
}

var memberTypeCache sync.Map // reflect.Type -> map[string]reflect.Type

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// caseError is a member named in the wrong case.
type caseError struct {
	path, got, want string
	members         []string
}

func (e *caseError) message(tool string) string {
	if e.path == "" {
		return fmt.Sprintf("%s has no parameter %q; parameter names are case-sensitive: write %q. Its parameters are: %s", tool, e.got, e.want, strings.Join(e.members, ", "))
	}
	return fmt.Sprintf("%s: %s has no member %q; member names are case-sensitive: write %q. Its members are: %s", tool, e.path, e.got, e.want, strings.Join(e.members, ", "))
}

func (e *caseError) Error() string { return e.message("the call") }

// Content kinds a parameter may name.
const (
	KindProject    = "project"
	KindWorkbook   = "workbook"
	KindView       = "view"
	KindDatasource = "datasource"
	KindCustomView = "customView"
	KindFlow       = "flow"
	// KindTask is an extract refresh task: it is in scope when the
	// workbook or data source it refreshes is.
	KindTask = "extractRefreshTask"
)

// contentParams maps the parameters that name site content to its kind.
var contentParams = map[string]string{
	"project_id": KindProject, "parent_project_id": KindProject, "new_project_id": KindProject,
	"workbook_id": KindWorkbook, "view_id": KindView,
	"datasource_id": KindDatasource, "datasource_luid": KindDatasource,
	"custom_view_id": KindCustomView, "flow_id": KindFlow,
	"task_id": KindTask,
}

// ContentParams lists the parameter names that name site content.
func ContentParams() map[string]string {
	out := make(map[string]string, len(contentParams))
	for k, v := range contentParams {
		out[k] = v
	}
	return out
}

// Ref is one piece of site content that decoded arguments name.
type Ref struct {
	Param string // the parameter, e.g. "workbook_id"
	Kind  string // KindProject, KindWorkbook, KindView or KindDatasource
	ID    string // the value the tool will send
}

// ContentRefs lists the content that decoded arguments (as Decode returns
// them) name, read from the typed values the tool sends, nested structs
// included. An empty optional ID names nothing and is left out.
func ContentRefs(args any) []Ref {
	var out []Ref
	collectRefs(reflect.ValueOf(args), &out)
	return out
}

func collectRefs(v reflect.Value, out *[]Ref) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous {
				continue
			}
			fv, err := v.FieldByIndexErr(f.Index)
			if err != nil {
				continue // through a nil embedded pointer
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if kind, ok := contentParams[name]; ok && fv.Kind() == reflect.String {
				if id := fv.String(); id != "" {
					*out = append(*out, Ref{Param: name, Kind: kind, ID: id})
				}
				continue
			}
			collectRefs(fv, out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			collectRefs(v.Index(i), out)
		}
	}
}
