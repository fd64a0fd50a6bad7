package backend

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestJSONShapedTellsAnswersFromPages(t *testing.T) {
	for body, want := range map[string]bool{
		`{"workbooks":{"workbook":[]}}`:   true,
		" \n[1,2]\n":                      true,
		`{}`:                              true,
		`<!DOCTYPE html><html></html>`:    false,
		`{"workbooks":{"workbook":[{"id"`: false, // cut off
		`[1,2}`:                           false,
		`Service Unavailable`:             false,
		`{`:                               false,
		``:                                false,
	} {
		if got := JSONShaped([]byte(body)); got != want {
			t.Errorf("JSONShaped(%q) = %v, want %v", body, got, want)
		}
	}
}

func TestReadBodyWithAndWithoutLength(t *testing.T) {
	const body = `{"a":"b"}`
	for _, n := range []int64{int64(len(body)), -1} {
		resp := &http.Response{ContentLength: n, Body: io.NopCloser(strings.NewReader(body))}
		got, err := ReadBody(resp)
		if err != nil || string(got) != body {
			t.Errorf("length %d: got %q, %v", n, got, err)
		}
	}
	// A body shorter than its announced length is an error, not a short answer.
	resp := &http.Response{ContentLength: 100, Body: io.NopCloser(strings.NewReader(body))}
	if _, err := ReadBody(resp); err == nil {
		t.Error("a body cut short of its Content-Length was accepted")
	}
}
