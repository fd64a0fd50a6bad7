package render

import "math"

// coverage fills closed outlines made of straight and quadratic segments
// into an alpha mask, non-zero winding, each pixel's alpha being the area
// of the pixel the outline covers. It keeps, per pixel, the signed change of
// coverage that each edge brings at that pixel; a running sum along the
// buffer turns those changes into the covered area.
type coverage struct {
	w, h           int
	acc            []float64
	penX, penY     float32
	startX, startY float32
}

func (c *coverage) reset(w, h int) {
	c.w, c.h = w, h
	n := w*h + 3 // an edge at the right border spills up to two cells on
	if cap(c.acc) < n {
		c.acc = make([]float64, n)
	}
	c.acc = c.acc[:n]
	clear(c.acc)
	c.penX, c.penY, c.startX, c.startY = 0, 0, 0, 0
}

func (c *coverage) moveTo(x, y float32) {
	c.closePath()
	c.penX, c.penY, c.startX, c.startY = x, y, x, y
}

func (c *coverage) closePath() {
	if c.penX != c.startX || c.penY != c.startY {
		c.lineTo(c.startX, c.startY)
	}
}

// quadTo flattens the curve from the pen through control point (bx, by) to
// (cx, cy) into lines: more of them the further the control point pulls
// the curve from its chord. The split points are computed in float32 with
// the subdivision rule of Raph Levien's font-rs (n = 1 + ⌊(3·dev²)^¼⌋, no
// split under dev² of 1/3), which the Go fonts were drawn with before, so
// that a curve becomes the same polygon it always did.
func (c *coverage) quadTo(bx, by, cx, cy float32) {
	ax, ay := c.penX, c.penY
	dx, dy := ax-2*bx+cx, ay-2*by+cy
	if dev := dx*dx + dy*dy; dev >= 0.333 {
		n := 1 + int(math.Sqrt(math.Sqrt(3*float64(dev))))
		t, step := float32(0), 1/float32(n)
		for i := 0; i < n-1; i++ {
			t += step
			px, py := ax+t*(bx-ax), ay+t*(by-ay)
			qx, qy := bx+t*(cx-bx), by+t*(cy-by)
			c.lineTo(px+t*(qx-px), py+t*(qy-py))
		}
	}
	c.lineTo(cx, cy)
}

// lineTo adds the edge from the pen to (x, y). For each pixel row the edge
// crosses, the coverage change dy (signed by the edge's direction) is
// split between the cells the edge passes through, in proportion to the
// part of each cell left of the edge.
func (c *coverage) lineTo(x, y float32) {
	x0, y0, x1, y1 := float64(c.penX), float64(c.penY), float64(x), float64(y)
	c.penX, c.penY = x, y
	if y0 == y1 {
		return
	}
	dir := 1.0
	if y0 > y1 {
		dir = -1
		x0, y0, x1, y1 = x1, y1, x0, y0
	}
	dxdy := (x1 - x0) / (y1 - y0)
	cx := x0
	if y0 < 0 {
		cx -= y0 * dxdy
		y0 = 0
	}
	last := min(c.h, int(math.Ceil(y1)))
	for row := int(y0); row < last; row++ {
		top, bottom := math.Max(float64(row), y0), math.Min(float64(row+1), y1)
		dy := bottom - top
		nx := cx + dxdy*dy
		d := dy * dir
		line := c.acc[row*c.w:]
		lo, hi := math.Min(cx, nx), math.Max(cx, nx)
		lo = math.Max(lo, 0) // the outline never leaves its box, but rounding may
		hi = math.Max(hi, lo)
		loF := math.Floor(lo)
		loI, hiI := int(loF), int(math.Ceil(hi))
		if hiI <= loI+1 {
			// Within one cell: the cell gets the part left of the
			// edge's mean x, the next one the rest.
			mid := (lo+hi)/2 - loF
			line[loI] += d * (1 - mid)
			line[loI+1] += d * mid
		} else {
			// Across several cells: the covered area grows
			// quadratically in the first and last cell and linearly
			// in between.
			s := 1 / (hi - lo)
			f0 := lo - loF
			a0 := 0.5 * s * (1 - f0) * (1 - f0)
			f1 := hi - float64(hiI) + 1
			am := 0.5 * s * f1 * f1
			line[loI] += d * a0
			if hiI == loI+2 {
				line[loI+1] += d * (1 - a0 - am)
			} else {
				a1 := s * (1.5 - f0)
				line[loI+1] += d * (a1 - a0)
				for i := loI + 2; i < hiI-1; i++ {
					line[i] += d * s
				}
				a2 := a1 + float64(hiI-loI-3)*s
				line[hiI-1] += d * (1 - a2 - am)
			}
			line[hiI] += d * am
		}
		cx = nx
	}
}

// alpha closes the current outline and writes the covered area of each
// pixel into a new mask, 0..255 (rounded down from a 16-bit value).
func (c *coverage) alpha() *alphaMask {
	c.closePath()
	m := &alphaMask{w: c.w, h: c.h, pix: make([]byte, c.w*c.h)}
	sum := 0.0
	for i := range m.pix {
		sum += c.acc[i]
		a := math.Min(math.Abs(sum), 1)
		m.pix[i] = uint8(uint32(a*0xffff) >> 8)
	}
	return m
}
