package tools

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/mark3labs/mcp-go/mcp"
)

// Tableau's answers are read in one pass with the streaming decoder of
// github.com/go-json-experiment/json (the implementation that became
// encoding/json/v2, still behind an experiment flag in the standard
// library): a list's envelope is walked token by token and its items are
// decoded straight into the compact types, whose own readers (a list that
// may be a lone object, counts sent as strings, tags) read from the same
// decoder instead of receiving a copy of their text to scan again, as
// encoding/json's UnmarshalJSON does. Compared on a recorded answer of 12
// workbooks, it reads the answer in about a fifth of the time of
// encoding/json's streaming decoder and under half that of one
// json.Unmarshal into a typed envelope (see BenchmarkWorkbooksList).

// readOpts read Tableau's answers as encoding/json did: member names
// matched in any case, a repeated name taking the last value, invalid
// UTF-8 replaced rather than refused.
var readOpts = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	jsonv2.MatchCaseInsensitiveNames(true),
)

// writeOpts write compact results exactly as encoding/json (with HTML
// escaping off) did: omitempty leaves out false, 0 and nil as well as empty
// strings and lists, a nil list is null, U+2028 and U+2029 are escaped.
var writeOpts = jsonv2.JoinOptions(
	jsontext.AllowInvalidUTF8(true),
	jsontext.EscapeForJS(true),
	jsonv2.FormatNilSliceAsNull(true),
	jsonv2.FormatNilMapAsNull(true),
	jsonv1.OmitEmptyWithLegacySemantics(true),
)

// listAnswer reads {"pagination":{...},"<plural>":{"<singular>":[...]}},
// keeping only what T declares.
type listAnswer[T any] struct {
	sh    shape
	items []T
	pg    *page
}

func (l *listAnswer[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if err := openObject(dec); err != nil {
		return err
	}
	return listMembers(dec, l.sh.plural, &l.pg, func() error {
		if l.items == nil && l.pg != nil {
			l.items = make([]T, 0, l.pg.onThisPage())
		}
		return member(dec, l.sh.singular, (*oneOrMany[T])(&l.items))
	})
}

// listMembers reads the members of a list answer after its '{', up to and
// with its '}': the pagination into *pg, the collection (plural) with
// collection, and skips the others. The typed way and the transcoder
// both read an answer's envelope with it.
func listMembers(dec *jsontext.Decoder, plural string, pg **page, collection func() error) error {
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return err
		}
		switch key.String() {
		case "pagination":
			*pg = &page{}
			err = jsonv2.UnmarshalDecode(dec, *pg)
		case plural:
			err = collection()
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// onThisPage is how many items the page holds by its counts (Tableau sends
// them before the items), at most 1000, for the list to be made once.
func (p *page) onThisPage() int {
	size, number := int(p.PageSize), max(int(p.PageNumber), 1)
	n := min(int(p.TotalAvailable)-(number-1)*size, size)
	return min(max(n, 0), 1000)
}

// openObject reads the '{' that opens an object, or says what came instead.
func openObject(dec *jsontext.Decoder) error {
	k := dec.PeekKind()
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	if k != '{' {
		return fmt.Errorf("a JSON %v where an object was expected", k)
	}
	return nil
}

// member reads the object at the decoder, decoding its member name into
// out and skipping the others. Tableau answers an empty collection as {}
// (or leaves it out, or null), which leaves out untouched.
func member(dec *jsontext.Decoder, name string, out any) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	if err := openObject(dec); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		key, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if key.String() == name {
			err = jsonv2.UnmarshalDecode(dec, out)
		} else {
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// decodeList reads a list answer in one pass.
func decodeList[T any](raw []byte, sh shape) ([]T, *page, error) {
	l := listAnswer[T]{sh: sh}
	if err := jsonv2.Unmarshal(raw, &l, readOpts); err != nil {
		return nil, nil, err
	}
	if l.items == nil {
		l.items = []T{}
	}
	return l.items, l.pg, nil
}

// memberAnswer reads {"<key>":{...}}, the answer of a get method.
type memberAnswer[T any] struct {
	key string
	got *T
}

func (m *memberAnswer[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return member(dec, m.key, &m.got)
}

// decodeMember reads a get answer's item in one pass; nil when absent.
func decodeMember[T any](raw []byte, key string) (*T, error) {
	m := memberAnswer[T]{key: key}
	if err := jsonv2.Unmarshal(raw, &m, readOpts); err != nil {
		return nil, err
	}
	return m.got, nil
}

// oneOrMany reads a list Tableau may send as a single object, or as
// nothing at all when empty.
type oneOrMany[T any] []T

func (l *oneOrMany[T]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == '{' {
		var one T
		if err := jsonv2.UnmarshalDecode(dec, &one); err != nil {
			return err
		}
		*l = []T{one}
		return nil
	}
	return jsonv2.UnmarshalDecode(dec, (*[]T)(l))
}

func (l *oneOrMany[T]) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, l, readOpts) }

// tagList reads Tableau's {"tag":[{"label":"x"}]} and writes ["x"]; a lone
// tag may come as an object. Whatever else is there is left out, not fatal:
// it is read token by token, so that an unexpected form is skipped whole.
type tagList []string

func (t *tagList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return eachMember(dec, func(name jsontext.Token) error {
		if name.String() != "tag" {
			return dec.SkipValue()
		}
		if dec.PeekKind() != '[' {
			return t.readTag(dec)
		}
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := t.readTag(dec); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	})
}

// readTag reads {"label":"x"}.
func (t *tagList) readTag(dec *jsontext.Decoder) error {
	return eachMember(dec, func(name jsontext.Token) error {
		if name.String() != "label" || dec.PeekKind() != '"' {
			return dec.SkipValue()
		}
		label, err := dec.ReadToken()
		if err == nil {
			*t = append(*t, label.String())
		}
		return err
	})
}

// eachMember calls read with the name of each member of the object at the
// decoder, which must read or skip its value; anything but an object is
// skipped.
func eachMember(dec *jsontext.Decoder, read func(name jsontext.Token) error) error {
	if dec.PeekKind() != '{' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := read(name); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

func (t *tagList) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, t, readOpts) }

// count reads Tableau's counts, which travel as strings (or numbers); any
// other value leaves it at zero.
type count int

func (n *count) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if v, err := strconv.Atoi(string(bytes.Trim(raw, `"`))); err == nil {
		*n = count(v)
	}
	return nil
}

func (n *count) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, n, readOpts) }

// flag reads a boolean Tableau may send as a string ("true").
type flag bool

func (f *flag) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	*f = flag(string(bytes.Trim(raw, `"`)) == "true")
	return nil
}

func (f *flag) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, f, readOpts) }

// viewSet reads a workbook's {"view":[...]} and writes the array.
type viewSet []cView

func (v *viewSet) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*v = viewSet{}
	return member(dec, "view", (*oneOrMany[cView])(v))
}

func (v *viewSet) UnmarshalJSON(b []byte) error { return jsonv2.Unmarshal(b, v, readOpts) }

// listJSON writes {"<out>":[...],"page":{"number":n,"size":n,"total":n}}.
func listJSON[T any](out string, items []T, pg *page) (*mcp.CallToolResult, error) {
	for i := range items {
		if t, ok := any(&items[i]).(tidier); ok {
			t.tidy()
		}
	}
	return textResult(func(b *bytes.Buffer) error {
		b.WriteString(`{"`)
		b.WriteString(out)
		b.WriteString(`":`)
		if err := jsonv2.MarshalWrite(b, items, writeOpts); err != nil {
			return err
		}
		if pg != nil {
			b.WriteString(`,"page":{"number":`)
			b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(pg.PageNumber), 10))
			b.WriteString(`,"size":`)
			b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(pg.PageSize), 10))
			b.WriteString(`,"total":`)
			b.Write(strconv.AppendInt(b.AvailableBuffer(), int64(pg.TotalAvailable), 10))
			b.WriteByte('}')
		}
		return b.WriteByte('}')
	})
}

// memberJSON writes {"<key>":{...}}.
func memberJSON[T any](key string, item *T) (*mcp.CallToolResult, error) {
	return textResult(func(b *bytes.Buffer) error {
		b.WriteString(`{"`)
		b.WriteString(key)
		b.WriteString(`":`)
		if err := jsonv2.MarshalWrite(b, item, writeOpts); err != nil {
			return err
		}
		return b.WriteByte('}')
	})
}

// resultBufs hold the buffers results are encoded in: the encoder appends
// straight into one, and the text is copied out once, at its size.
var resultBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// textResult returns the text write puts in a buffer as the tool's result.
func textResult(write func(b *bytes.Buffer) error) (*mcp.CallToolResult, error) {
	b := resultBufs.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= 1<<20 { // a huge answer's buffer is not kept
			b.Reset()
			resultBufs.Put(b)
		}
	}()
	if err := write(b); err != nil {
		return nil, err
	}
	return mcp.NewToolResultText(b.String()), nil
}
