package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// Forms of Tableau's list answers written by hand from the REST reference
// and from what its JSON conversion does (a collection of one item as an
// object, an empty collection as {} or left out, counts as strings), each
// with the exact compact text expected.
func TestListAnswerForms(t *testing.T) {
	const pg = `"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"1"}`
	const one = `{"id":"w1","name":"Sales","project":{"id":"p1","name":"Finance"},"owner":{"name":"ann"},"tags":{"tag":[{"label":"a"},{"label":"b"}]},"updatedAt":"2025-01-01T00:00:00Z","webpageUrl":"https://x"}`
	const want = `{"id":"w1","name":"Sales","project":{"id":"p1","name":"Finance"},"owner":{"name":"ann"},"tags":["a","b"],"updatedAt":"2025-01-01T00:00:00Z"}`
	cases := []struct{ name, answer, want string }{
		{"a list", `{` + pg + `,"workbooks":{"workbook":[` + one + `]}}`,
			`{"workbooks":[` + want + `],"page":{"number":1,"size":100,"total":1}}`},
		{"a lone item as an object", `{` + pg + `,"workbooks":{"workbook":` + one + `}}`,
			`{"workbooks":[` + want + `],"page":{"number":1,"size":100,"total":1}}`},
		{"collection before pagination", `{"workbooks":{"workbook":[` + one + `]},` + pg + `}`,
			`{"workbooks":[` + want + `],"page":{"number":1,"size":100,"total":1}}`},
		{"empty as {}", `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"0"},"workbooks":{}}`,
			`{"workbooks":[],"page":{"number":1,"size":100,"total":0}}`},
		{"empty and left out", `{"pagination":{"pageNumber":"2","pageSize":"10","totalAvailable":"3"}}`,
			`{"workbooks":[],"page":{"number":2,"size":10,"total":3}}`},
		{"empty as null", `{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"0"},"workbooks":null}`,
			`{"workbooks":[],"page":{"number":1,"size":100,"total":0}}`},
		{"counts as numbers", `{"pagination":{"pageNumber":1,"pageSize":100,"totalAvailable":1},"workbooks":{"workbook":[{"id":"w1","name":"Sales"}]}}`,
			`{"workbooks":[{"id":"w1","name":"Sales"}],"page":{"number":1,"size":100,"total":1}}`},
		{"a lone tag as an object, a tag list in another form", `{"workbooks":{"workbook":[{"id":"w1","name":"A","tags":{"tag":{"label":"x"}}},{"id":"w2","name":"B","tags":"x"}]}}`,
			`{"workbooks":[{"id":"w1","name":"A","tags":["x"]},{"id":"w2","name":"B"}]}`},
		{"members nested in others and unknown ones skipped", `{"workbooks":{"other":{"workbook":[1]},"workbook":[{"id":"w1","name":"A","views":{"view":[]},"x":{"y":[{"z":null}]}}]},"extra":[true,false]}`,
			`{"workbooks":[{"id":"w1","name":"A","views":[]}]}`},
		// Text is written as it was read, once: quotes and backslashes
		// escaped, HTML characters and other scripts as they are, the
		// JavaScript line separators escaped.
		{"text", `{"workbooks":{"workbook":[{"id":"w1","name":"Q1 \"R&D\" <draft> \\ Umsätze – 売上\u2028","description":"a\nb\tc"}]}}`,
			`{"workbooks":[{"id":"w1","name":"Q1 \"R&D\" <draft> \\ Umsätze – 売上\u2028","description":"a\nb\tc"}]}`},
		{"a member named twice", `{"workbooks":{"workbook":[{"id":"w1","name":"old","name":"new"}]}}`,
			`{"workbooks":[{"id":"w1","name":"new"}]}`},
	}
	for _, c := range cases {
		res := callTool(t, "tableau_workbooks_list", `{}`, &recorder{answer: json.RawMessage(c.answer)})
		if res.IsError || text(res) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, text(res), c.want)
		}
	}
}

// An answer that is not the JSON expected is an error naming it, never a
// partial or empty list.
func TestListAnswerNotExpected(t *testing.T) {
	for _, answer := range []string{
		`[]`,
		`"workbooks"`,
		`{"workbooks":{"workbook":[{"id":"w1","name":"A"}`,
		`{"workbooks":{"workbook":"w1"}}`,
		`{"workbooks":[{"id":"w1"}]}`,
		`{"workbooks":{"workbook":[{"id":1}]}}`,
	} {
		res := callTool(t, "tableau_workbooks_list", `{}`, &recorder{answer: json.RawMessage(answer)})
		if !res.IsError || !strings.Contains(text(res), "unexpected answer from Tableau") {
			t.Errorf("%s: %s", answer, text(res))
		}
	}
}

// A get answer's item is read wherever it sits among other members; a
// workbook's lone view may come as an object.
func TestGetAnswerForms(t *testing.T) {
	cases := []struct{ answer, want string }{
		{`{"workbook":{"id":"w1","name":"Sales","views":{"view":{"id":"v1","name":"Overview","contentUrl":"x"}}}}`,
			`{"workbook":{"id":"w1","name":"Sales","views":[{"id":"v1","name":"Overview"}]}}`},
		{`{"other":{"workbook":{"id":"x"}},"workbook":{"id":"w1","name":"Sales","views":{}}}`,
			`{"workbook":{"id":"w1","name":"Sales","views":[]}}`},
	}
	for _, c := range cases {
		res := callTool(t, "tableau_workbook_get", `{"workbook_id":"`+wb+`"}`, &recorder{answer: json.RawMessage(c.answer)})
		if res.IsError || text(res) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.answer, text(res), c.want)
		}
	}
	// No workbook in the answer: Tableau's JSON is passed on as it came.
	const odd = `{"unexpected":true}`
	if res := callTool(t, "tableau_workbook_get", `{"workbook_id":"`+wb+`"}`, &recorder{answer: json.RawMessage(odd)}); text(res) != odd {
		t.Errorf("an answer without the workbook gave %s", text(res))
	}
}
