package render

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// The renderer used golang.org/x/image (sfnt, opentype, vector) to draw chart
// text. The tests below keep that path as the reference: metrics, advances,
// glyph boxes and where text goes must be exactly the same; pixels must be
// within 1/255 of the same outlines filled by x/image's vector rasterizer in
// its floating-point mode.
//
// The former charts filled glyphs in vector's fixed-point mode (used for
// masks up to 512 pixels), which steps along an edge in 1/512 pixel and
// truncates every row's step, so a long slanted edge drifts by up to a few
// hundredths of a pixel by its end. The glyphs here are filled with exact
// areas; against the former fixed-point masks a pixel differs by up to
// maxFormerDiff, mostly on the slanted strokes of the largest titles.

type parsedFonts struct {
	face    [2]*opentype.Font
	outline [2]*sfnt.Font
}

var refFonts = sync.OnceValues(func() (parsedFonts, error) {
	var fs parsedFonts
	for i, ttf := range goFonts {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return fs, err
		}
		fs.face[i] = f
		if fs.outline[i], err = sfnt.Parse(ttf); err != nil {
			return fs, err
		}
	}
	return fs, nil
})

// refFace is the renderer's former text path: an opentype face at 72 DPI with
// full hinting, measured with font.MeasureString and drawn the way
// font.Drawer draws (kerning, glyph box and advance from the face). With
// precise set, each glyph's mask is the same outline filled in vector's
// floating-point mode instead of the face's fixed-point mask.
type refFace struct {
	f       font.Face
	sf      *sfnt.Font
	ppem    fixed.Int26_6
	precise bool
	masks   map[rune]*image.Alpha
	t       testing.TB
}

func newRefFace(t testing.TB, precise bool) newFace {
	fs, err := refFonts()
	if err != nil {
		t.Fatal(err)
	}
	return func(bold bool, size float64) textFace {
		i := fontRegular
		if bold {
			i = fontBold
		}
		face, err := opentype.NewFace(fs.face[i], &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			t.Fatal(err)
		}
		sf := fs.outline[i]
		// The scale opentype.NewFace computes: 1/64 pixel per em steps.
		ppem := fixed.Int26_6(0.5 + (size * 72 * 64 / 72))
		return &refFace{f: face, sf: sf, ppem: ppem, precise: precise, masks: map[rune]*image.Alpha{}, t: t}
	}
}

func (r *refFace) width(s string) int { return font.MeasureString(r.f, s).Ceil() }
func (r *refFace) ascent() int        { return r.f.Metrics().Ascent.Ceil() }
func (r *refFace) descent() int       { return r.f.Metrics().Descent.Ceil() }
func (r *refFace) draw(dst *canvas, x, y int, s string, c colour) {
	dot := fixed.P(x, y)
	prev := rune(-1)
	for _, ch := range s {
		if prev >= 0 {
			dot.X += r.f.Kern(prev, ch)
		}
		dr, mask, maskp, adv, _ := r.f.Glyph(dot, ch)
		if !dr.Empty() {
			if r.precise {
				mask, maskp = r.preciseMask(ch, dot, dr), image.Point{}
			}
			dst.drawMask(dr.Min.X, dr.Min.Y, maskOf(mask, image.Rectangle{Min: maskp, Max: maskp.Add(dr.Size())}), c)
		}
		dot.X += adv
		prev = ch
	}
}

// maskOf copies the alpha of m's pixels in r into a coverage mask.
func maskOf(m image.Image, r image.Rectangle) *alphaMask {
	a := &alphaMask{w: r.Dx(), h: r.Dy(), pix: make([]byte, r.Dx()*r.Dy())}
	for y := range a.h {
		for x := range a.w {
			a.pix[y*a.w+x] = color.AlphaModel.Convert(m.At(r.Min.X+x, r.Min.Y+y)).(color.Alpha).A
		}
	}
	return a
}

// preciseMask fills glyph ch for a glyph box dr at dot in vector's
// floating-point mode. Every dot in a chart is on a whole pixel (advances
// are rounded at full hinting and the fonts kern no pair), so one mask per
// rune serves every position.
func (r *refFace) preciseMask(ch rune, dot fixed.Point26_6, dr image.Rectangle) *image.Alpha {
	if dot.X&63 != 0 || dot.Y&63 != 0 {
		r.t.Fatalf("glyph %q drawn at %v, off the pixel grid", ch, dot)
	}
	if m, ok := r.masks[ch]; ok {
		return m
	}
	var b sfnt.Buffer
	x, _ := r.sf.GlyphIndex(&b, ch)
	segs, err := r.sf.LoadGlyph(&b, x, r.ppem, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	bias := dot.Sub(fixed.P(dr.Min.X, dr.Min.Y))
	canvas := fillFloating([]sfnt.Segments{segs}, []fixed.Point26_6{bias}, dr.Dx(), dr.Dy())
	m := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
	draw.Draw(m, m.Rect, canvas, image.Point{}, draw.Src)
	r.masks[ch] = m
	return m
}

// fillFloating fills outlines, each translated by its offset, into a mask of
// at least w x h pixels, wide enough for vector to use floating-point math.
func fillFloating(segs []sfnt.Segments, at []fixed.Point26_6, w, h int) *image.Alpha {
	const floatingWidth = 513 // vector switches to floating point above 512
	var z vector.Rasterizer
	z.Reset(max(w, floatingWidth), h)
	z.DrawOp = draw.Src
	for i, ss := range segs {
		o := at[i]
		p := func(q fixed.Point26_6) (float32, float32) {
			return float32(q.X+o.X) / 64, float32(q.Y+o.Y) / 64
		}
		for _, s := range ss {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				z.MoveTo(p(s.Args[0]))
			case sfnt.SegmentOpLineTo:
				z.LineTo(p(s.Args[0]))
			case sfnt.SegmentOpQuadTo:
				bx, by := p(s.Args[0])
				cx, cy := p(s.Args[1])
				z.QuadTo(bx, by, cx, cy)
			}
		}
		z.ClosePath()
	}
	m := image.NewAlpha(image.Rect(0, 0, max(w, floatingWidth), h))
	z.Draw(m, m.Rect, image.Opaque, image.Point{})
	return m
}

const (
	// maxPreciseDiff is the largest mask or colour difference against the
	// former path with floating-point fills: float32 against float64
	// arithmetic, one level at most.
	maxPreciseDiff = 1
	// maxFormerDiff bounds the difference against the former fixed-point
	// masks (measured: 46/255 at most, on the 96 point title's slanted
	// strokes); a glyph in a wrong place or of a wrong size differs by far
	// more.
	maxFormerDiff = 64
)

func newGlyphFace(bold bool, size float64) textFace { return glyphFonts.Get().face(bold, size) }

// sizes returns every size in 1/64 point steps from lo to hi.
func sizes(lo, hi float64) []float64 {
	var out []float64
	for s := lo; s <= hi; s += 1.0 / 64 {
		out = append(out, s)
	}
	return out
}

// sampleRunes are the characters the glyph comparison draws at every size:
// printable ASCII, Latin-1, the ellipsis the renderer shortens labels with,
// some common punctuation and symbols, Greek and Cyrillic, and runes the
// fonts lack.
func sampleRunes() []rune {
	var rs []rune
	for r := rune(0x20); r < 0x7f; r++ {
		rs = append(rs, r)
	}
	for r := rune(0xa0); r <= 0xff; r++ {
		rs = append(rs, r)
	}
	return append(rs, []rune("…–—‘’“”•€™ŒœŠšŸŽžĀāŁłΩλЖж\u202e\U0001F600中")...)
}

func TestGlyphMetricsMatchFonts(t *testing.T) {
	ref := newRefFace(t, false)
	check := func(bold bool, sz float64, runes []rune) {
		t.Helper()
		want := ref(bold, sz).(*refFace)
		got := newGlyphFace(bold, sz).(*glyphFace)
		if got.ascent() != want.ascent() || got.descent() != want.descent() {
			t.Fatalf("bold=%v size %v: ascent/descent %d/%d, want %d/%d", bold, sz, got.ascent(), got.descent(), want.ascent(), want.descent())
		}
		for _, r := range runes {
			wa, _ := want.f.GlyphAdvance(r)
			if ga := got.advance(got.f.index(r)); ga != int32(wa) {
				t.Fatalf("bold=%v size %v rune %U: advance %v, want %v", bold, sz, r, ga, wa)
			}
		}
		s := string(runes)
		if g, w := got.width(s), want.width(s); g != w {
			t.Fatalf("bold=%v size %v: text %d pixels wide, want %d", bold, sz, g, w)
		}
	}
	// Every size a chart can ask for, in the 1/64 point steps a face is
	// sized in: the smallest label is 7 points, the largest title 96 (24
	// points at four times the scale).
	for _, sz := range sizes(7, 96) {
		check(false, sz, sampleRunes())
		check(true, sz, sampleRunes())
	}
	// Every rune of the Basic Multilingual Plane at a few sizes.
	bmp := make([]rune, 0, 0x10000)
	for r := rune(0); r < 0x10000; r++ {
		bmp = append(bmp, r)
	}
	for _, sz := range []float64{7, 12, 14, 24, 96} {
		check(false, sz, bmp)
		check(true, sz, bmp)
	}
}

// TestGlyphMasksMatchFonts fills the sample runes at many sizes and compares
// each glyph's box with opentype's, its pixels with opentype's former
// fixed-point mask and, at the sizes of common chart sizes, with the same
// outline (as sfnt loads it at that size) filled by vector in
// floating-point mode.
func TestGlyphMasksMatchFonts(t *testing.T) {
	ref := newRefFace(t, false)
	// Half points up to 30, whole points from there to the largest
	// title.
	var sz []float64
	for s := 7.0; s < 30; s += 0.5 {
		sz = append(sz, s)
	}
	for s := 30.0; s <= 96; s++ {
		sz = append(sz, s)
	}
	// The text sizes of charts 240, 480, 600, 768, 1200 and 2400 pixels
	// high, and the smallest ones.
	precise := map[float64]bool{7: true, 8: true, 10: true}
	for _, px := range []float64{240, 480, 600, 768, 1200, 2400} {
		for _, base := range []float64{12, 14, 24} {
			precise[base*px/600] = true
		}
	}
	for s := range precise {
		sz = append(sz, s)
	}
	if testing.Short() {
		sz = []float64{7, 8.4, 12, 14, 24, 28, 48, 96}
	}
	worstPrecise, worstFormer, pixels, differFormer := 0, 0, 0, 0
	for _, bold := range []bool{false, true} {
		for _, size := range sz {
			want := ref(bold, size).(*refFace)
			got := newGlyphFace(bold, size).(*glyphFace)
			for _, r := range sampleRunes() {
				dot := fixed.P(100, 200)
				dr, fm, fp, _, _ := want.f.Glyph(dot, r)
				gm := got.mask(got.f.index(r))
				if dr.Empty() {
					if gm != nil {
						t.Fatalf("bold=%v size %v rune %U: drawn, want no pixels", bold, size, r)
					}
					continue
				}
				if gm == nil {
					t.Fatalf("bold=%v size %v rune %U: not drawn, want %v", bold, size, r, dr)
				}
				if gb := image.Rect(gm.at.X, gm.at.Y, gm.at.X+gm.alpha.w, gm.at.Y+gm.alpha.h).Add(image.Pt(100, 200)); gb != dr {
					t.Fatalf("bold=%v size %v rune %U: box %v, want %v", bold, size, r, gb, dr)
				}
				former := fm.(*image.Alpha)
				var pm *image.Alpha
				if precise[size] {
					pm = want.preciseMask(r, dot, dr)
				}
				for y := range dr.Dy() {
					for x := range dr.Dx() {
						g := int(gm.alpha.pix[y*gm.alpha.w+x])
						f := int(former.AlphaAt(fp.X+x, fp.Y+y).A)
						pixels++
						if g != f {
							differFormer++
						}
						worstFormer = max(worstFormer, abs(g-f))
						p := g
						if pm != nil {
							p = int(pm.AlphaAt(x, y).A)
							worstPrecise = max(worstPrecise, abs(g-p))
						}
						if abs(g-p) > maxPreciseDiff || abs(g-f) > maxFormerDiff {
							t.Fatalf("bold=%v size %v rune %U pixel (%d,%d): alpha %d, want %d (floating-point fill), former %d", bold, size, r, x, y, g, p, f)
						}
					}
				}
			}
		}
	}
	t.Logf("%d mask pixels: %d differ from the former masks, by at most %d/255; at most %d/255 from the floating-point fill", pixels, differFormer, worstFormer, worstPrecise)
}

func abs(x int) int { return max(x, -x) }

// chartCases are charts that exercise the text paths: both layouts, labels
// that fit, labels shortened with an ellipsis, accents, missing glyphs,
// negative values, many rows, and no data.
func chartCases() map[string]Chart {
	long := make([]string, 40)
	vals := make([]float64, 40)
	for i := range long {
		long[i] = fmt.Sprintf("Établissement numéro %d, Zürich–Genève (très long libellé)", i)
		vals[i] = float64(i*7919%1000) - 300
	}
	return map[string]Chart{
		"superstore": superstore,
		"accents": {Title: "Ventes par région — façade", Dimension: "Région", Measure: "SUM(Chiffre d'affaires)",
			Labels: []string{"Île-de-France", "Provence-Alpes-Côte d'Azur", "Bretagne", "Nouvelle-Aquitaine", "Ça, là ¿qué? ñ ß Ø æ µ ± ° ©"},
			Values: []float64{1.25e6, 830000, -42000.5, 12.75, 0.004}, Layout: LayoutVertical},
		"latin1": {Title: " ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
			Dimension: "ÀÉÎÕÜ", Measure: "àéîõü", Labels: []string{"ÆØÅ", "æøå", "ÞÐ", "þð", "«»", "¼½¾"},
			Values: []float64{1, 2, 3, 4, 5, 6}, Layout: LayoutHorizontal},
		"ascii": {Title: `!"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_` + "`abcdefghijklmnopqrstuvwxyz{|}~",
			Labels: []string{"Widgets", "Gadgets & Gizmos", "{braces}", "path/to|pipe"}, Values: []float64{3, 2, 1, -1}},
		"ellipsis": {Title: strings.Repeat("A title far too long for any chart width ", 8),
			Dimension: "Customer", Measure: "Profit", Labels: long, Values: vals},
		"vertical fit": {Dimension: "Sub-Category", Measure: "SUM(Profit)",
			Labels: []string{"Copiers and other office machines", "Tables", "Bookcases", "Art"},
			Values: []float64{55617.8, -17725.5, -3472.6, 6527.79}, Layout: LayoutVertical},
		"missing glyphs": {Title: "Sales 中文 😀 \u202e", Labels: []string{"Ωmega", "Жук", "中"}, Values: []float64{1, 2, 3}},
		"no data":        {Title: "Empty", Labels: []string{"a"}},
	}
}

var chartSizes = [][2]int{{100, 100}, {333, 500}, {640, 480}, {800, 600}, {1600, 1200}, {2401, 3000}}

func TestChartsMatchFormerRenderer(t *testing.T) {
	precise, former := newRefFace(t, true), newRefFace(t, false)
	sz := chartSizes
	if testing.Short() {
		sz = sz[2:4]
	}
	worstPrecise, worstFormer, differFormer, total := 0, 0, 0, 0
	for name, c := range chartCases() {
		for _, s := range sz {
			got := drawChart(c, s[0], s[1], newGlyphFace)
			want := drawChart(c, s[0], s[1], precise)
			old := drawChart(c, s[0], s[1], former)
			for i := range want.pix {
				g, p, f := int(got.pix[i]), int(want.pix[i]), int(old.pix[i])
				total++
				if g != f {
					differFormer++
				}
				worstPrecise = max(worstPrecise, abs(g-p))
				worstFormer = max(worstFormer, abs(g-f))
				if abs(g-p) > maxPreciseDiff || abs(g-f) > maxFormerDiff {
					x, y := (i/3)%s[0], (i/3)/s[0]
					t.Fatalf("%s %dx%d: pixel (%d,%d) channel %d is %d, want %d (floating-point fill), former %d", name, s[0], s[1], x, y, i%3, g, p, f)
				}
			}
		}
	}
	t.Logf("%d channel values: at most %d from the floating-point fill; %d differ from the former renderer, by at most %d", total, worstPrecise, differFormer, worstFormer)
}

// BenchmarkChart draws the same 800 x 600 chart with the former text path
// and the recorded glyphs, side by side.
func BenchmarkChart(b *testing.B) {
	for _, bc := range []struct {
		name string
		mk   newFace
	}{{"former", newRefFace(b, false)}, {"glyphs", newGlyphFace}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				drawChart(superstore, 800, 600, bc.mk)
			}
		})
	}
}

// BenchmarkChartText draws only the text of that chart, with new faces each
// time as every rendering makes them, with both paths side by side.
func BenchmarkChartText(b *testing.B) {
	img := newCanvas(800, 600, colBackground)
	text := []string{"Sales by Region", "Region", "SUM(Sales)", "Central", "East", "South", "West",
		"501,239.89", "678,781.24", "391,721.91", "725,457.82", "0", "200K", "400K", "600K", "800K"}
	for _, bc := range []struct {
		name string
		mk   newFace
	}{{"former", newRefFace(b, false)}, {"glyphs", newGlyphFace}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				fs := newFaces(800, 600, bc.mk)
				for i, s := range text {
					f := fs.small
					if i == 0 {
						f = fs.title
					}
					f.draw(img, 10, 20+i*30, s, colText)
					fs.label.width(s)
				}
			}
		})
	}
}
