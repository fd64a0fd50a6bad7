package vizqlemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// fieldMetadata is the FieldMetadata schema (the members this emulator fills).
type fieldMetadata struct {
	FieldName          string `json:"fieldName"`
	FieldCaption       string `json:"fieldCaption"`
	DataType           string `json:"dataType"`
	FieldRole          string `json:"fieldRole"`
	FieldType          string `json:"fieldType"`
	DefaultAggregation string `json:"defaultAggregation"`
	ColumnClass        string `json:"columnClass"`
	LogicalTableID     string `json:"logicalTableId"`
	Description        string `json:"description,omitempty"`
	Formula            string `json:"formula,omitempty"`
}

type metadataOutput struct {
	Data      []fieldMetadata `json:"data"`
	ExtraData struct {
		Parameters []parameter `json:"parameters"`
	} `json:"extraData"`
}

// parameter is a ParameterRecord; members beyond the common ones depend on
// parameterType and are left out when empty.
type parameter struct {
	ParameterType    string         `json:"parameterType"`
	ParameterName    string         `json:"parameterName"`
	ParameterCaption string         `json:"parameterCaption"`
	DataType         string         `json:"dataType"`
	Value            any            `json:"value"`
	Min              *float64       `json:"min,omitempty"`
	Max              *float64       `json:"max,omitempty"`
	Step             *float64       `json:"step,omitempty"`
	Members          []aliasedValue `json:"members,omitempty"`
}

// aliasedValue is the AliasedDataValue schema of LIST parameter members.
type aliasedValue struct {
	Value any    `json:"value"`
	Alias string `json:"alias"`
}

func ptr(f float64) *float64 { return &f }

// parametersOf lists the parameters published with each dataset. Queries
// naming them are validated against them, and the dataset's calculations
// (calculationsOf) read their values.
func parametersOf(dataset string) []parameter {
	if dataset != sampledata.SuperstoreOrders {
		return []parameter{}
	}
	return []parameter{
		{
			ParameterType: "QUANTITATIVE_RANGE", ParameterName: "[Parameters].[Parameter 1]",
			ParameterCaption: "Profit Target", DataType: sampledata.TypeReal, Value: 0.15,
			Min: ptr(0), Max: ptr(0.5), Step: ptr(0.01),
		},
		{
			ParameterType: "LIST", ParameterName: "[Parameters].[Parameter 2]",
			ParameterCaption: "Top Customers", DataType: sampledata.TypeInteger, Value: 10,
			Members: []aliasedValue{{5, "Top 5"}, {10, "Top 10"}, {20, "Top 20"}},
		},
	}
}

// calculation is a calculated field published with a dataset: what
// read-metadata says of it, and how a row's value is computed from the
// row and the query's parameter values.
type calculation struct {
	caption, dataType, role, defaultAgg, formula, description string
	eval                                                      func(t *sampledata.Table, row []any, params map[string]any) any
}

// calculationsOf lists the calculated fields of each dataset. Superstore's
// two read the Profit Target parameter, so that a query setting it gives
// answers that can be checked against the raw rows.
func calculationsOf(dataset string) []calculation {
	if dataset != sampledata.SuperstoreOrders {
		return nil
	}
	salesTimesTarget := func(t *sampledata.Table, row []any, params map[string]any) (profit, target any) {
		sales, p := row[t.ColumnIndex("Sales")], row[t.ColumnIndex("Profit")]
		goal, _ := params["Profit Target"].(float64)
		if sales == nil || p == nil {
			return nil, nil
		}
		return p, sales.(float64) * goal
	}
	return []calculation{
		{
			caption: "Profit vs Target", dataType: sampledata.TypeString, role: sampledata.RoleDimension, defaultAgg: "COUNT",
			formula:     `IF [Profit] >= [Sales] * [Profit Target] THEN "Met" ELSE "Missed" END`,
			description: "Whether the line's profit reaches Profit Target, a share of its sales.",
			eval: func(t *sampledata.Table, row []any, params map[string]any) any {
				profit, goal := salesTimesTarget(t, row, params)
				if profit == nil {
					return nil
				}
				if profit.(float64) >= goal.(float64) {
					return "Met"
				}
				return "Missed"
			},
		},
		{
			caption: "Target Profit", dataType: sampledata.TypeReal, role: sampledata.RoleMeasure, defaultAgg: "SUM",
			formula:     `[Sales] * [Profit Target]`,
			description: "The profit the line would make at Profit Target.",
			eval: func(t *sampledata.Table, row []any, params map[string]any) any {
				_, goal := salesTimesTarget(t, row, params)
				return goal
			},
		},
	}
}

// logicalTableID gives each dataset a stable identifier shaped like
// Tableau's: a name and 32 hex digits.
func logicalTableID(dataset string) string {
	h := fnv.New128a()
	h.Write([]byte(dataset))
	return strings.ReplaceAll(dataset, " ", "") + "_" + strings.ToUpper(fmt.Sprintf("%x", h.Sum(nil)))
}

func fieldTypeOf(c sampledata.Column) string {
	switch {
	case c.Role == sampledata.RoleMeasure:
		return "CONTINUOUS"
	case c.DataType == sampledata.TypeDate || c.DataType == sampledata.TypeDateTime || c.DataType == sampledata.TypeInteger:
		return "ORDINAL"
	default:
		return "NOMINAL"
	}
}

type readMetadataRequest struct {
	Datasource json.RawMessage `json:"datasource"`
	Options    json.RawMessage `json:"options"`
}

func (s *Service) readMetadata(ctx context.Context, body []byte) (any, *apiError) {
	var req readMetadataRequest
	if e := decodeBody(body, &req); e != nil {
		return nil, e
	}
	table, e := s.datasource(ctx, req.Datasource)
	if e != nil {
		return nil, e
	}
	out := metadataOutput{Data: make([]fieldMetadata, 0, len(table.Columns))}
	ltid := logicalTableID(table.Name)
	for _, c := range table.Columns {
		out.Data = append(out.Data, fieldMetadata{
			FieldName:          c.Name,
			FieldCaption:       c.Name,
			DataType:           c.DataType,
			FieldRole:          c.Role,
			FieldType:          fieldTypeOf(c),
			DefaultAggregation: c.DefaultAggregation,
			ColumnClass:        "COLUMN",
			LogicalTableID:     ltid,
			Description:        c.Description,
		})
	}
	for _, c := range calculationsOf(table.Name) {
		out.Data = append(out.Data, fieldMetadata{
			FieldName: c.caption, FieldCaption: c.caption, DataType: c.dataType, FieldRole: c.role,
			FieldType: fieldTypeOf(sampledata.Column{DataType: c.dataType, Role: c.role}), DefaultAggregation: c.defaultAgg,
			ColumnClass: "CALCULATION", LogicalTableID: ltid, Description: c.description, Formula: c.formula,
		})
	}
	out.ExtraData.Parameters = parametersOf(table.Name)
	return out, nil
}

type datasourceJSON struct {
	DatasourceLuid *string         `json:"datasourceLuid"`
	Connections    json.RawMessage `json:"connections"`
}

// datasource validates the Datasource member and finds its dataset.
func (s *Service) datasource(ctx context.Context, raw json.RawMessage) (*sampledata.Table, *apiError) {
	if isAbsent(raw) {
		return nil, errSpec("Missing required property 'datasource'.")
	}
	var ds datasourceJSON
	if e := decodeStrict(raw, "datasource", &ds, "datasourceLuid", "connections"); e != nil {
		return nil, e
	}
	if ds.DatasourceLuid == nil {
		return nil, errSpec("Missing required property 'datasource.datasourceLuid'.")
	}
	luid := *ds.DatasourceLuid
	if strings.TrimSpace(luid) == "" {
		return nil, errInvalid("datasource.datasourceLuid must not be empty.")
	}
	name, ok := s.resolve(ctx, luid)
	if !ok {
		return nil, errUnknownDatasource(luid)
	}
	table, ok := sampledata.Get(name)
	if !ok {
		return nil, &apiError{status: http.StatusInternalServerError, code: codeInternal,
			message: fmt.Sprintf("Data source %s has no data in this emulator.", luid)}
	}
	return table, nil
}

// decodeBody parses a request body: not JSON is 400000, a JSON value of the
// wrong shape 400802.
func decodeBody(body []byte, dst any) *apiError {
	if len(strings.TrimSpace(string(body))) == 0 {
		return errBadRequest("The request body is empty; a JSON object is required.")
	}
	if !json.Valid(body) {
		return errBadRequest("The request body is not valid JSON.")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return errSpec("The request body does not match the API schema: %s.", jsonErrText(err))
	}
	return nil
}

// decodeStrict parses an object whose schema forbids additional properties.
func decodeStrict(raw json.RawMessage, what string, dst any, allowed ...string) *apiError {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil || keys == nil {
		return errSpec("'%s' must be a JSON object.", what)
	}
	for k := range keys {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return errSpec("Unrecognized property '%s' in '%s'.", k, what)
		}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return errSpec("'%s' does not match the API schema: %s.", what, jsonErrText(err))
	}
	return nil
}

func decodeLoose(raw json.RawMessage, what string, dst any) *apiError {
	if err := json.Unmarshal(raw, dst); err != nil {
		return errSpec("'%s' does not match the API schema: %s.", what, jsonErrText(err))
	}
	return nil
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func jsonErrText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		where := te.Field
		if where == "" {
			where = "value"
		}
		return fmt.Sprintf("%s must be %s, not %s", where, typeWord(te.Type.String()), te.Value)
	}
	return err.Error()
}

func typeWord(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case t == "int" || t == "int64":
		return "an integer"
	case t == "float64":
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	default:
		return "an object"
	}
}
