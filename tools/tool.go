// Package tools declares every Tableau tool the server offers: its name, a
// description written for a model, a typed argument struct (the source of the
// JSON input schema), honest annotations, and what it does. Most tools are a
// single REST call described as data (see rest.go); the rest have handlers.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Kind is the catalogue's R/W/D column.
type Kind int

const (
	Read        Kind = iota // reads only
	Write                   // creates or changes something
	Destructive             // deletes or removes something
)

func (k Kind) String() string {
	return [...]string{"R", "W", "D"}[k]
}

// Source is the catalogue's src column: whether Scalekit's connector has the tool.
type Source string

const (
	Seed Source = "seed" // on the connector page the project started from
	SK   Source = "sk"   // in Scalekit's current connector catalogue
	New  Source = "new"  // ours; through Scalekit it runs over the proxy
)

// Env is what a tool needs at run time.
type Env struct {
	Backend backend.Backend
	Log     *zap.Logger
	// Metadata caches data source metadata for the checks of
	// tableau_query_view and of view_filters (a view's field names);
	// nil reads it afresh every time.
	Metadata *MetadataCache
	// SkipQueryCheck sends queries without checking them against the data
	// source's metadata (the checks of the VizQL rules still run).
	SkipQueryCheck bool
	// Results is ResultsCompact (also when empty) or ResultsTableau: the
	// fields an agent uses with names beside IDs, or Tableau's JSON.
	Results string
	// Exports bounds what export tools return inline and names the
	// directory downloads go to; zero values take the defaults.
	Exports ExportOptions
}

// Tool is one declared tool.
type Tool struct {
	Name        string
	Title       string
	Description string
	Kind        Kind
	// Idempotent: calling again with the same arguments changes nothing more.
	Idempotent bool
	Source     Source
	// Toolset groups tools by domain (workbooks, views, ...).
	Toolset string

	args reflect.Type
	run  func(ctx context.Context, env *Env, args any) (*mcp.CallToolResult, error)
	// result describes the compact answer of list and get tools.
	result *resultShape
}

// ArgsType is the tool's argument struct type.
func (t Tool) ArgsType() reflect.Type { return t.full().args }

// define attaches a typed handler to a tool declaration.
func define[A any](t Tool, run func(ctx context.Context, env *Env, args *A) (*mcp.CallToolResult, error)) Tool {
	t.args = reflect.TypeFor[A]()
	t.run = func(ctx context.Context, env *Env, a any) (*mcp.CallToolResult, error) {
		return run(ctx, env, a.(*A))
	}
	return t
}

// Validator is implemented by argument structs with checks beyond the
// generic ones (required, LUIDs, enums, paging, filter and sort grammar).
type Validator interface {
	Validate() error
}

// Handle decodes and checks the arguments, runs the tool and turns every
// failure the model can act on into an error result. A returned Go error is
// kept for faults of the protocol or the server itself.
func (t Tool) Handle(ctx context.Context, env *Env, rawArgs any) (*mcp.CallToolResult, error) {
	args, err := t.Decode(rawArgs)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	return t.Run(ctx, env, args)
}

// Decode turns the client's arguments into the tool's typed arguments and
// checks them: a parameter is refused when unknown or spelled in another
// case, then every rule of the tool runs. What it returns is exactly what
// Run sends; guards read it (ContentRefs), never the raw JSON.
func (t Tool) Decode(rawArgs any) (any, error) { return t.decode(rawArgs) }

// Run runs the tool on arguments Decode returned.
func (t Tool) Run(ctx context.Context, env *Env, args any) (*mcp.CallToolResult, error) {
	if t = t.full(); t.run == nil {
		return nil, errNoImplementation(t)
	}
	if reflect.TypeOf(args) != reflect.PointerTo(t.args) {
		return nil, fmt.Errorf("%s: arguments of type %T, not decoded by this tool", t.Name, args)
	}
	res, err := t.run(ctx, env, args)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		env.logger(ctx).Info("tool failed", zap.String("tool", t.Name), zap.Error(err))
		return mcp.NewToolResultError(explain(t, err)), nil
	}
	return res, nil
}

// decode turns the client's arguments into the typed struct: unknown
// parameters are refused by name, then every check runs.
func (t Tool) decode(raw any) (any, error) {
	if t = t.full(); t.args == nil {
		return nil, errNoImplementation(t)
	}
	ptr := reflect.New(t.args)
	var data []byte
	switch v := raw.(type) {
	case nil:
		data = []byte("{}")
	case map[string]any:
		if len(v) == 0 {
			data = []byte("{}")
			break
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: arguments are not a JSON object", t.Name)
		}
		data = b
	case json.RawMessage:
		data = v
	case []byte:
		data = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: arguments are not a JSON object", t.Name)
		}
		data = b
	}
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		data = []byte("{}")
	}
	// No arguments (a list with its defaults, the commonest call) need no
	// decoding: the checks run on the zero value, which decoding {} gives.
	if string(bytes.TrimSpace(data)) == "{}" && !reflect.PointerTo(t.args).Implements(unmarshalerType) {
		return t.checked(ptr)
	}
	if err := exactKeys(data, t.args, ""); err != nil {
		var ce *caseError
		if errors.As(err, &ce) {
			return nil, errors.New(ce.message(t.Name))
		}
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(ptr.Interface()); err != nil {
		return nil, decodeError(t, err)
	}
	return t.checked(ptr)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checked runs every check of the tool on decoded arguments.
func (t Tool) checked(ptr reflect.Value) (any, error) {
	if err := check(t, ptr.Elem()); err != nil {
		return nil, err
	}
	if v, ok := ptr.Interface().(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return ptr.Interface(), nil
}

func decodeError(t Tool, err error) error {
	t = t.full()
	var ae *argError
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", t.Name, ae.msg)
	}
	params := paramNames(t.args)
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("%s has no parameter %s; its parameters are: %s", t.Name, name, strings.Join(params, ", "))
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field[strings.LastIndex(te.Field, ".")+1:]
		return fmt.Errorf("%s: parameter %q must be %s, not a JSON %s", t.Name, field, jsonTypeName(te.Type), te.Value)
	}
	return fmt.Errorf("%s: the arguments are not a valid JSON object: %v", t.Name, err)
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// jsonResult returns Tableau's JSON as the tool's text result. Tableau
// answers compact JSON, which goes on as it came: the text's one further
// pass is its encoding into the MCP result. Only an answer laid out on
// several lines (a proxy that pretty-prints) is compacted first.
func jsonResult(raw json.RawMessage) *mcp.CallToolResult {
	if bytes.IndexByte(raw, '\n') >= 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			raw = buf.Bytes()
		}
	}
	return mcp.NewToolResultText(string(raw))
}
