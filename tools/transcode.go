package tools

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// A list whose item type is plain (its members are strings, counts,
// booleans, tags, and objects or a workbook's views of such members) is
// written straight from Tableau's answer: each item's members are read from
// the answer's decoder and written, in the compact type's order, as they
// would be encoded, with no Go value in between. The decoding into typed
// values and their encoding (answers.go) cost about twice as much time for
// the same text, and six times the allocations (BenchmarkWorkbooksList:
// 130 allocations a call against 21). The bytes are
// the same (TestTranscodeMatchesDecoding compares both ways on every list
// tool's answers and on generated ones); anything the transcoder does not
// take as it is (a member named twice, a value of another type than the
// member's) makes it give up, and the answer goes the typed way, which
// words the error or reads the oddity as it always did.

type tKind uint8

const (
	tString tKind = iota
	tCount
	tBool
	tTags   // tagList
	tObject // a pointer to a plain struct
	tViews  // *viewSet: {"view": one or many plain items}
)

type tField struct {
	key       []byte // `"name":`
	omitempty bool
	kind      tKind
	sub       *tPlan // tObject, tViews
}

// tPlan is how one plain struct type is written.
type tPlan struct {
	fields []tField
	exact  map[string]int // JSON name -> field
	folded map[string]int // folded name -> field, for names in another case
}

// maxPlanFields bounds a plain struct's members (spans live on the stack).
const maxPlanFields = 16

var plans sync.Map // reflect.Type -> *tPlan (nil: not plain)

// planOf returns the plan of T, or nil when T is not plain.
func planOf(t reflect.Type) *tPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*tPlan)
	}
	p := makePlan(t, 0)
	plans.Store(t, p)
	return p
}

var (
	stringType = reflect.TypeFor[string]()
	countType  = reflect.TypeFor[count]()
	boolType   = reflect.TypeFor[bool]()
	tagsType   = reflect.TypeFor[tagList]()
	viewsType  = reflect.TypeFor[*viewSet]()
	tidierType = reflect.TypeFor[tidier]()
)

func makePlan(t reflect.Type, depth int) *tPlan {
	if t.Kind() != reflect.Struct || depth > 3 || t.NumField() > maxPlanFields ||
		reflect.PointerTo(t).Implements(tidierType) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[jsonv2.MarshalerTo]()) ||
		reflect.PointerTo(t).Implements(reflect.TypeFor[jsonv2.UnmarshalerFrom]()) {
		return nil
	}
	p := &tPlan{exact: map[string]int{}, folded: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := splitTag(tag)
		if sf.Anonymous || !sf.IsExported() || name == "" || name == "-" || (opts != "" && opts != "omitempty") {
			return nil
		}
		f := tField{key: []byte(strconv.Quote(name) + ":"), omitempty: opts == "omitempty"}
		switch {
		case sf.Type == stringType:
			f.kind = tString
		case sf.Type == countType:
			f.kind = tCount
		case sf.Type == boolType:
			f.kind = tBool
		case sf.Type == tagsType:
			f.kind = tTags
		case sf.Type == viewsType:
			f.kind, f.sub = tViews, makePlan(reflect.TypeFor[cView](), depth+1)
		case sf.Type.Kind() == reflect.Pointer:
			f.kind, f.sub = tObject, makePlan(sf.Type.Elem(), depth+1)
		default:
			return nil
		}
		if (f.kind == tObject || f.kind == tViews) && f.sub == nil {
			return nil
		}
		if _, dup := p.folded[string(foldName([]byte(name)))]; dup {
			return nil
		}
		p.exact[name] = len(p.fields)
		p.folded[string(foldName([]byte(name)))] = len(p.fields)
		p.fields = append(p.fields, f)
	}
	return p
}

func splitTag(tag string) (name, opts string, ok bool) { return strings.Cut(tag, ",") }

// foldName folds a member name as the decoder does when it matches names
// in another case: letters in one case, '_' and '-' left out.
func foldName(in []byte) []byte { return appendFolded(nil, in) }

func appendFolded(out, in []byte) []byte {
	for i := 0; i < len(in); {
		c := in[i]
		if c < utf8.RuneSelf {
			if c != '_' && c != '-' {
				if 'a' <= c && c <= 'z' {
					c -= 'a' - 'A'
				}
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

// errTranscode says the transcoder leaves this answer to the typed way.
var errTranscode = errors.New("not transcoded")

// lookup finds a member's field: its exact name first, then folded.
func (p *tPlan) lookup(raw []byte) int {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		return -2 // an escaped name: left to the typed way
	}
	if i, ok := p.exact[string(name)]; ok {
		return i
	}
	var buf [64]byte
	if i, ok := p.folded[string(appendFolded(buf[:0], name))]; ok {
		return i
	}
	return -1
}

type span struct{ from, to int }

// object reads the object (or null) at dec and appends its compact form to
// *s, returning where it is.
func (p *tPlan) object(dec *jsontext.Decoder, s *[]byte) (span, error) {
	var spans [maxPlanFields]span
	var set [maxPlanFields]bool
	switch dec.PeekKind() {
	case 'n':
		if _, err := dec.ReadToken(); err != nil {
			return span{}, err
		}
		return p.assemble(s, &spans, &set), nil
	case '{':
	default:
		return span{}, errTranscode
	}
	if _, err := dec.ReadToken(); err != nil {
		return span{}, err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return span{}, err
		}
		i := p.lookup(name)
		if i == -2 {
			return span{}, errTranscode
		}
		if i < 0 {
			if err := dec.SkipValue(); err != nil {
				return span{}, err
			}
			continue
		}
		if set[i] {
			return span{}, errTranscode // named twice
		}
		f := &p.fields[i]
		from := len(*s)
		switch f.kind {
		case tString:
			v, err := dec.ReadValue()
			if err != nil {
				return span{}, err
			}
			switch v.Kind() {
			case '"':
				if *s, err = appendString(*s, v); err != nil {
					return span{}, err
				}
			case 'n':
				continue
			default:
				return span{}, errTranscode
			}
		case tCount:
			v, err := dec.ReadValue()
			if err != nil {
				return span{}, err
			}
			n, err := strconv.Atoi(string(bytes.Trim(v, `"`)))
			if err != nil {
				continue // a count that is not one is left at zero
			}
			*s = strconv.AppendInt(*s, int64(n), 10)
		case tBool:
			v, err := dec.ReadValue()
			if err != nil {
				return span{}, err
			}
			switch v.Kind() {
			case 't', 'f':
				*s = append(*s, v...)
			case 'n':
				continue
			default:
				return span{}, errTranscode
			}
		case tTags:
			if err := appendTags(dec, s); err != nil {
				return span{}, err
			}
		case tObject, tViews:
			if dec.PeekKind() == 'n' { // a nil pointer, as if left out
				if _, err := dec.ReadToken(); err != nil {
					return span{}, err
				}
				continue
			}
			if f.kind == tViews {
				if err := f.sub.views(dec, s); err != nil {
					return span{}, err
				}
				break
			}
			sp, err := f.sub.object(dec, s)
			if err != nil {
				return span{}, err
			}
			spans[i], set[i] = sp, true
			continue
		}
		spans[i], set[i] = span{from, len(*s)}, true
	}
	if _, err := dec.ReadToken(); err != nil {
		return span{}, err
	}
	return p.assemble(s, &spans, &set), nil
}

// assemble appends the object made of the members read, in the type's
// order, leaving out the empty ones marked omitempty as encoding/json does.
func (p *tPlan) assemble(s *[]byte, spans *[maxPlanFields]span, set *[maxPlanFields]bool) span {
	from := len(*s)
	*s = append(*s, '{')
	first := true
	for i := range p.fields {
		f := &p.fields[i]
		var v []byte
		if set[i] {
			v = (*s)[spans[i].from:spans[i].to]
		}
		if f.omitempty && f.empty(v) {
			continue
		}
		if !first {
			*s = append(*s, ',')
		}
		first = false
		*s = append(*s, f.key...)
		if v == nil {
			v = f.zero()
		}
		*s = append(*s, v...)
	}
	*s = append(*s, '}')
	return span{from, len(*s)}
}

func (f *tField) zero() []byte {
	switch f.kind {
	case tString:
		return []byte(`""`)
	case tCount:
		return []byte("0")
	case tBool:
		return []byte("false")
	}
	return []byte("null")
}

// empty tells a value omitempty leaves out: the zero value, or a list of
// no tags; a pointer to an object or to views is empty only when nil (left
// out or null), whatever it points to.
func (f *tField) empty(v []byte) bool {
	if v == nil {
		return true
	}
	return (f.kind != tObject && f.kind != tViews) && string(v) == string(f.zero())
}

// views reads a workbook's views ({"view": an item or a list}) and
// appends them as a list.
func (p *tPlan) views(dec *jsontext.Decoder, s *[]byte) error {
	if dec.PeekKind() != '{' {
		return errTranscode
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	from := len(*s)
	*s = append(*s, '[')
	seen, null := false, false
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if name.String() != "view" {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if seen {
			return errTranscode
		}
		seen, null = true, dec.PeekKind() == 'n'
		if err := p.items(dec, s); err != nil {
			return err
		}
	}
	if null { // "view":null leaves the list nil
		*s = append((*s)[:from], "null"...)
	} else {
		*s = append(*s, ']')
	}
	_, err := dec.ReadToken()
	return err
}

// items reads one item or a list of them (null: none) and appends them,
// separated by commas, each assembled then moved down over its pieces.
func (p *tPlan) items(dec *jsontext.Decoder, s *[]byte) error {
	one := func(sep bool) error {
		if sep {
			*s = append(*s, ',')
		}
		at := len(*s)
		sp, err := p.object(dec, s)
		if err != nil {
			return err
		}
		n := copy((*s)[at:], (*s)[sp.from:sp.to])
		*s = (*s)[:at+n]
		return nil
	}
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
		return one(false)
	case '[':
	default:
		return errTranscode
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for i := 0; dec.PeekKind() != ']'; i++ {
		if err := one(i > 0); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// appendTags reads Tableau's tags (as tagList does) and appends the labels
// as a list, or null when there are none.
func appendTags(dec *jsontext.Decoder, s *[]byte) error {
	from := len(*s)
	*s = append(*s, '[')
	n := 0
	tag := func() error {
		return eachMember(dec, func(name jsontext.Token) error {
			if name.String() != "label" || dec.PeekKind() != '"' {
				return dec.SkipValue()
			}
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if n > 0 {
				*s = append(*s, ',')
			}
			n++
			*s, err = appendString(*s, v)
			return err
		})
	}
	err := eachMember(dec, func(name jsontext.Token) error {
		if name.String() != "tag" {
			return dec.SkipValue()
		}
		if dec.PeekKind() != '[' {
			return tag()
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := tag(); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	})
	if n == 0 {
		*s = append((*s)[:from], "null"...)
	} else {
		*s = append(*s, ']')
	}
	return err
}

// appendString appends a JSON string read from the answer as the encoder
// writes it: as it is when it holds nothing to escape differently, else
// unquoted and quoted again.
func appendString(s []byte, v jsontext.Value) ([]byte, error) {
	plain, ascii := true, true
	for _, c := range v[1 : len(v)-1] {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if plain && !ascii {
		in := v[1 : len(v)-1]
		plain = utf8.Valid(in) && !bytes.Contains(in, []byte("\u2028")) && !bytes.Contains(in, []byte("\u2029"))
	}
	if plain {
		return append(s, v...), nil
	}
	var buf [256]byte
	u, err := jsontext.AppendUnquote(buf[:0], v)
	if err != nil {
		return s, errTranscode // invalid UTF-8: left to the typed way
	}
	from := len(s)
	if s, err = jsontext.AppendQuote(s, u); err != nil {
		return s, errTranscode
	}
	// U+2028 and U+2029 escaped, as encoding/json did.
	if bytes.Contains(s[from:], []byte("\u2028")) || bytes.Contains(s[from:], []byte("\u2029")) {
		q := bytes.ReplaceAll(s[from:], []byte("\u2028"), []byte(`\u2028`))
		q = bytes.ReplaceAll(q, []byte("\u2029"), []byte(`\u2029`))
		s = append(s[:from], q...)
	}
	return s, nil
}

// listTranscoder writes a list answer's compact form; it reads the answer
// as listAnswer does.
type listTranscoder struct {
	sh  shape
	p   *tPlan
	out []byte // {"<out>":[ and the items
	pg  *page
}

func (l *listTranscoder) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() != '{' {
		return errTranscode
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	head := len(l.out)
	return listMembers(dec, l.sh.plural, &l.pg, func() error { return l.collection(dec, head) })
}

// collection reads {"<singular>": items}; each time the items come they
// replace those before, as in the typed way.
func (l *listTranscoder) collection(dec *jsontext.Decoder, head int) error {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		return errTranscode
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if key.String() != l.sh.singular {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		l.out = l.out[:head]
		if err := l.p.items(dec, &l.out); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// transcodeBufs hold the buffers compact lists are written in.
var transcodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// transcodeList returns the compact list written straight from raw; false
// when it leaves the answer to the typed way.
func transcodeList(raw []byte, sh shape, p *tPlan) (string, bool) {
	buf := transcodeBufs.Get().(*[]byte)
	l := &listTranscoder{sh: sh, p: p, out: (*buf)[:0]}
	defer func() {
		if cap(l.out) <= 1<<20 { // a huge answer's buffer is not kept
			*buf = l.out
			transcodeBufs.Put(buf)
		}
	}()
	l.out = append(l.out, `{"`...)
	l.out = append(l.out, sh.out...)
	l.out = append(l.out, `":[`...)
	if err := jsonv2.Unmarshal(raw, l, readOpts); err != nil {
		return "", false
	}
	l.out = append(l.out, ']')
	if pg := l.pg; pg != nil {
		l.out = append(l.out, `,"page":{"number":`...)
		l.out = strconv.AppendInt(l.out, int64(pg.PageNumber), 10)
		l.out = append(l.out, `,"size":`...)
		l.out = strconv.AppendInt(l.out, int64(pg.PageSize), 10)
		l.out = append(l.out, `,"total":`...)
		l.out = strconv.AppendInt(l.out, int64(pg.TotalAvailable), 10)
		l.out = append(l.out, '}')
	}
	l.out = append(l.out, '}')
	return string(l.out), true
}
