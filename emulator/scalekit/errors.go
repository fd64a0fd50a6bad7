package scalekitemu

import (
	"encoding/json"
	"net/http"
)

// errorInfoType is the @type of the single detail object in every error body.
const errorInfoType = "type.googleapis.com/scalekit.v1.errdetails.ErrorInfo"

// Values of details[].error_code used by the emulator.
const (
	ErrCodeInvalidArgument = "INVALID_ARGUMENT"
	ErrCodeUnauthenticated = "UNAUTHENTICATED"
	ErrCodeNotFound        = "NOT_FOUND"
	ErrCodeAlreadyExists   = "ALREADY_EXISTS"
	ErrCodeToolError       = "TOOL_ERROR"
	ErrCodeRateLimited     = "RATE_LIMITED"
	ErrCodeUnavailable     = "UNAVAILABLE"
	ErrCodeInternal        = "INTERNAL"
)

// grpcCode gives the gRPC status number Scalekit puts in "code" for an HTTP
// status (the usual gRPC-gateway correspondence).
func grpcCode(status int) int {
	switch status {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusUnauthorized:
		return 16 // UNAUTHENTICATED
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusNotFound:
		return 5 // NOT_FOUND
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return 12 // UNIMPLEMENTED
	case http.StatusConflict:
		return 6 // ALREADY_EXISTS
	case http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusInternalServerError:
		return 13 // INTERNAL
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	case http.StatusGatewayTimeout:
		return 4 // DEADLINE_EXCEEDED
	}
	return 2 // UNKNOWN
}

// ToolErrorInfo is the upstream detail attached to a TOOL_ERROR.
type ToolErrorInfo struct {
	ExecutionID      string `json:"execution_id"`
	ToolErrorMessage string `json:"tool_error_message"`
	ToolErrorCode    string `json:"tool_error_code,omitempty"`
}

// apiError is one Scalekit error answer.
type apiError struct {
	status    int
	message   string
	errorCode string
	toolInfo  *ToolErrorInfo
}

func newError(status int, errorCode, message string) *apiError {
	return &apiError{status: status, message: message, errorCode: errorCode}
}

func invalidArg(message string) *apiError {
	return newError(http.StatusBadRequest, ErrCodeInvalidArgument, message)
}

type errorDetail struct {
	Type          string         `json:"@type"`
	ErrorCode     string         `json:"error_code"`
	ToolErrorInfo *ToolErrorInfo `json:"tool_error_info,omitempty"`
}

type errorBody struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Details []errorDetail `json:"details"`
}

func (e *apiError) body() errorBody {
	return errorBody{
		Code:    grpcCode(e.status),
		Message: e.message,
		Details: []errorDetail{{Type: errorInfoType, ErrorCode: e.errorCode, ToolErrorInfo: e.toolInfo}},
	}
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, e.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":13,"message":"could not encode the answer","details":[]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
