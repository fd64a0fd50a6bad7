package schemas_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// The input schemas are generated here, in the snapshot test, from each
// tool's typed argument struct with github.com/invopop/jsonschema, and
// recorded in toolsnaps/ and inputs_gen.go. The server only reads the
// recorded table: the generator (and its YAML, Go-comment and ordered-map
// dependencies) stays out of the binary, which makes it smaller and its
// start-up shorter.
//
// Field tags: `json:"name,omitempty"` names the parameter, `jsonschema:"required"`
// (and enum=, minimum=, maximum=, ...) constrains it, and
// `jsonschema_description:"..."` describes it. Descriptions go in their own tag
// so that a comma in one can never cut it short, the known pitfall of
// `jsonschema:"description=..."`.

var reflector = jsonschema.Reflector{
	DoNotReference:             true,
	ExpandedStruct:             true,
	Anonymous:                  true,
	AllowAdditionalProperties:  false,
	RequiredFromJSONSchemaTags: true,
}

func init() { reflector.Mapper = special }

// plain reflects the types special describes, without special.
var plain = jsonschema.Reflector{
	DoNotReference:             true,
	ExpandedStruct:             true,
	Anonymous:                  true,
	RequiredFromJSONSchemaTags: true,
}

var (
	intervals = reflect.TypeFor[tools.Intervals]()
	// open are small nested objects whose schema leaves additionalProperties
	// out: an unknown member is refused by name when the query is decoded,
	// and the schema is part of every tools/list.
	open = map[reflect.Type]bool{
		reflect.TypeFor[tools.FilterField](): true,
		reflect.TypeFor[tools.Parameter]():   true,
	}
)

// special gives the schema of the argument types whose JSON form is not
// what their Go type says, and nil for the others.
func special(t reflect.Type) *jsonschema.Schema {
	switch {
	case t == intervals:
		// Intervals also reads Tableau's {"interval":[...]} form; clients
		// are told of the plain array only.
		r := plain
		r.RequiredFromJSONSchemaTags = false
		item := r.Reflect(&tools.Interval{})
		item.Version = ""
		return &jsonschema.Schema{Type: "array", Items: item, Description: "When the schedule runs, e.g. [{\"weekDay\":\"Monday\"},{\"weekDay\":\"Thursday\"}] or [{\"hours\":\"4\"}]."}
	case t.Kind() == reflect.Slice && t.PkgPath() == intervals.PkgPath() && strings.HasPrefix(t.Name(), "JSONList["):
		// A JSONList also accepts its array as a string; the schema
		// describes the real array, the string form is mentioned in the
		// parameter's description only.
		r := reflector
		r.Mapper = open1
		item := r.ReflectFromType(t.Elem())
		item.Version = ""
		item.ID = ""
		item.Definitions = nil
		return &jsonschema.Schema{Type: "array", Items: item}
	}
	return open1(t)
}

func open1(t reflect.Type) *jsonschema.Schema {
	if !open[t] {
		return nil
	}
	s := plain.ReflectFromType(t)
	s.Version = ""
	s.ID = ""
	s.AdditionalProperties = nil
	return s
}

// inputSchema returns the input schema of an argument struct type as JSON:
// an object schema with properties and required (nested objects refuse
// unknown members with additionalProperties false).
func inputSchema(t reflect.Type) (json.RawMessage, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("argument type %s is not a struct", t)
	}
	s := reflector.ReflectFromType(t)
	s.Version = ""
	s.ID = ""
	// The tool refuses an unknown parameter by name, listing the ones it
	// has, so the top-level "additionalProperties":false would only repeat
	// that in every tool definition the model reads.
	s.AdditionalProperties = nil
	if s.Properties == nil || s.Properties.Len() == 0 {
		// A tool without parameters still declares an (empty) object.
		return json.RawMessage(`{"type":"object","properties":{}}`), nil
	}
	return json.Marshal(s)
}

// generated is the tool's definition with its input schema generated from
// the argument struct now.
func generated(t tools.Tool) (mcp.Tool, error) {
	schema, err := inputSchema(t.ArgsType())
	if err != nil {
		return mcp.Tool{}, fmt.Errorf("%s: %w", t.Name, err)
	}
	return t.Definition(schema), nil
}
