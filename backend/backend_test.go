package backend

import (
	"net/http"
	"testing"
)

func TestWhichRequestsMayBeRepeated(t *testing.T) {
	for _, c := range []struct {
		r    Request
		want bool
	}{
		{Request{Method: http.MethodGet, Path: "/workbooks"}, true},
		{Request{Method: http.MethodPost, Scope: VDSScope, Path: "/query-datasource"}, true},
		{Request{Method: http.MethodPost, Scope: VDSScope, Path: "/read-metadata"}, true},
		{Request{Method: http.MethodPost, Path: "/query-datasource"}, false}, // not under the VDS prefix
		{Request{Method: http.MethodPost, Path: "/workbooks/x/refresh"}, false},
		{Request{Method: http.MethodPut, Path: "/workbooks/x", Idempotent: true}, true},
		{Request{Method: http.MethodDelete, Path: "/workbooks/x"}, false},
		{Request{}, false},
	} {
		if got := (Call{Request: c.r}).Repeatable(); got != c.want {
			t.Errorf("%+v: repeatable %v, want %v", c.r, got, c.want)
		}
	}
}
