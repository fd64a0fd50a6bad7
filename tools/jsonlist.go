package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// listItem is implemented by the element types of JSONList: listName is the
// parameter's name in messages, listExample a short valid value.
type listItem interface {
	listName() string
	listExample() string
}

// JSONList is an array parameter that also accepts a string holding the
// same JSON array: the seed's connector passed fields, filters and sort as
// JSON in a string, while models write real arrays more reliably. Either
// way every element is decoded strictly: an unknown member is refused by
// name, with the members that exist.
type JSONList[T listItem] []T

// argError is a decoding failure already worded for the model.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, args ...any) error {
	return &argError{msg: fmt.Sprintf(format, args...)}
}

// UnmarshalJSON accepts an array, a string holding an array, null or "".
func (l *JSONList[T]) UnmarshalJSON(b []byte) error {
	var zero T
	name := zero.listName()
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return argErrorf("%s is not a valid JSON string: %v", name, err)
		}
		b = bytes.TrimSpace([]byte(s))
		if len(b) == 0 {
			*l = nil
			return nil
		}
		if !json.Valid(b) {
			return argErrorf("%s is a string that does not hold valid JSON; pass a JSON array (preferably as a real array, not a string), e.g. %s", name, zero.listExample())
		}
	}
	if len(b) == 0 || string(b) == "null" {
		*l = nil
		return nil
	}
	if b[0] != '[' {
		return argErrorf("%s must be a JSON array (or a string holding one), e.g. %s", name, zero.listExample())
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return argErrorf("%s must be a JSON array, e.g. %s", name, zero.listExample())
	}
	out := make([]T, 0, len(raws))
	for i, raw := range raws {
		where := fmt.Sprintf("%s[%d]", name, i)
		if len(raw) == 0 || raw[0] != '{' {
			return argErrorf("%s must be an object, e.g. %s", where, zero.listExample())
		}
		var item T
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&item); err != nil {
			return &argError{msg: memberError(where, raw, reflect.TypeFor[T](), err)}
		}
		out = append(out, item)
	}
	*l = out
	return nil
}

// memberError words a strict decoding failure of one list element.
func memberError(where string, raw json.RawMessage, t reflect.Type, err error) string {
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		var top map[string]json.RawMessage
		_ = json.Unmarshal(raw, &top)
		if _, isTop := top[name]; isTop {
			return fmt.Sprintf("%s has no member %q; its members are: %s", where, name, strings.Join(jsonMembers(t), ", "))
		}
		// The unknown member sits in a nested object (a filter's field or
		// fieldToMeasure).
		for k, v := range top {
			var inner map[string]json.RawMessage
			if json.Unmarshal(v, &inner) == nil {
				if _, ok := inner[name]; ok {
					if sf, found := fieldByJSONName(t, k); found {
						return fmt.Sprintf("%s.%s has no member %q; its members are: %s", where, k, name, strings.Join(jsonMembers(sf.Type), ", "))
					}
				}
			}
		}
		return fmt.Sprintf("%s has an unknown member %q", where, name)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path := where
		if te.Field != "" {
			path += "." + te.Field
		}
		return fmt.Sprintf("%s must be %s, not a JSON %s", path, jsonTypeName(te.Type), te.Value)
	}
	return fmt.Sprintf("%s: %v", where, err)
}

// jsonMembers lists the JSON names of a struct's exported fields.
func jsonMembers(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	if t.Kind() != reflect.Struct {
		return out
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// problems collects validation failures so that one answer names them all.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

// oneOf tells whether s is in the list, after upper-casing it in place
// (enum values are accepted in any case).
func oneOf(s *string, list []string) bool {
	*s = strings.ToUpper(strings.TrimSpace(*s))
	return contains(list, *s)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
