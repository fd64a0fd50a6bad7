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
// written straight from Tableau's answer: each item's members are read
// where they lie in the answer (scan, which checks the JSON as it goes) and
// written, in the compact type's order, as they would be encoded, with no
// Go value in between. The decoding into typed
// values and their encoding (answers.go) cost about twice as much time for
// the same text, and six times the allocations (BenchmarkWorkbooksList:
// 130 allocations a call against 21). The bytes are
// the same (TestTranscodeMatchesDecoding compares both ways on every list
// tool's answers and on generated ones); anything the transcoder does not
// take as it is (a member named twice, a value of another type than the
// member's, text that is not JSON) makes it give up, and the answer goes
// the typed way, which words the error or reads the oddity as it always
// did.

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
	name      string
	key       []byte // `"name":`
	omitempty bool
	kind      tKind
	sub       *tPlan // tObject, tViews
}

// tPlan is how one plain struct type is written.
type tPlan struct {
	fields []tField
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
	p := &tPlan{folded: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := splitTag(tag)
		if sf.Anonymous || !sf.IsExported() || name == "" || name == "-" || (opts != "" && opts != "omitempty") {
			return nil
		}
		f := tField{name: name, key: []byte(strconv.Quote(name) + ":"), omitempty: opts == "omitempty"}
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

// scan reads an answer's JSON where it lies, as the transcoder needs it:
// member names and values as written, each value checked as jsontext
// checks it (with invalid UTF-8 allowed, as readOpts allow it), anything
// else skipped. bad is set on the first text that is not JSON or that the
// transcoder leaves to the typed way (an escaped member name it reads,
// nesting deeper than maxScanDepth); from then on every read fails.
// jsontext's decoder did this job before at about three times the cost:
// a token at a time through its state machine, with the names of every
// open object kept for error messages.
type scan struct {
	b     []byte
	i     int
	depth int
	bad   bool
}

// maxScanDepth bounds the nesting the scanner follows (jsontext's bound is
// 10000); deeper answers go the typed way.
const maxScanDepth = 512

func (s *scan) fail() {
	s.bad = true
	s.i = len(s.b)
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the first byte of the next value (0 at the end).
func (s *scan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end reports whether only whitespace is left.
func (s *scan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// member moves to the next member of the object being read (its '{'
// consumed; first: no member read yet) and returns its name, without
// quotes, and whether it holds an escape; false at the object's end (its
// '}' consumed) or on bad text. The member's value must be read next.
func (s *scan) member(first bool) (name []byte, esc, ok bool) {
	if s.bad {
		return nil, false, false
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil, false, false
	}
	if !first {
		if s.i >= len(s.b) || s.b[s.i] != ',' {
			s.fail()
			return nil, false, false
		}
		s.i++
		s.ws()
	}
	v, flags := s.str()
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != ':' {
		s.fail()
		return nil, false, false
	}
	s.i++
	return v[1 : len(v)-1], flags&strEscaped != 0, true
}

// element reports whether another element of the array being read (its
// '[' consumed; first: none read yet) comes next; false at its end (its
// ']' consumed) or on bad text.
func (s *scan) element(first bool) bool {
	if s.bad {
		return false
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return false
	}
	if !first {
		if s.i >= len(s.b) || s.b[s.i] != ',' {
			s.fail()
			return false
		}
		s.i++
	}
	return true
}

// A string's flags: it holds an escape, or a byte beyond ASCII.
const (
	strEscaped = 1 << iota
	strHigh
)

// str reads the string at s and returns it as written, with its quotes,
// and its flags.
func (s *scan) str() (v []byte, flags uint8) {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		s.fail()
		return nil, 0
	}
	i := s.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			v, s.i = b[s.i:i+1], i+1
			return v, flags
		case c >= utf8.RuneSelf:
			flags |= strHigh
			i++
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				s.fail()
				return nil, 0
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					s.fail()
					return nil, 0
				}
				i += 6
			default:
				s.fail()
				return nil, 0
			}
		case c < ' ':
			s.fail()
			return nil, 0
		default:
			i++
		}
	}
	s.fail()
	return nil, 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// null reads the literal null.
func (s *scan) null() bool {
	s.literal("null")
	return !s.bad
}

func (s *scan) literal(lit string) {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		s.fail()
		return
	}
	s.i += len(lit)
}

// number reads a number as JSON writes them.
func (s *scan) number() {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		from := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > from
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		s.fail()
		return
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			s.fail()
			return
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			s.fail()
			return
		}
	}
	s.i = i
}

// skip reads the next value, whatever it is.
func (s *scan) skip() {
	switch s.peek() {
	case '{':
		if s.depth++; s.depth > maxScanDepth {
			s.fail()
			return
		}
		s.i++
		for first := true; ; first = false {
			if _, _, ok := s.member(first); !ok {
				break
			}
			s.skip()
		}
		s.depth--
	case '[':
		if s.depth++; s.depth > maxScanDepth {
			s.fail()
			return
		}
		s.i++
		for first := true; s.element(first); first = false {
			s.skip()
		}
		s.depth--
	case '"':
		s.str()
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s.number()
	default:
		s.fail()
	}
}

// value reads the next value and returns it as written (nil on bad text).
func (s *scan) value() []byte {
	s.ws()
	from := s.i
	s.skip()
	if s.bad {
		return nil
	}
	return s.b[from:s.i]
}

// named reads the members of the object being read (its '{' consumed) up
// to its end: the value of each one named name goes to read, the others
// are skipped. False on bad text, on an escaped name (left to the typed
// way) and when read says so.
func (s *scan) named(name string, read func() bool) bool {
	for first := true; ; first = false {
		n, esc, ok := s.member(first)
		switch {
		case !ok:
			return !s.bad
		case esc:
			return false
		case string(n) != name:
			s.skip()
		case !read():
			return false
		}
	}
}

// lookup finds a member's field by its name as written (without quotes
// or escapes): its exact name first (a plan has a few fields: comparing
// them costs less than hashing the name), then folded.
func (p *tPlan) lookup(name []byte) int {
	for i := range p.fields {
		if string(name) == p.fields[i].name {
			return i
		}
	}
	var buf [64]byte
	if i, ok := p.folded[string(appendFolded(buf[:0], name))]; ok {
		return i
	}
	return -1
}

type span struct{ from, to int }

// object reads the object (or null) at s and appends its compact form to
// *out, returning where it is; false: left to the typed way.
func (p *tPlan) object(s *scan, out *[]byte) (span, bool) {
	var spans [maxPlanFields]span
	var set [maxPlanFields]bool
	switch s.peek() {
	case 'n':
		if !s.null() {
			return span{}, false
		}
		return p.assemble(out, &spans, &set), true
	case '{':
		s.i++
	default:
		return span{}, false
	}
	for first := true; ; first = false {
		name, esc, ok := s.member(first)
		if !ok {
			break
		}
		if esc {
			return span{}, false // an escaped name: left to the typed way
		}
		i := p.lookup(name)
		if i < 0 {
			s.skip()
			continue
		}
		if set[i] {
			return span{}, false // named twice
		}
		f := &p.fields[i]
		from := len(*out)
		switch f.kind {
		case tString:
			switch s.peek() {
			case '"':
				v, flags := s.str()
				if s.bad {
					return span{}, false
				}
				if flags == 0 { // nothing to write otherwise
					*out = append(*out, v...)
					break
				}
				var err error
				if *out, err = appendString(*out, v); err != nil {
					return span{}, false
				}
			case 'n':
				if !s.null() {
					return span{}, false
				}
				continue
			default:
				return span{}, false
			}
		case tCount:
			v := s.value()
			n, err := strconv.Atoi(string(bytes.Trim(v, `"`)))
			if err != nil {
				continue // a count that is not one is left at zero
			}
			*out = strconv.AppendInt(*out, int64(n), 10)
		case tBool:
			switch s.peek() {
			case 't', 'f':
				*out = append(*out, s.value()...)
			case 'n':
				if !s.null() {
					return span{}, false
				}
				continue
			default:
				return span{}, false
			}
		case tTags:
			if !appendTags(s, out) {
				return span{}, false
			}
		case tObject, tViews:
			if s.peek() == 'n' { // a nil pointer, as if left out
				if !s.null() {
					return span{}, false
				}
				continue
			}
			if f.kind == tViews {
				if !f.sub.views(s, out) {
					return span{}, false
				}
				break
			}
			sp, ok := f.sub.object(s, out)
			if !ok {
				return span{}, false
			}
			spans[i], set[i] = sp, true
			continue
		}
		if s.bad {
			return span{}, false
		}
		spans[i], set[i] = span{from, len(*out)}, true
	}
	if s.bad {
		return span{}, false
	}
	return p.assemble(out, &spans, &set), true
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
func (p *tPlan) views(s *scan, out *[]byte) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	from := len(*out)
	*out = append(*out, '[')
	seen, null := false, false
	if !s.named("view", func() bool {
		if seen {
			return false
		}
		seen, null = true, s.peek() == 'n'
		return p.items(s, out)
	}) {
		return false
	}
	if null { // "view":null leaves the list nil
		*out = append((*out)[:from], "null"...)
	} else {
		*out = append(*out, ']')
	}
	return true
}

// items reads one item or a list of them (null: none) and appends them,
// separated by commas, each assembled then moved down over its pieces.
func (p *tPlan) items(s *scan, out *[]byte) bool {
	one := func(sep bool) bool {
		if sep {
			*out = append(*out, ',')
		}
		at := len(*out)
		sp, ok := p.object(s, out)
		if !ok {
			return false
		}
		n := copy((*out)[at:], (*out)[sp.from:sp.to])
		*out = (*out)[:at+n]
		return true
	}
	switch s.peek() {
	case 'n':
		return s.null()
	case '{':
		return one(false)
	case '[':
		s.i++
	default:
		return false
	}
	for i := 0; s.element(i == 0); i++ {
		if !one(i > 0) {
			return false
		}
	}
	return !s.bad
}

// appendTags reads Tableau's tags (as tagList does) and appends the labels
// as a list, or null when there are none.
func appendTags(s *scan, out *[]byte) bool {
	from := len(*out)
	*out = append(*out, '[')
	n := 0
	// tag reads {"label":"x"}; anything but an object is skipped.
	tag := func() bool {
		if s.peek() != '{' {
			s.skip()
			return !s.bad
		}
		s.i++
		return s.named("label", func() bool {
			if s.peek() != '"' {
				s.skip()
				return !s.bad
			}
			v, flags := s.str()
			if s.bad {
				return false
			}
			if n > 0 {
				*out = append(*out, ',')
			}
			n++
			if flags == 0 {
				*out = append(*out, v...)
				return true
			}
			var err error
			*out, err = appendString(*out, v)
			return err == nil
		})
	}
	if s.peek() != '{' {
		s.skip()
	} else {
		s.i++
		if !s.named("tag", func() bool {
			if s.peek() != '[' {
				return tag()
			}
			s.i++
			for i := 0; s.element(i == 0); i++ {
				if !tag() {
					return false
				}
			}
			return true
		}) {
			return false
		}
	}
	if s.bad {
		return false
	}
	if n == 0 {
		*out = append((*out)[:from], "null"...)
	} else {
		*out = append(*out, ']')
	}
	return true
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

// read reads the whole answer: an object and nothing after it but
// whitespace. Its members are read as listMembers reads them.
func (l *listTranscoder) read(s *scan) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	head := len(l.out)
	for first := true; ; first = false {
		name, esc, ok := s.member(first)
		if !ok {
			break
		}
		if esc {
			return false
		}
		switch string(name) {
		case "pagination":
			if l.pg, ok = readPage(s); !ok {
				return false
			}
		case l.sh.plural:
			if !l.collection(s, head) {
				return false
			}
		default:
			s.skip()
		}
	}
	return !s.bad && s.end()
}

// readPage reads the pagination as the typed way decodes it into a page:
// an object (or null) whose members are matched by name as a plain
// struct's are, each a count.
func readPage(s *scan) (*page, bool) {
	pg := &page{}
	switch s.peek() {
	case 'n':
		return pg, s.null()
	case '{':
		s.i++
	default:
		return nil, false
	}
	p := planOf(reflect.TypeFor[page]())
	if p == nil {
		return nil, false
	}
	for first := true; ; first = false {
		name, esc, ok := s.member(first)
		if !ok {
			break
		}
		if esc {
			return nil, false
		}
		i := p.lookup(name)
		v := s.value()
		n, err := strconv.Atoi(string(bytes.Trim(v, `"`)))
		if i < 0 || err != nil {
			continue // a count that is not one leaves the member as it was
		}
		switch i { // the fields of page, in their order
		case 0:
			pg.PageNumber = count(n)
		case 1:
			pg.PageSize = count(n)
		case 2:
			pg.TotalAvailable = count(n)
		}
	}
	return pg, !s.bad
}

// collection reads {"<singular>": items}; each time the items come they
// replace those before, as in the typed way.
func (l *listTranscoder) collection(s *scan, head int) bool {
	switch s.peek() {
	case 'n':
		return s.null()
	case '{':
		s.i++
	default:
		return false
	}
	return s.named(l.sh.singular, func() bool {
		l.out = l.out[:head]
		return l.p.items(s, &l.out)
	})
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
	if !l.read(&scan{b: raw}) {
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
