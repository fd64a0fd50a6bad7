// Package vizqlemu emulates the VizQL Data Service (VDS) over the datasets of
// package sampledata, for tests and demos of the Tableau client.
//
// The handler answers POST .../read-metadata and POST .../query-datasource
// (and GET .../simple-request); it matches on the path suffix, so it can be
// mounted under any prefix, normally /api/v1/vizql-data-service/. It does not
// check X-Tableau-Auth: the mounting emulator does.
//
// Decisions where the VDS documentation is silent (the client must not rely
// on more than the real service promises):
//
//   - Output keys: a plain field is keyed by its caption ("Region"); a field
//     with a function by FUNC(Caption) ("SUM(Sales)", "YEAR(Order Date)");
//     fieldAlias replaces either.
//   - Values: DATE as "2006-01-02", DATETIME as "2006-01-02T15:04:05";
//     YEAR QUARTER MONTH WEEK DAY give integers (WEEK counts Sunday-start
//     weeks, week 1 holding January 1st); TRUNC_* give the first day of the
//     period in the field's own date format (TRUNC_WEEK: the Sunday);
//     COUNT and COUNTD give integers, SUM keeps the column's number type,
//     AVG MEDIAN STDEV VAR give reals (STDEV and VAR are sample statistics,
//     null for fewer than two values). Nulls are JSON null.
//   - Without any sort the rows come ordered by their dimension values, in
//     field order, ascending; with disaggregate=true, in source row order.
//     Sorting puts nulls first in ascending order. A query that matches no
//     rows answers {"data":[]}.
//   - Filters: row-level filters with context=true run first, then TOP
//     filters (ranked over what the context filters left), then the other
//     row-level filters; a filter whose field carries an aggregate function
//     (e.g. SUM(Sales)) applies to the aggregated rows of the answer. MATCH
//     is case-insensitive. Relative DATE filters without anchorDate are
//     anchored at sampledata.Today (2026-10-31); LASTN and NEXTN include the
//     current period. Weeks start on Sunday.
//   - Errors: invalid JSON 400/400000; a request not matching the OpenAPI
//     schema (missing required member, wrong type, unknown enum value,
//     unknown property where the schema forbids them) 400/400802; a request
//     that is well-formed but invalid (SUM on a STRING field, RANGE filter
//     without max, ...) 400/400803; calculations 400/400800 (not
//     supported here); unknown field caption 404/404934 (the documented code;
//     the live service has also been seen to answer 400803 "Unknown Field:
//     X.", so a client must handle both); unknown data source LUID
//     404/404001; unknown endpoint 404/404950; wrong method 405/405000.
//   - Parameters in a query are checked against the data source's (caption,
//     type, range, list members) but change nothing, as there are no
//     calculations to feed. Calculations, bins, table calculations,
//     CONDITION filters and server-sent events are refused.
package vizqlemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	maxBodyBytes = 1 << 20
	// maxRecorded bounds the request log so a long-running demo server
	// does not grow without end.
	maxRecorded = 1000
)

// Service is the emulated VizQL Data Service. It is safe for concurrent use.
type Service struct {
	resolve func(ctx context.Context, datasourceLUID string) (datasetName string, ok bool)

	mu       sync.Mutex
	faults   []*apiError
	requests [][]byte
}

// New returns a Service that maps a data source LUID to a sampledata dataset
// name with resolve. With a nil resolve, the LUID is taken as the dataset name.
func New(resolve func(ctx context.Context, datasourceLUID string) (datasetName string, ok bool)) *Service {
	if resolve == nil {
		resolve = func(_ context.Context, luid string) (string, bool) { return luid, true }
	}
	return &Service{resolve: resolve}
}

// FailNext makes the next request fail with the given HTTP status and VDS
// error code and message, in the service's error body shape. Calls queue up:
// each one fails one request, in order.
func (s *Service) FailNext(status int, errorCode, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &apiError{status: status, code: errorCode, message: message,
		debug: map[string]any{"injected": true}})
}

// Requests returns copies of the bodies of the requests received so far, in
// order (an empty slice for a request without body); only the most recent
// 1000 are kept.
func (s *Service) Requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.requests))
	for i, b := range s.requests {
		out[i] = bytes.Clone(b)
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))

	s.mu.Lock()
	s.requests = append(s.requests, bytes.Clone(body))
	if len(s.requests) > maxRecorded {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)-maxRecorded)
	}
	var fault *apiError
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()

	if fault != nil {
		writeError(w, fault)
		return
	}

	path := strings.TrimRight(r.URL.Path, "/")
	var endpoint string
	for _, e := range []string{"read-metadata", "query-datasource", "simple-request"} {
		if strings.HasSuffix(path, "/"+e) || path == e {
			endpoint = e
		}
	}
	method := http.MethodPost
	if endpoint == "simple-request" {
		method = http.MethodGet
	}
	switch {
	case endpoint == "":
		writeError(w, &apiError{status: http.StatusNotFound, code: codeEndpointNotFound,
			message: "The request endpoint doesn't exist: " + r.URL.Path + "."})
		return
	case r.Method != method:
		w.Header().Set("Allow", method)
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
			message: "Method " + r.Method + " is not allowed on " + endpoint + "; use " + method + "."})
		return
	case readErr != nil:
		writeError(w, errBadRequest("The request body could not be read: "+readErr.Error()))
		return
	case len(body) > maxBodyBytes:
		writeError(w, errBadRequest("The request body is larger than 1 MiB."))
		return
	}

	var (
		answer any
		apiErr *apiError
	)
	defer func() {
		// A bug here must answer 500 like the real service, not kill the
		// emulator that mounts it.
		if v := recover(); v != nil {
			writeError(w, &apiError{status: http.StatusInternalServerError, code: codeInternal,
				message: "The request could not be completed.", debug: map[string]any{"panic": fmt.Sprint(v)}})
		}
	}()
	switch endpoint {
	case "simple-request":
		answer = "OK"
	case "read-metadata":
		answer, apiErr = s.readMetadata(r.Context(), body)
	case "query-datasource":
		answer, apiErr = s.queryDatasource(r.Context(), body)
	}
	if apiErr != nil {
		apiErr.debug = withDefault(apiErr.debug, "endpoint", endpoint)
		writeError(w, apiErr)
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func withDefault(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := m[k]; !ok {
		m[k] = v
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		buf, _ = json.Marshal(errorBody{ErrorCode: codeInternal, Message: "Could not encode the answer: " + err.Error(),
			Datetime: time.Now().UTC().Format(time.RFC3339Nano), Debug: map[string]any{}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}
