package render

// The renderer draws into a canvas of its own rather than an image.RGBA:
// it needs only two operations (an opaque rectangle and a glyph's coverage
// in a solid colour), and the standard image packages would cost every
// start of the server their package initialisation and their code, charts
// or not. The arithmetic below is image/draw's for the same operations
// (draw.Src with a uniform colour; draw.Over with a uniform opaque colour
// through an alpha mask), so the pixels are the same.

// colour is an opaque 8-bit RGB colour.
type colour struct{ R, G, B uint8 }

// point is a pixel position; rect is the pixels Min.X <= x < Max.X,
// Min.Y <= y < Max.Y.
type point struct{ X, Y int }

type rect struct{ Min, Max point }

// mkRect returns the rectangle with corners (x0, y0) and (x1, y1), swapping
// coordinates as needed so that Min is the top-left corner.
func mkRect(x0, y0, x1, y1 int) rect {
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	return rect{point{x0, y0}, point{x1, y1}}
}

func (r rect) Dx() int { return r.Max.X - r.Min.X }
func (r rect) Dy() int { return r.Max.Y - r.Min.Y }

func (r rect) empty() bool { return r.Min.X >= r.Max.X || r.Min.Y >= r.Max.Y }

// intersect returns the pixels in both r and s (empty when none).
func (r rect) intersect(s rect) rect {
	r.Min.X, r.Min.Y = max(r.Min.X, s.Min.X), max(r.Min.Y, s.Min.Y)
	r.Max.X, r.Max.Y = min(r.Max.X, s.Max.X), min(r.Max.Y, s.Max.Y)
	if r.empty() {
		return rect{}
	}
	return r
}

// canvas is an opaque picture: w x h pixels of three bytes (R, G, B), row by
// row from the top. Every pixel is opaque (it starts in a colour and is only
// ever painted with opaque colours), so no alpha is kept: a PNG's truecolour
// rows and a PDF's DeviceRGB samples are the same bytes.
type canvas struct {
	w, h int
	pix  []byte
}

// newCanvas returns a w x h canvas painted in bg.
func newCanvas(w, h int, bg colour) *canvas {
	c := &canvas{w: w, h: h, pix: make([]byte, 3*w*h)}
	c.fill(c.bounds(), bg)
	return c
}

func (c *canvas) bounds() rect { return rect{Max: point{c.w, c.h}} }

// fill paints the part of r inside the canvas in col.
func (c *canvas) fill(r rect, col colour) {
	r = r.intersect(c.bounds())
	if r.empty() {
		return
	}
	row := c.pix[3*(r.Min.Y*c.w+r.Min.X) : 3*(r.Min.Y*c.w+r.Max.X)]
	for i := 0; i < len(row); i += 3 {
		row[i], row[i+1], row[i+2] = col.R, col.G, col.B
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(c.pix[3*(y*c.w+r.Min.X):], row)
	}
}

// alphaMask is a coverage mask: w x h values, row by row, 0 (none) to 255
// (full).
type alphaMask struct {
	w, h int
	pix  []byte
}

// drawMask paints col over the canvas through mask m, whose top-left corner
// is at (x, y): each pixel moves from its colour towards col by the mask's
// coverage there (Porter-Duff "over" of col with alpha m). Parts of the mask
// outside the canvas are left out.
func (c *canvas) drawMask(x, y int, m *alphaMask, col colour) {
	dr := rect{point{x, y}, point{x + m.w, y + m.h}}
	r := dr.intersect(c.bounds())
	if r.empty() {
		return
	}
	// image/draw's arithmetic for a uniform source through an alpha mask:
	// colours and coverage widened to 16 bits (v * 0x101), the
	// destination weighted by (1 - coverage) and the colour by the
	// coverage, divided by 0xffff and narrowed by dropping the low byte.
	// With an opaque colour that is what image/draw computes exactly.
	const m16 = 0xffff
	sr, sg, sb := uint32(col.R)*0x101, uint32(col.G)*0x101, uint32(col.B)*0x101
	mx := r.Min.X - dr.Min.X
	for py := r.Min.Y; py < r.Max.Y; py++ {
		mrow := m.pix[(py-dr.Min.Y)*m.w+mx:][:r.Dx()]
		d := c.pix[3*(py*c.w+r.Min.X):][:3*r.Dx()]
		for i, ma := range mrow {
			if ma == 0 {
				continue
			}
			a16 := uint32(ma) * 0x101
			a := (m16 - a16) * 0x101
			p := d[3*i : 3*i+3 : 3*i+3]
			p[0] = uint8((uint32(p[0])*a + sr*a16) / m16 >> 8)
			p[1] = uint8((uint32(p[1])*a + sg*a16) / m16 >> 8)
			p[2] = uint8((uint32(p[2])*a + sb*a16) / m16 >> 8)
		}
	}
}
