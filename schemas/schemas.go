// Package schemas turns the typed argument struct of each tool into the JSON
// Schema that MCP clients see, with github.com/invopop/jsonschema.
//
// Field tags: `json:"name,omitempty"` names the parameter, `jsonschema:"required"`
// (and enum=, minimum=, maximum=, ...) constrains it, and
// `jsonschema_description:"..."` describes it. Descriptions go in their own tag
// so that a comma in one can never cut it short, the known pitfall of
// `jsonschema:"description=..."`.
package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/invopop/jsonschema"
)

var reflector = jsonschema.Reflector{
	DoNotReference:             true,
	ExpandedStruct:             true,
	Anonymous:                  true,
	AllowAdditionalProperties:  false,
	RequiredFromJSONSchemaTags: true,
}

// For returns the input schema of an argument struct type as JSON: an object
// schema with properties and required (nested objects refuse unknown
// members with additionalProperties false). Tools
// that share an argument type (every list tool takes the same filter, sort
// and paging) share one generated schema.
func For(t reflect.Type) (json.RawMessage, error) {
	if v, ok := cache.Load(t); ok {
		return v.(json.RawMessage), nil
	}
	raw, err := generate(t)
	if err == nil {
		cache.Store(t, raw)
	}
	return raw, err
}

var cache sync.Map // reflect.Type -> json.RawMessage

func generate(t reflect.Type) (json.RawMessage, error) {
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
