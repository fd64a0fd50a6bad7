package render

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
)

// Chart text is drawn with the Go fonts (regular and bold) from the glyph
// outlines recorded in glyphs.bin, which glyphs_gen_test.go extracts from
// the fonts. Sizes are continuous (a chart's text grows with its pixel
// size), so outlines rather than bitmaps are recorded; each glyph is
// scaled and filled when a chart first needs it.
//
// The metrics follow the fonts' own rules at full hinting: advances are
// rounded to whole pixels, ascent and descent up to whole pixels, and
// the Go fonts kern no pair (the generator checks that too). A rune the
// fonts lack is drawn as the fonts' missing-glyph box, as before.
//
// glyphs.bin is zlib-compressed and holds unsigned and zigzag varints:
//
//	"GLY1" nfonts
//	per font: unitsPerEm ascent descent nglyphs
//	per glyph (the first is the missing glyph and has no rune):
//	  [rune - previous rune] advance nsegments
//	  per segment: op (0 move, 1 line, 2 quadratic) then one point
//	  (two for a quadratic) as x, y deltas from the previous point,
//	  in font units with y growing downwards
//
//go:embed glyphs.bin
var glyphData []byte

const (
	fontRegular = 0
	fontBold    = 1
)

const (
	segMove = 0
	segLine = 1
	segQuad = 2
)

// outline is one glyph: its segments are ops[op0:op1] of its font, their
// points pts[pt0:] (x, y pairs; a quadratic has two points).
type outline struct {
	advance  int32
	op0, op1 int32
	pt0      int32
}

type glyphFont struct {
	unitsPerEm      int32
	ascent, descent int32 // font units, both positive
	runes           []rune
	glyphs          []outline // glyphs[0] is the missing glyph; runes[i] is glyphs[i+1]
	ops             []byte
	pts             []int16
}

// index returns the glyph of r, or 0 (the missing glyph) if the font has none.
func (f *glyphFont) index(r rune) int {
	i := sort.Search(len(f.runes), func(i int) bool { return f.runes[i] >= r })
	if i < len(f.runes) && f.runes[i] == r {
		return i + 1
	}
	return 0
}

// glyphSet is the decoded glyphs.bin: the regular and the bold font.
type glyphSet struct {
	fonts []*glyphFont
	err   error
}

var glyphFonts = lazy.Value[glyphSet]{Build: func() glyphSet {
	fs, err := decodeGlyphs(glyphData)
	if err != nil {
		err = fmt.Errorf("render: glyph data: %w", err)
	}
	return glyphSet{fonts: fs, err: err}
}}

var errGlyphData = errors.New("truncated or malformed")

func decodeGlyphs(b []byte) ([]*glyphFont, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(raw, []byte("GLY1")) {
		return nil, errGlyphData
	}
	d := varintReader{b: raw[4:]}
	fonts := make([]*glyphFont, d.uint())
	for i := range fonts {
		f := &glyphFont{unitsPerEm: int32(d.uint()), ascent: int32(d.uint()), descent: int32(d.uint())}
		n := d.uint()
		if d.err != nil || n == 0 || n > 1<<16 {
			return nil, errGlyphData
		}
		f.glyphs = make([]outline, n)
		f.runes = make([]rune, n-1)
		prev := rune(0)
		for g := range f.glyphs {
			if g > 0 {
				prev += rune(d.uint())
				f.runes[g-1] = prev
			}
			o := &f.glyphs[g]
			o.advance = int32(d.uint())
			nseg := d.uint()
			if d.err != nil || nseg > 1<<12 {
				return nil, errGlyphData
			}
			o.op0, o.op1, o.pt0 = int32(len(f.ops)), int32(len(f.ops))+int32(nseg), int32(len(f.pts))
			x, y := int64(0), int64(0)
			for range nseg {
				op := byte(d.uint())
				np := 1
				switch op {
				case segMove, segLine:
				case segQuad:
					np = 2
				default:
					return nil, errGlyphData
				}
				f.ops = append(f.ops, op)
				for range np {
					x += d.int()
					y += d.int()
					f.pts = append(f.pts, int16(x), int16(y))
				}
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		f.ops, f.pts = slices.Clip(f.ops), slices.Clip(f.pts)
		fonts[i] = f
	}
	if d.err != nil || len(d.b) != 0 || len(fonts) != 2 {
		return nil, fmt.Errorf("%w (%d fonts, %d bytes left)", errGlyphData, len(fonts), len(d.b))
	}
	return fonts, nil
}

type varintReader struct {
	b   []byte
	err error
}

func (d *varintReader) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if !d.advance(n) {
		return 0
	}
	return v
}

func (d *varintReader) int() int64 {
	v, n := binary.Varint(d.b)
	if !d.advance(n) {
		return 0
	}
	return v
}

// advance drops the n bytes a varint took; n <= 0 (no varint there) fails
// the reader for good.
func (d *varintReader) advance(n int) bool {
	if n <= 0 {
		d.err = errGlyphData
		d.b = nil
		return false
	}
	d.b = d.b[n:]
	return true
}

// glyphFace is one font at one size. It keeps the glyphs it has filled, so
// it belongs to one rendering at a time.
type glyphFace struct {
	f     *glyphFont
	ppem  int32 // pixels per em, 26.6 fixed point
	masks map[int]*glyphMask
	cov   coverage
	pts   []int32 // a glyph's points at this size, reused
}

type glyphMask struct {
	at    point // top-left corner relative to the glyph origin
	alpha *alphaMask
}

// face sizes a font the way a 72 DPI face of size points is: one point is
// one pixel, in 1/64 pixel steps.
func (s glyphSet) face(bold bool, size float64) textFace {
	f := s.fonts[fontRegular]
	if bold {
		f = s.fonts[fontBold]
	}
	const dpi = 72
	return &glyphFace{f: f, ppem: int32(0.5 + (size * dpi * 64 / 72)), masks: map[int]*glyphMask{}}
}

// scale converts font units to 26.6 pixels, rounding half away from zero.
func (g *glyphFace) scale(v int32) int32 {
	x := v * g.ppem
	if x >= 0 {
		x += g.f.unitsPerEm / 2
	} else {
		x -= g.f.unitsPerEm / 2
	}
	return x / g.f.unitsPerEm
}

func ceil26(x int32) int { return int((x + 63) >> 6) }

func (g *glyphFace) ascent() int  { return ceil26((g.scale(g.f.ascent) + 63) &^ 63) }
func (g *glyphFace) descent() int { return ceil26((g.scale(g.f.descent) + 63) &^ 63) }

// advance is a glyph's advance in 26.6 pixels, rounded to a whole pixel.
func (g *glyphFace) advance(i int) int32 {
	return (g.scale(g.f.glyphs[i].advance) + 32) &^ 63
}

func (g *glyphFace) width(s string) int {
	w := int32(0)
	for _, r := range s {
		w += g.advance(g.f.index(r))
	}
	return ceil26(w)
}

// draw writes s in colour c with its baseline at y, starting at x. Every
// advance is a whole number of pixels, so a glyph's pixels do not depend
// on where it stands and each glyph is filled once per face.
func (g *glyphFace) draw(dst *canvas, x, y int, s string, c colour) {
	dot := int32(x) << 6
	for _, r := range s {
		i := g.f.index(r)
		if m := g.mask(i); m != nil {
			dst.drawMask(int(dot>>6)+m.at.X, y+m.at.Y, m.alpha, c)
		}
		dot += g.advance(i)
	}
}

// mask fills glyph i at this size, or returns nil for a glyph without
// outline (a space).
func (g *glyphFace) mask(i int) *glyphMask {
	if m, ok := g.masks[i]; ok {
		return m
	}
	o := &g.f.glyphs[i]
	ops := g.f.ops[o.op0:o.op1]
	var m *glyphMask
	if len(ops) > 0 {
		n := 0
		for _, op := range ops {
			n += 2
			if op == segQuad {
				n += 2
			}
		}
		src := g.f.pts[o.pt0 : int(o.pt0)+n]
		pts := g.pts[:0]
		pts = append(pts, make([]int32, n)...)
		g.pts = pts
		minX, minY, maxX, maxY := int32(1<<31-1), int32(1<<31-1), int32(-1<<31), int32(-1<<31)
		for j := 0; j < len(pts); j += 2 {
			px, py := g.scale(int32(src[j])), g.scale(int32(src[j+1]))
			pts[j], pts[j+1] = px, py
			minX, maxX = min(minX, px), max(maxX, px)
			minY, maxY = min(minY, py), max(maxY, py)
		}
		// The mask covers the control points' box in whole pixels.
		x0, y0 := minX>>6, minY>>6
		w, h := int((maxX+63)>>6-x0), int((maxY+63)>>6-y0)
		g.cov.reset(w, h)
		bx, by := x0<<6, y0<<6
		p := func(j int) (float32, float32) {
			return float32(pts[j]-bx) / 64, float32(pts[j+1]-by) / 64
		}
		j := 0
		for _, op := range ops {
			switch op {
			case segMove:
				g.cov.moveTo(p(j))
				j += 2
			case segLine:
				g.cov.lineTo(p(j))
				j += 2
			case segQuad:
				ax, ay := p(j)
				cx, cy := p(j + 2)
				g.cov.quadTo(ax, ay, cx, cy)
				j += 4
			}
		}
		if w > 0 && h > 0 {
			m = &glyphMask{at: point{int(x0), int(y0)}, alpha: g.cov.alpha()}
		}
	}
	g.masks[i] = m
	return m
}
