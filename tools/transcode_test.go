package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// typedList is the compact list the typed way: decoded into T, encoded.
func typedList[T any](raw []byte, sh shape) (string, error) {
	items, pg, err := decodeList[T](raw, sh)
	if err != nil {
		return "", err
	}
	res, err := listJSON(sh.out, items, pg)
	if err != nil {
		return "", err
	}
	return text(res), nil
}

// sameBothWays fails when the transcoder writes a list the typed way would
// not have written byte for byte (or would have refused).
func sameBothWays[T any](t testing.TB, raw []byte, sh shape) bool {
	t.Helper()
	p := planOf(reflect.TypeFor[T]())
	if p == nil {
		t.Fatalf("%v is not plain", reflect.TypeFor[T]())
	}
	got, ok := transcodeList(raw, sh, p)
	want, err := typedList[T](raw, sh)
	if ok && (err != nil || got != want) {
		t.Errorf("answer %s\ntranscoded %s\ntyped      %s (%v)", raw, got, want, err)
		return false
	}
	return ok
}

// A generated answer: members in any order, present or not, null, of
// another type, named twice or in another case; strings with escapes,
// other scripts, HTML characters and the JavaScript line separators; tags
// and views in each form Tableau's conversion may take; unknown members;
// the collection and pagination in their forms.
type answerGen struct{ r *rand.Rand }

var genStrings = []string{
	`""`, `"Sales"`, `"Q1 \"R&D\" <draft>"`, `"a\\b\/c"`, `"caf\u00e9"`, `"Umsätze – 売上"`,
	`"line\nbreak\ttab"`, "\"sep\u2028ara\u2029tor\"", `"esc\u2028aped"`, `"\ud83d\ude00 emoji"`,
	`"2025-01-01T00:00:00Z"`, `"32619934-7b71-5ef6-aa49-3cade9bc3023"`, `"ctl\u0001"`,
}

func (g answerGen) pick(list ...string) string { return list[g.r.Intn(len(list))] }

func (g answerGen) str() string { return genStrings[g.r.Intn(len(genStrings))] }

func (g answerGen) value(t reflect.Type, depth int) string {
	if g.r.Intn(12) == 0 {
		return "null"
	}
	switch {
	case t == reflect.TypeFor[string]():
		if g.r.Intn(40) == 0 {
			return g.pick(`5`, `true`, `{}`, `["x"]`)
		}
		return g.str()
	case t == reflect.TypeFor[count]():
		return g.pick(`"12"`, `12`, `"0"`, `0`, `"x"`, `"-3"`, `1.5`, `{}`, `"007"`)
	case t == reflect.TypeFor[bool]():
		if g.r.Intn(30) == 0 {
			return g.pick(`"true"`, `1`)
		}
		return g.pick(`true`, `false`)
	case t == reflect.TypeFor[tagList]():
		tag := func() string {
			return g.pick(`{"label":`+g.str()+`}`, `{"label":5}`, `{"other":1,"label":`+g.str()+`}`, `{}`, `"x"`, `null`)
		}
		return g.pick(`{"tag":[`+tag()+`,`+tag()+`]}`, `{"tag":`+tag()+`}`, `{"tag":[]}`, `{}`, `"x"`, `[1]`,
			`{"tag":[`+tag()+`],"tag":[`+tag()+`]}`)
	case t == reflect.TypeFor[*viewSet]():
		if depth > 1 {
			return "null"
		}
		item := func() string { return g.object(reflect.TypeFor[cView](), depth+1) }
		return g.pick(`{"view":[`+item()+`,`+item()+`]}`, `{"view":`+item()+`}`, `{"view":[]}`, `{"view":null}`, `{}`, `{"other":1}`, `[]`)
	case t.Kind() == reflect.Pointer:
		if g.r.Intn(30) == 0 {
			return `"x"`
		}
		return g.object(t.Elem(), depth+1)
	}
	panic(t)
}

func (g answerGen) object(t reflect.Type, depth int) string {
	var members []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if g.r.Intn(5) == 0 {
			continue
		}
		switch g.r.Intn(40) {
		case 0:
			name = strings.ToUpper(name)
		case 1:
			members = append(members, fmt.Sprintf("%q:%s", name, g.value(f.Type, depth)))
		}
		members = append(members, fmt.Sprintf("%q:%s", name, g.value(f.Type, depth)))
	}
	for n := g.r.Intn(3); n > 0; n-- {
		members = append(members, g.pick(`"webpageUrl":"https://x"`, `"x":{"y":[{"z":null}],"id":"nested"}`, `"size":"12"`, `"owner":{"id":"u"}`))
	}
	g.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + strings.Join(members, ",") + "}"
}

func (g answerGen) answer(t reflect.Type, sh shape) string {
	items := make([]string, g.r.Intn(4))
	for i := range items {
		items[i] = g.object(t, 0)
		if g.r.Intn(30) == 0 {
			items[i] = g.pick("null", `"x"`)
		}
	}
	list := "[" + strings.Join(items, ",") + "]"
	if len(items) == 1 && g.r.Intn(2) == 0 {
		list = items[0]
	}
	coll := g.pick(`{"`+sh.singular+`":`+list+`}`, `{"other":[],"`+sh.singular+`":`+list+`}`, `{}`, `null`, `{"`+sh.singular+`":null}`,
		`{"`+sh.singular+`":[],"`+sh.singular+`":`+list+`}`)
	pg := g.pick(`"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"3"}`, `"pagination":{"pageNumber":2,"pageSize":"2","totalAvailable":"9"}`)
	parts := []string{`"` + sh.plural + `":` + coll}
	if g.r.Intn(4) > 0 {
		parts = append(parts, pg)
	}
	if g.r.Intn(3) == 0 {
		parts = append(parts, `"extra":[true,{"a":"b"}]`)
	}
	g.r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	return "{" + strings.Join(parts, ",") + "}"
}

// The plain list types, each with the shape of its list tool.
func eachPlainList(f func(name string, t reflect.Type, sh shape, check func(testing.TB, []byte) bool)) {
	f("workbooks", reflect.TypeFor[cWorkbook](), shape{"workbooks", "workbook", "workbooks", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cWorkbook](t, raw, shape{"workbooks", "workbook", "workbooks", ""})
	})
	f("views", reflect.TypeFor[cView](), shape{"views", "view", "views", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cView](t, raw, shape{"views", "view", "views", ""})
	})
	f("datasources", reflect.TypeFor[cDatasource](), shape{"datasources", "datasource", "datasources", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cDatasource](t, raw, shape{"datasources", "datasource", "datasources", ""})
	})
	f("projects", reflect.TypeFor[cProject](), shape{"projects", "project", "projects", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cProject](t, raw, shape{"projects", "project", "projects", ""})
	})
	f("groups", reflect.TypeFor[cGroup](), shape{"groups", "group", "groups", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cGroup](t, raw, shape{"groups", "group", "groups", ""})
	})
	f("jobs", reflect.TypeFor[cJob](), shape{"backgroundJobs", "backgroundJob", "jobs", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cJob](t, raw, shape{"backgroundJobs", "backgroundJob", "jobs", ""})
	})
	f("sites", reflect.TypeFor[cSite](), shape{"sites", "site", "sites", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cSite](t, raw, shape{"sites", "site", "sites", ""})
	})
	f("flows", reflect.TypeFor[cFlow](), shape{"flows", "flow", "flows", ""}, func(t testing.TB, raw []byte) bool {
		return sameBothWays[cFlow](t, raw, shape{"flows", "flow", "flows", ""})
	})
}

// TestTranscodeMatchesDecoding: on generated answers of every plain list
// type, the transcoder writes exactly what decoding and encoding write, or
// leaves the answer to them; and it takes most answers itself.
func TestTranscodeMatchesDecoding(t *testing.T) {
	g := answerGen{rand.New(rand.NewSource(13))}
	eachPlainList(func(name string, typ reflect.Type, sh shape, check func(testing.TB, []byte) bool) {
		taken, n := 0, 1500
		for i := 0; i < n; i++ {
			raw := g.answer(typ, sh)
			if !json.Valid([]byte(raw)) {
				t.Fatalf("generated answer is not JSON: %s", raw)
			}
			if check(t, []byte(raw)) {
				taken++
			}
		}
		if taken < n/3 {
			t.Errorf("%s: the transcoder took %d of %d answers", name, taken, n)
		}
	})
	// The recorded answers.
	for _, n := range []int{0, 1000} {
		if !sameBothWays[cWorkbook](t, workbooksAnswer(t, n), shape{"workbooks", "workbook", "workbooks", ""}) {
			t.Errorf("the recorded answer (%d) was not transcoded", n)
		}
	}
}

// Types with members the transcoder does not write (a user's email is
// tidied, a task is flattened, a custom view's flag) are not plain, so
// their lists go the typed way.
func TestTranscodeLeavesOtherTypes(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[cUser](), reflect.TypeFor[cTask](), reflect.TypeFor[cFlowTask](), reflect.TypeFor[cCustomView]()} {
		if planOf(typ) != nil {
			t.Errorf("%v is taken as plain", typ)
		}
	}
}

func FuzzTranscode(f *testing.F) {
	g := answerGen{rand.New(rand.NewSource(7))}
	for i := 0; i < 20; i++ {
		f.Add([]byte(g.answer(reflect.TypeFor[cWorkbook](), shape{"workbooks", "workbook", "workbooks", ""})))
	}
	f.Add(bytes.Repeat([]byte("["), 100))
	f.Fuzz(func(t *testing.T, raw []byte) {
		eachPlainList(func(_ string, _ reflect.Type, _ shape, check func(testing.TB, []byte) bool) {
			check(t, raw)
		})
	})
}

// TestTranscodeRefusesWhatIsNotJSON: the transcoder reads the answer where
// it lies, so it checks the JSON itself. An answer that is not JSON, in a
// member it skips, a value it copies or the envelope, is left to the typed
// way (which refuses it); the same answer made valid is taken, and written
// as the typed way writes it.
func TestTranscodeRefusesWhatIsNotJSON(t *testing.T) {
	sh := shape{"workbooks", "workbook", "workbooks", ""}
	const item = `{"id":"w1","name":%s,"x":%s,"tags":{"tag":[{"label":%s}]}}`
	answer := func(name, x, label string) []byte {
		return []byte(`{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"1"},"workbooks":{"workbook":[` +
			fmt.Sprintf(item, name, x, label) + `]}}`)
	}
	valid := []string{`0`, `-1.5e+3`, `1E9`, `"a\"b\\c\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, `true`, `false`, `null`,
		`[]`, `{}`, `[1,{"a":[null]}]`, ` { "a" : [ 1 , 2 ] } `, `"\ud800"`, "\"\xff\""}
	invalid := []string{`01`, `-`, `1.`, `.5`, `1e`, `+1`, `tru`, `nul`, `True`, `"a`, `"\x"`, `"\u12"`, `"\u12G4"`,
		"\"a\x01\"", `[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{1:2}`, `{"a" 1}`, `[1 2]`, `}`, `]`, ``, `'a'`,
		strings.Repeat("[", 600) + strings.Repeat("]", 600)}
	for _, x := range valid {
		raw := answer(`"n"`, x, `"l"`)
		if !json.Valid(raw) {
			t.Fatalf("test answer is not JSON: %s", raw)
		}
		if !sameBothWays[cWorkbook](t, raw, sh) {
			t.Errorf("a skipped member %s: not transcoded", x)
		}
	}
	p := planOf(reflect.TypeFor[cWorkbook]())
	for _, x := range invalid {
		for _, raw := range [][]byte{answer(`"n"`, x, `"l"`), answer(x, `1`, `"l"`), answer(`"n"`, `1`, x)} {
			if json.Valid(raw) && !strings.HasPrefix(x, "[[[") {
				continue // the value is one where it was put (a string among strings)
			}
			if got, ok := transcodeList(raw, sh, p); ok {
				t.Errorf("answer %s is not JSON, but was transcoded to %s", raw, got)
			}
		}
	}
	// Around the answer: whitespace only.
	for _, raw := range []string{`{"workbooks":{}} x`, `{"workbooks":{}}{}`, `[]`, `{"workbooks":{}`, `{"workbooks"}`} {
		if _, ok := transcodeList([]byte(raw), sh, p); ok {
			t.Errorf("%s was transcoded", raw)
		}
	}
	if !sameBothWays[cWorkbook](t, []byte(" \t\r\n{\"workbooks\":{}} \n"), sh) {
		t.Error("an answer in whitespace was not transcoded")
	}
}

// TestTranscodePagination: the pagination is read as the typed way decodes
// it into a page: names in another case, counts that are not (the member
// keeps what it had), members named twice, null; anything but an object
// or null is left to the typed way.
func TestTranscodePagination(t *testing.T) {
	sh := shape{"workbooks", "workbook", "workbooks", ""}
	for _, pg := range []string{
		`{"PAGENUMBER":"3","page_size":"x","pageSize":"7","totalAvailable":{},"totalAvailable":"9","other":[1]}`,
		`{"pageNumber":2,"pageNumber":"x","pageSize":-1,"totalavailable":"12"}`,
		`null`, `{}`,
	} {
		raw := []byte(`{"workbooks":{"workbook":{"id":"w"}},"pagination":` + pg + `}`)
		if !sameBothWays[cWorkbook](t, raw, sh) {
			t.Errorf("pagination %s: not transcoded", pg)
		}
	}
	p := planOf(reflect.TypeFor[cWorkbook]())
	for _, pg := range []string{`"x"`, `[]`, `{"pageNumber":01}`} {
		if got, ok := transcodeList([]byte(`{"workbooks":{},"pagination":`+pg+`}`), sh, p); ok {
			t.Errorf("pagination %s transcoded to %s", pg, got)
		}
	}
}

// TestTranscodeOddAnswers: answers an upstream could craft, each written
// as the typed way writes it or left to it: names folded by other scripts
// (ſ and the Kelvin sign fold to S and K), with delimiters or escaped; a
// member null before or after its value; strings that try to close the
// value they are in, lone surrogates, control and separator characters;
// counts at and beyond int64, -0, signed strings. A value the transcoder
// takes holds exactly the item's members: no text of the answer becomes
// a member of the result.
func TestTranscodeOddAnswers(t *testing.T) {
	sh := shape{"workbooks", "workbook", "workbooks", ""}
	items := []string{
		"{\"\u017fheetType\":\"s\",\"\u212aey\":1,\"I_D\":\"a\",\"n-a-m-e\":\"b\"}",
		`{"n\u0061me":"escaped name"}`,
		`{"name":null,"name":"x"}`, `{"name":"x","name":null}`, `{"owner":null,"owner":{"id":"o"}}`,
		`{"name":"x\",\"injected\":\"1"}`, `{"name":"x\"},{\"id\":\"2"}`, `{"name":"\u0022}]}"}`,
		`{"name":"\ud800"}`, `{"name":"\udc00\ud800"}`, `{"name":"\ud83d\ude00"}`, "{\"name\":\"\xed\xa0\x80\xff\"}",
		`{"name":"\u0000\u001f\u007f\u2028\u2029<>&\/"}`, "{\"name\":\"\u2028\u2029\x7f\"}",
		`{"tags":{"tag":[{"label":"a\",\"b"},{"label":"\u2028"}]}}`,
		`{"views":{"view":[{"id":"v\"}]","usage":{"totalViewCount":"-0"}}]}}`,
	}
	for _, it := range items {
		for _, pg := range []string{`{"pageNumber":"9223372036854775807","pageSize":"-5","totalAvailable":"9223372036854775808"}`,
			`{"pageNumber":-0,"pageSize":"+7","totalAvailable":" 3"}`} {
			raw := []byte(`{"pagination":` + pg + `,"workbooks":{"workbook":[` + it + `,{"id":"w2"}]}}`)
			sameBothWays[cWorkbook](t, raw, sh)
			got, ok := transcodeList(raw, sh, planOf(reflect.TypeFor[cWorkbook]()))
			if !ok {
				continue
			}
			var res struct {
				Workbooks []map[string]json.RawMessage
				Page      map[string]json.RawMessage
			}
			if err := json.Unmarshal([]byte(got), &res); err != nil || len(res.Workbooks) != 2 || len(res.Page) != 3 {
				t.Errorf("answer %s: transcoded to %s (%v)", raw, got, err)
				continue
			}
			for name := range res.Workbooks[0] {
				if planOf(reflect.TypeFor[cWorkbook]()).lookup([]byte(name)) < 0 {
					t.Errorf("answer %s: transcoded with a member %q", raw, name)
				}
			}
		}
	}
}
