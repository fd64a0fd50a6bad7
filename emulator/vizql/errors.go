package vizqlemu

import (
	"fmt"
	"net/http"
	"time"
)

// VDS error codes (errorCode is a string in the body).
const (
	codeBadRequest       = "400000" // body is not JSON
	codeInvalidFormula   = "400800" // calculation not accepted
	codeInvalidRequest   = "400802" // not valid per the OpenAPI document
	codeValidation       = "400803" // valid shape, invalid meaning
	codeUnknownDatasrc   = "404001" // emulator's choice: no VDS code is documented
	codeUnknownField     = "404934"
	codeEndpointNotFound = "404950"
	codeMethodNotAllowed = "405000"
	codeInternal         = "500000"
)

// errorBody is the TableauError schema of the VDS OpenAPI document.
type errorBody struct {
	ErrorCode string         `json:"errorCode"`
	Message   string         `json:"message"`
	Datetime  string         `json:"datetime"`
	Debug     map[string]any `json:"debug"`
}

type apiError struct {
	status  int
	code    string
	message string
	debug   map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func writeError(w http.ResponseWriter, e *apiError) {
	debug := e.debug
	if debug == nil {
		debug = map[string]any{}
	}
	writeJSON(w, e.status, errorBody{
		ErrorCode: e.code,
		Message:   e.message,
		Datetime:  time.Now().UTC().Format(time.RFC3339Nano),
		Debug:     debug,
	})
}

func errBadRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, message: msg}
}

// errSpec reports a request that does not follow the OpenAPI schema.
func errSpec(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidRequest, message: fmt.Sprintf(format, args...)}
}

// errInvalid reports a well-formed request that fails validation.
func errInvalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeValidation, message: fmt.Sprintf(format, args...)}
}

func errUnknownField(caption string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeUnknownField,
		message: fmt.Sprintf("Unknown Field: %s.", caption), debug: map[string]any{"fieldCaption": caption}}
}

func errUnknownDatasource(luid string) *apiError {
	return &apiError{status: http.StatusNotFound, code: codeUnknownDatasrc,
		message: fmt.Sprintf("Unknown Datasource: %s.", luid), debug: map[string]any{"datasourceLuid": luid}}
}

func errCalculation() *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidFormula,
		message: "Calculations are not supported by this emulated data service; query data source fields instead."}
}
