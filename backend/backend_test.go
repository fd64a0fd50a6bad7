package backend

import (
	"io"
	"net/http"
	"regexp"
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

func TestIsLUIDAgreesWithTheUUIDPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	for _, s := range []string{
		"9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "9E2F3A1B-4C5D-4E6F-8A9B-0C1D2E3F4A5B", "00000000-0000-0000-0000-000000000000",
		"9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5", "9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5bb", "9e2f3a1b04c5d-4e6f-8a9b-0c1d2e3f4a5b",
		"9e2f3a1g-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\n", "", "Superstore", "{9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a}",
		"9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5é",
	} {
		if got, want := IsLUID(s), pattern.MatchString(s); got != want {
			t.Errorf("IsLUID(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzIsLUID(f *testing.F) {
	pattern := regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	f.Add("9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b")
	f.Add("9e2f3a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5")
	f.Fuzz(func(t *testing.T, s string) {
		if IsLUID(s) != pattern.MatchString(s) {
			t.Errorf("IsLUID(%q) disagrees with the pattern", s)
		}
	})
}
