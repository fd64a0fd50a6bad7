// Package render produces real files from small tabular sample data: chart
// images (PNG), one-page PDFs, CSV, Excel workbooks and Tableau workbook and
// data source documents, so that the emulated binary endpoints return content
// that ordinary tools can open.
package render

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Layout chooses the direction of the bars.
type Layout int

const (
	// LayoutAuto picks vertical bars when the labels fit under them, horizontal otherwise.
	LayoutAuto Layout = iota
	// LayoutHorizontal draws one row per label with bars growing to the right.
	LayoutHorizontal
	// LayoutVertical draws one column per label with bars growing upwards.
	LayoutVertical
)

// Chart is the content of a simple bar chart: one bar per label.
type Chart struct {
	Title     string    // shown on top; defaults to "Measure by Dimension"
	Dimension string    // name of the category axis
	Measure   string    // name of the value axis
	Labels    []string  // category names, one per bar
	Values    []float64 // bar values; a missing, NaN or infinite value draws no bar
	Layout    Layout    // bar direction; zero value chooses automatically
}

// Default and limit sizes, in pixels, of a rendered chart.
const (
	DefaultWidth  = 800
	DefaultHeight = 600
	MinSize       = 100
	MaxSize       = 4000
)

var (
	colBackground = colour{0xff, 0xff, 0xff}
	colText       = colour{0x33, 0x33, 0x33}
	colMuted      = colour{0x6e, 0x6e, 0x6e}
	colGrid       = colour{0xe6, 0xe6, 0xe6}
	colAxis       = colour{0x99, 0x99, 0x99}
	colBar        = colour{0x4e, 0x79, 0xa7}
	colBarNeg     = colour{0xe1, 0x57, 0x59}
)

// ClampSize applies the default size to zero or negative values and keeps
// each side within MinSize..MaxSize.
func ClampSize(width, height int) (int, int) {
	return clampSide(width, DefaultWidth), clampSide(height, DefaultHeight)
}

func clampSide(v, def int) int {
	if v <= 0 {
		return def
	}
	return min(max(v, MinSize), MaxSize)
}

// PNG renders the chart as a PNG image of width x height pixels (800x600 when
// zero, each side clamped to 100..4000).
func PNG(c Chart, width, height int) ([]byte, error) {
	img, err := chartCanvas(c, width, height)
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}

// chartCanvas draws the chart with the recorded fonts, with the same size
// rules as PNG.
func chartCanvas(c Chart, width, height int) (*canvas, error) {
	gs := glyphFonts.Get()
	if gs.err != nil {
		return nil, gs.err
	}
	return drawChart(c, width, height, gs.face), nil
}

func drawChart(c Chart, width, height int, mk newFace) *canvas {
	width, height = ClampSize(width, height)
	img := newCanvas(width, height, colBackground)
	r := &renderer{img: img, f: newFaces(width, height, mk)}
	r.draw(prepare(c))
	return img
}

// ---------------------------------------------------------------- fonts

// textFace is one font at one size: how wide a string is, how far the font
// reaches above and below the baseline, and drawing a string on a baseline.
type textFace interface {
	width(s string) int
	ascent() int
	descent() int
	draw(dst *canvas, x, y int, s string, c colour)
}

// newFace makes a face of the regular or bold font of size points at 72 DPI.
type newFace func(bold bool, size float64) textFace

type faces struct {
	title, subtitle, label, bold, small textFace
}

// newFaces sizes the chart's text with the picture: the sizes below are
// for 600 pixels on the shorter side.
func newFaces(width, height int, mk newFace) *faces {
	s := float64(min(width, height)) / 600
	s = math.Max(0.4, math.Min(s, 4))
	size := func(base, lo float64) float64 { return math.Max(lo, base*s) }
	return &faces{
		title:    mk(true, size(24, 10)),
		subtitle: mk(false, size(14, 8)),
		label:    mk(false, size(14, 8)),
		bold:     mk(true, size(14, 8)),
		small:    mk(false, size(12, 7)),
	}
}

// ---------------------------------------------------------------- data

type bar struct {
	label string
	value float64
	ok    bool
}

type prepared struct {
	title, subtitle string
	dimension       string
	measure         string
	bars            []bar
	layout          Layout
}

func prepare(c Chart) prepared {
	p := prepared{
		dimension: clean(c.Dimension),
		measure:   clean(c.Measure),
		layout:    c.Layout,
	}
	if p.dimension == "" {
		p.dimension = "Category"
	}
	if p.measure == "" {
		p.measure = "Value"
	}
	p.title = clean(c.Title)
	by := p.measure + " by " + p.dimension
	if p.title == "" {
		p.title = by
	} else if !strings.EqualFold(p.title, by) {
		p.subtitle = by
	}
	n := max(len(c.Labels), len(c.Values))
	p.bars = make([]bar, n)
	for i := range n {
		b := bar{}
		if i < len(c.Labels) {
			b.label = clean(c.Labels[i])
		}
		if b.label == "" {
			b.label = "(blank)"
		}
		if i < len(c.Values) && !math.IsNaN(c.Values[i]) && !math.IsInf(c.Values[i], 0) {
			b.value, b.ok = c.Values[i], true
		}
		p.bars[i] = b
	}
	return p
}

// clean turns control characters into spaces and trims the result.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// ---------------------------------------------------------------- numbers

// FormatValue writes a number the way a value label shows it: thousands
// separators, at most two decimals, and a short form from a million upwards.
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return compact(v)
	case a == 0:
		return "0"
	case a < 0.01:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	if v == math.Trunc(v) {
		return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if strings.HasSuffix(s, ".00") { // rounds to a whole number
		s = trimZeros(s)
	}
	return groupThousands(s)
}

// compact writes 1500 as 1.5K, 2e6 as 2M and so on.
func compact(v float64) string {
	a := math.Abs(v)
	if a >= 1e15 {
		return strconv.FormatFloat(v, 'e', 2, 64)
	}
	units := []struct {
		div float64
		suf string
	}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}}
	for _, u := range units {
		if a >= u.div {
			s := trimZeros(strconv.FormatFloat(v/u.div, 'f', 2, 64))
			if math.Abs(v/u.div) >= 1000 {
				s = groupThousands(trimZeros(strconv.FormatFloat(v/u.div, 'f', 0, 64)))
			}
			return s + u.suf
		}
	}
	if a == 0 {
		return "0"
	}
	if a < 0.01 {
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
	return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// niceTicks returns evenly spaced round tick values covering lo..hi.
func niceTicks(lo, hi float64, want int) []float64 {
	if want < 2 {
		want = 2
	}
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi/2 - lo/2) / float64(want) * 2
	if math.IsInf(raw, 0) || math.IsNaN(raw) || raw == 0 {
		return []float64{lo, hi}
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag * 10
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step+1e-9) * step
	end := math.Ceil(hi/step-1e-9) * step
	if math.IsInf(start, 0) || math.IsInf(end, 0) {
		return []float64{lo, hi}
	}
	steps := math.Round((end/2 - start/2) / step * 2)
	if !(steps >= 1 && steps <= 100) {
		return []float64{lo, hi}
	}
	count := int(steps) + 1
	ticks := make([]float64, 0, count)
	for i := range count {
		t := start + float64(i)*step
		if math.Abs(t) < step*1e-9 {
			t = 0
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// ---------------------------------------------------------------- drawing

type renderer struct {
	img *canvas
	f   *faces
}

func fill(img *canvas, r rect, c colour) { img.fill(r, c) }

func textWidth(face textFace, s string) int { return face.width(s) }
func ascent(face textFace) int              { return face.ascent() }
func descent(face textFace) int             { return face.descent() }
func lineH(face textFace) int               { return ascent(face) + descent(face) }

// fit shortens s with an ellipsis until it is at most maxW pixels wide.
func fit(face textFace, s string, maxW int) string {
	if maxW <= 0 {
		return ""
	}
	if textWidth(face, s) <= maxW {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs)
	for lo < hi { // largest prefix that fits together with the ellipsis
		mid := (lo + hi + 1) / 2
		if textWidth(face, strings.TrimSpace(string(rs[:mid]))+"…") <= maxW {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		if textWidth(face, "…") <= maxW {
			return "…"
		}
		return ""
	}
	return strings.TrimSpace(string(rs[:lo])) + "…"
}

// text draws s with its baseline at y, starting at x.
func (r *renderer) text(face textFace, x, y int, s string, c colour) {
	if s == "" {
		return
	}
	face.draw(r.img, x, y, s, c)
}

func (r *renderer) textCentered(face textFace, cx, y int, s string, c colour) {
	r.text(face, cx-textWidth(face, s)/2, y, s, c)
}

func (r *renderer) textRight(face textFace, rx, y int, s string, c colour) {
	r.text(face, rx-textWidth(face, s), y, s, c)
}

func (r *renderer) draw(p prepared) {
	w, h := r.img.w, r.img.h
	m := max(6, min(w, h)/30)
	f := r.f

	// Title and subtitle.
	y := m + ascent(f.title)
	r.text(f.title, m, y, fit(f.title, p.title, w-2*m), colText)
	y += descent(f.title)
	shown := len(p.bars)
	top := y + m/2
	if p.subtitle != "" {
		top += lineH(f.subtitle)
	}
	area := mkRect(m, top+m/2, w-m, h-m)

	if len(p.bars) == 0 || !anyValue(p.bars) {
		r.subtitle(p, y, shown)
		msg := "No data"
		r.textCentered(f.label, (area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2, msg, colMuted)
		return
	}
	layout := p.layout
	if layout == LayoutAuto {
		layout = r.chooseLayout(p, area)
	}
	if layout == LayoutVertical {
		shown = r.vertical(p, area)
	} else {
		shown = r.horizontal(p, area)
	}
	r.subtitle(p, y, shown)
}

func (r *renderer) subtitle(p prepared, y, shown int) {
	f := r.f
	w := r.img.w
	m := max(6, min(w, r.img.h)/30)
	s := p.subtitle
	if shown < len(p.bars) {
		note := "showing " + strconv.Itoa(shown) + " of " + strconv.Itoa(len(p.bars))
		if s == "" {
			s = note
		} else {
			s += " (" + note + ")"
		}
	}
	if s == "" {
		return
	}
	r.text(f.subtitle, m, y+m/2+ascent(f.subtitle), fit(f.subtitle, s, w-2*m), colMuted)
}

func anyValue(bs []bar) bool {
	for _, b := range bs {
		if b.ok {
			return true
		}
	}
	return false
}

func valueRange(bs []bar) (lo, hi float64) {
	for _, b := range bs {
		if b.ok {
			lo, hi = math.Min(lo, b.value), math.Max(hi, b.value)
		}
	}
	return lo, hi
}

func (r *renderer) chooseLayout(p prepared, area rect) Layout {
	n := len(p.bars)
	if n > 12 {
		return LayoutHorizontal
	}
	slot := (area.Dx() - area.Dx()/8) / n
	for _, b := range p.bars {
		if textWidth(r.f.label, b.label) > slot-4 {
			return LayoutHorizontal
		}
	}
	return LayoutVertical
}

// axisScale maps a value onto pixels between p0 (for lo) and p1 (for hi).
type axisScale struct {
	lo, hi float64
	p0, p1 int
}

func (s axisScale) at(v float64) int {
	if s.hi == s.lo {
		return s.p0
	}
	// Halves keep the differences finite even for values near the float limit.
	frac := (v/2 - s.lo/2) / (s.hi/2 - s.lo/2)
	if math.IsNaN(frac) {
		frac = 0
	}
	frac = math.Max(-1, math.Min(frac, 2))
	return s.p0 + int(math.Round(frac*float64(s.p1-s.p0)))
}

// horizontal draws one row per bar and returns how many bars it drew.
func (r *renderer) horizontal(p prepared, area rect) int {
	f := r.f
	pad := max(3, lineH(f.small)/3)

	// Rows that fit: at least the label height plus a little room.
	header := lineH(f.bold) + pad
	footer := lineH(f.small) + pad + lineH(f.bold) + pad
	rowsH := area.Dy() - header - footer
	minRow := lineH(f.label) + 2
	shown := len(p.bars)
	if rowsH < minRow {
		rowsH = minRow
	}
	if shown*minRow > rowsH {
		shown = max(1, rowsH/minRow)
	}
	bars := p.bars[:shown]

	// Label column.
	labelW := textWidth(f.bold, p.dimension)
	for _, b := range bars {
		labelW = max(labelW, textWidth(f.label, b.label))
	}
	labelW = min(labelW, area.Dx()*35/100)
	lo, hi := valueRange(bars)
	ticks := niceTicks(lo, hi, max(2, min(8, area.Dx()/110)))
	lo, hi = ticks[0], ticks[len(ticks)-1]

	valW := 0
	for _, b := range bars {
		if b.ok {
			valW = max(valW, textWidth(f.small, FormatValue(b.value)))
		}
	}
	plotX0 := area.Min.X + labelW + 2*pad
	plotX1 := area.Max.X - textWidth(f.small, compact(hi))/2 - 1
	if hasSign(bars, 1) {
		plotX1 = min(plotX1, area.Max.X-valW-pad)
	}
	left := plotX0
	if hasSign(bars, -1) {
		left = plotX0 + valW + pad
	}
	if plotX1-left < 20 {
		plotX1 = left + 20
	}
	sc := axisScale{lo: lo, hi: hi, p0: left, p1: plotX1}
	rowTop := area.Min.Y + header
	rowBot := rowTop + rowsH
	rowH := float64(rowsH) / float64(shown)

	// Header over the label column.
	r.text(f.bold, area.Min.X, area.Min.Y+ascent(f.bold), fit(f.bold, p.dimension, labelW+pad), colText)

	// Gridlines and tick labels.
	for _, t := range ticks {
		x := sc.at(t)
		fill(r.img, mkRect(x, rowTop, x+1, rowBot), colGrid)
		r.textCentered(f.small, x, rowBot+pad+ascent(f.small), compact(t), colMuted)
	}
	zero := sc.at(0)

	thick := max(2, int(rowH*0.68))
	for i, b := range bars {
		cy := rowTop + int(rowH*float64(i)+rowH/2)
		lbl := fit(f.label, b.label, labelW)
		r.text(f.label, area.Min.X, cy+(ascent(f.label)-descent(f.label))/2, lbl, colText)
		if !b.ok {
			continue
		}
		x := sc.at(b.value)
		y0 := cy - thick/2
		col := colBar
		if b.value < 0 {
			col = colBarNeg
		}
		x0, x1 := min(zero, x), max(zero, x)
		if x1 == x0 && b.value != 0 {
			x1 = x0 + 1
		}
		fill(r.img, mkRect(x0, y0, x1, y0+thick), col)
		vs := FormatValue(b.value)
		ty := cy + (ascent(f.small)-descent(f.small))/2
		if b.value < 0 {
			r.textRight(f.small, x0-pad, ty, vs, colText)
		} else {
			r.text(f.small, x1+pad, ty, vs, colText)
		}
	}
	// Zero axis and measure title.
	fill(r.img, mkRect(zero, rowTop, zero+1, rowBot), colAxis)
	fill(r.img, mkRect(left, rowBot, plotX1+1, rowBot+1), colAxis)
	ty := rowBot + pad + lineH(f.small) + pad + ascent(f.bold)
	r.textCentered(f.bold, (left+plotX1)/2, ty, fit(f.bold, p.measure, plotX1-left), colText)
	return shown
}

func hasSign(bs []bar, sign int) bool {
	for _, b := range bs {
		if b.ok && ((sign > 0 && b.value >= 0) || (sign < 0 && b.value < 0)) {
			return true
		}
	}
	return false
}

// vertical draws one column per bar and returns how many bars it drew.
func (r *renderer) vertical(p prepared, area rect) int {
	f := r.f
	pad := max(3, lineH(f.small)/3)
	bars := p.bars
	lo, hi := valueRange(bars)
	ticks := niceTicks(lo, hi, max(2, min(8, area.Dy()/70)))
	lo, hi = ticks[0], ticks[len(ticks)-1]

	tickW := 0
	for _, t := range ticks {
		tickW = max(tickW, textWidth(f.small, compact(t)))
	}
	tickW = min(tickW, area.Dx()/4)
	header := lineH(f.bold) + pad
	footer := pad + lineH(f.label) + pad + lineH(f.bold)
	plotX0 := area.Min.X + tickW + pad
	plotX1 := area.Max.X
	plotY0 := area.Min.Y + header
	plotY1 := area.Max.Y - footer
	valH := lineH(f.small) + pad
	top := plotY0
	if hasSign(bars, 1) {
		top += valH
	}
	bottom := plotY1
	if hasSign(bars, -1) {
		bottom -= valH
	}
	if bottom-top < 20 {
		bottom = top + 20
	}
	sc := axisScale{lo: lo, hi: hi, p0: bottom, p1: top}

	// Measure name over the value axis.
	r.text(f.bold, area.Min.X, area.Min.Y+ascent(f.bold), fit(f.bold, p.measure, area.Dx()), colText)
	for _, t := range ticks {
		y := sc.at(t)
		fill(r.img, mkRect(plotX0, y, plotX1, y+1), colGrid)
		r.textRight(f.small, plotX0-pad, y+(ascent(f.small)-descent(f.small))/2, compact(t), colMuted)
	}
	zero := sc.at(0)
	n := len(bars)
	slot := float64(plotX1-plotX0) / float64(n)
	thick := max(2, int(slot*0.62))
	for i, b := range bars {
		cx := plotX0 + int(slot*float64(i)+slot/2)
		lbl := fit(f.label, b.label, int(slot)-4)
		r.textCentered(f.label, cx, plotY1+pad+ascent(f.label), lbl, colText)
		if !b.ok {
			continue
		}
		y := sc.at(b.value)
		col := colBar
		if b.value < 0 {
			col = colBarNeg
		}
		y0, y1 := min(zero, y), max(zero, y)
		if y0 == y1 && b.value != 0 {
			y0 = y1 - 1
		}
		fill(r.img, mkRect(cx-thick/2, y0, cx-thick/2+thick, y1), col)
		vs := fit(f.small, FormatValue(b.value), int(slot))
		if vs != FormatValue(b.value) {
			vs = fit(f.small, compact(b.value), int(slot))
		}
		if b.value < 0 {
			r.textCentered(f.small, cx, y1+pad+ascent(f.small), vs, colText)
		} else {
			r.textCentered(f.small, cx, y0-pad-descent(f.small), vs, colText)
		}
	}
	fill(r.img, mkRect(plotX0, zero, plotX1, zero+1), colAxis)
	fill(r.img, mkRect(plotX0, plotY0, plotX0+1, plotY1), colAxis)
	r.textCentered(f.bold, (plotX0+plotX1)/2, area.Max.Y-descent(f.bold), fit(f.bold, p.dimension, plotX1-plotX0), colText)
	return n
}
