package tableauemu

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// jobj is a decoded JSON request object. Accessors tolerate what the JSON
// form of Tableau's XML may carry (numbers and booleans as strings) and name
// the offending member when the type is wrong.
type jobj = map[string]any

// decode parses the body as a JSON object and answers its root member.
// An absent body or root is an error only when required.
func (c *call) decode(root string, required bool) (jobj, *apiErr) {
	trimmed := bytes.TrimSpace(c.body)
	if len(trimmed) == 0 {
		if required {
			return nil, badRequest("The request body is empty; expected a JSON object with a '%s' member.", root)
		}
		return jobj{}, nil
	}
	if trimmed[0] == '<' {
		return nil, badRequest("The emulator reads JSON request bodies only (Content-Type: application/json); this body looks like XML.")
	}
	var top any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, badRequest("The request body is not valid JSON: %v.", err)
	}
	if dec.More() {
		return nil, badRequest("The request body holds more than one JSON value.")
	}
	m, ok := top.(map[string]any)
	if !ok {
		return nil, badRequest("The request body must be a JSON object with a '%s' member.", root)
	}
	v, present := m[root]
	if !present || v == nil {
		if required {
			return nil, badRequest("The request body has no '%s' object.", root)
		}
		return jobj{}, nil
	}
	inner, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("'%s' in the request body must be a JSON object.", root)
	}
	return inner, nil
}

func wrongType(path, key, want string) *apiErr {
	return badRequest("'%s.%s' must be %s.", path, key, want)
}

// sval reads a string member; numbers are accepted and rendered.
func sval(m jobj, path, key string) (string, bool, *apiErr) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", false, nil
	}
	switch x := v.(type) {
	case string:
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	}
	return "", false, wrongType(path, key, "a string")
}

// bval reads a boolean member; "true" and "false" strings are accepted.
func bval(m jobj, path, key string) (bool, bool, *apiErr) {
	v, ok := m[key]
	if !ok || v == nil {
		return false, false, nil
	}
	switch x := v.(type) {
	case bool:
		return x, true, nil
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true, nil
		case "false":
			return false, true, nil
		}
	}
	return false, false, wrongType(path, key, "true or false")
}

// ival reads a whole number member, given as a number or a string.
func ival(m jobj, path, key string) (int, bool, *apiErr) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	default:
		return 0, false, wrongType(path, key, "a whole number")
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, false, wrongType(path, key, "a whole number")
	}
	return n, true, nil
}

// oval reads an object member.
func oval(m jobj, path, key string) (jobj, bool, *apiErr) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, false, wrongType(path, key, "an object")
	}
	return o, true, nil
}

// idval reads a reference of the form "key":{"id":"..."}.
func idval(m jobj, path, key string) (string, bool, *apiErr) {
	o, ok, e := oval(m, path, key)
	if e != nil || !ok {
		return "", false, e
	}
	id, ok, e := sval(o, path+"."+key, "id")
	if e != nil {
		return "", false, e
	}
	if !ok || id == "" {
		return "", false, badRequest("'%s.%s' needs an 'id'.", path, key)
	}
	return id, true, nil
}

// lval reads a member that holds an array of objects, or one object (the
// JSON form of a single repeated XML element).
func lval(m jobj, path, key string) ([]jobj, bool, *apiErr) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, false, nil
	}
	switch x := v.(type) {
	case map[string]any:
		return []jobj{x}, true, nil
	case []any:
		out := make([]jobj, 0, len(x))
		for i, it := range x {
			o, ok := it.(map[string]any)
			if !ok {
				return nil, false, badRequest("'%s.%s[%d]' must be an object.", path, key, i)
			}
			out = append(out, o)
		}
		return out, true, nil
	}
	return nil, false, wrongType(path, key, "an array of objects")
}

// flag tells whether a boolean option is true in the query string, at the
// top of the JSON body or one level down (e.g. {"incremental":true}).
func (c *call) flag(name string) bool {
	if strings.EqualFold(c.q.Get(name), "true") {
		return true
	}
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.UseNumber()
	if dec.Decode(&top) != nil {
		return false
	}
	if b, ok, _ := bval(top, "", name); ok && b {
		return true
	}
	for _, v := range top {
		if o, ok := v.(map[string]any); ok {
			if b, ok, _ := bval(o, "", name); ok && b {
				return true
			}
		}
	}
	return false
}
