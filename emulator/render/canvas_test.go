package render

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"testing"
)

// rgbaOf copies a canvas into an image.RGBA, opaque.
func rgbaOf(c *canvas) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	for i := range c.w * c.h {
		copy(img.Pix[4*i:], c.pix[3*i:3*i+3])
		img.Pix[4*i+3] = 0xff
	}
	return img
}

func (c colour) rgba() color.RGBA { return color.RGBA{c.R, c.G, c.B, 0xff} }

// sameAsRGBA reports the first pixel where a canvas and an image.RGBA differ.
func sameAsRGBA(c *canvas, img *image.RGBA) error {
	for i := range c.w * c.h {
		p, q := c.pix[3*i:3*i+3], img.Pix[4*i:4*i+4]
		if p[0] != q[0] || p[1] != q[1] || p[2] != q[2] || q[3] != 0xff {
			return fmt.Errorf("pixel (%d,%d) is %v, image/draw made %v", i%c.w, i/c.w, p, q)
		}
	}
	return nil
}

// TestCanvasMatchesImageDraw paints the same random rectangles and masks on
// a canvas and, with image/draw (draw.Src for rectangles, draw.Over through
// an image.Alpha for masks), on an image.RGBA, and compares every pixel after
// every step: rectangles given corner first or last, partly or wholly off
// the picture, masks with every coverage value and off every edge.
func TestCanvasMatchesImageDraw(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	randColour := func() colour {
		return colour{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))}
	}
	for _, sz := range [][2]int{{1, 1}, {7, 3}, {64, 48}, {130, 17}} {
		w, h := sz[0], sz[1]
		bg := randColour()
		c := newCanvas(w, h, bg)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), &image.Uniform{C: bg.rgba()}, image.Point{}, draw.Src)
		if err := sameAsRGBA(c, img); err != nil {
			t.Fatalf("%dx%d new canvas: %v", w, h, err)
		}
		coord := func(n int) int { return rng.IntN(n+20) - 10 }
		for step := range 400 {
			col := randColour()
			if step%2 == 0 {
				x0, y0, x1, y1 := coord(w), coord(h), coord(w), coord(h)
				c.fill(mkRect(x0, y0, x1, y1), col)
				draw.Draw(img, image.Rect(x0, y0, x1, y1).Intersect(img.Bounds()), &image.Uniform{C: col.rgba()}, image.Point{}, draw.Src)
			} else {
				mw, mh := 1+rng.IntN(w+5), 1+rng.IntN(h+5)
				m := &alphaMask{w: mw, h: mh, pix: make([]byte, mw*mh)}
				am := image.NewAlpha(image.Rect(0, 0, mw, mh))
				for i := range m.pix {
					v := uint8(rng.IntN(256))
					if rng.IntN(4) == 0 {
						v = []uint8{0, 255}[rng.IntN(2)]
					}
					m.pix[i], am.Pix[i] = v, v
				}
				x, y := coord(w), coord(h)
				c.drawMask(x, y, m, col)
				draw.DrawMask(img, image.Rect(x, y, x+mw, y+mh), &image.Uniform{C: col.rgba()}, image.Point{}, am, image.Point{}, draw.Over)
			}
			if err := sameAsRGBA(c, img); err != nil {
				t.Fatalf("%dx%d step %d: %v", w, h, step, err)
			}
		}
	}
}

// TestMaskOverEveryValue composites every coverage value of every colour
// level over every background level and compares with image/draw.
func TestMaskOverEveryValue(t *testing.T) {
	m := &alphaMask{w: 256, h: 1, pix: make([]byte, 256)}
	am := image.NewAlpha(image.Rect(0, 0, 256, 1))
	for i := range 256 {
		m.pix[i], am.Pix[i] = uint8(i), uint8(i)
	}
	for bg := range 256 {
		for fg := 0; fg < 256; fg += 5 {
			b, f := colour{uint8(bg), uint8(255 - bg), uint8(bg / 2)}, colour{uint8(fg), uint8(bg), uint8(255 - fg)}
			c := newCanvas(256, 1, b)
			c.drawMask(0, 0, m, f)
			img := rgbaOf(newCanvas(256, 1, b))
			draw.DrawMask(img, img.Bounds(), &image.Uniform{C: f.rgba()}, image.Point{}, am, image.Point{}, draw.Over)
			if err := sameAsRGBA(c, img); err != nil {
				t.Fatalf("colour %v over %v: %v", f, b, err)
			}
		}
	}
}

// noiseCanvas makes pictures that exercise every filter: flat areas,
// gradients in both directions, and noise.
func noiseCanvas(w, h int, seed uint64) *canvas {
	rng := rand.New(rand.NewPCG(seed, 2))
	c := newCanvas(w, h, colour{0xff, 0xff, 0xff})
	for y := range h {
		for x := range w {
			p := c.pix[3*(y*w+x):]
			switch (x / 5) % 4 {
			case 0: // flat
			case 1:
				p[0], p[1], p[2] = uint8(x*3), uint8(y*5), uint8(x+y)
			case 2:
				p[0], p[1], p[2] = uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))
			case 3:
				p[0], p[1], p[2] = uint8(y*7), uint8(255-y), uint8(x*y)
			}
		}
	}
	return c
}

// TestEncodePNGMatchesImagePNG encodes charts and synthetic pictures and
// compares with image/png's encoding of the same pixels: the bytes are the
// same (same filters, compression and chunking), and image/png decodes our
// file back to the canvas's pixels.
func TestEncodePNGMatchesImagePNG(t *testing.T) {
	cases := map[string]*canvas{}
	for _, s := range [][2]int{{1, 1}, {1, 9}, {2, 2}, {3, 40}, {97, 61}, {400, 300}} {
		cases[fmt.Sprintf("noise %dx%d", s[0], s[1])] = noiseCanvas(s[0], s[1], uint64(s[0]))
	}
	for name, c := range map[string]Chart{"superstore": superstore, "ellipsis": chartCases()["ellipsis"], "no data": chartCases()["no data"]} {
		for _, s := range [][2]int{{100, 100}, {800, 600}, {1600, 1200}} {
			cv, err := chartCanvas(c, s[0], s[1])
			if err != nil {
				t.Fatal(err)
			}
			cases[fmt.Sprintf("%s %dx%d", name, s[0], s[1])] = cv
		}
	}
	for name, c := range cases {
		got, err := encodePNG(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var want bytes.Buffer
		if err := png.Encode(&want, rgbaOf(c)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: %d bytes, image/png writes %d (first difference at byte %d)", name, len(got), want.Len(), firstDiff(got, want.Bytes()))
		}
		img, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%s: png.Decode: %v", name, err)
		}
		rgba, ok := img.(*image.RGBA)
		if !ok {
			t.Fatalf("%s: decoded as %T", name, img)
		}
		if rgba.Bounds() != image.Rect(0, 0, c.w, c.h) {
			t.Fatalf("%s: decoded %v", name, rgba.Bounds())
		}
		if err := sameAsRGBA(c, rgba); err != nil {
			t.Errorf("%s: decoded %v", name, err)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestPNGIDATChunksAreBounded checks the file's chunk sequence for a picture
// whose compressed data needs several IDAT chunks.
func TestPNGIDATChunksAreBounded(t *testing.T) {
	b, err := encodePNG(noiseCanvas(600, 400, 7))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for rest := b[8:]; len(rest) >= 12; {
		n := int(uint32(rest[0])<<24 | uint32(rest[1])<<16 | uint32(rest[2])<<8 | uint32(rest[3]))
		kinds = append(kinds, fmt.Sprintf("%s:%d", rest[4:8], n))
		if string(rest[4:8]) == "IDAT" && n > 1<<15 {
			t.Errorf("IDAT chunk of %d bytes", n)
		}
		rest = rest[12+n:]
	}
	if len(kinds) < 4 || kinds[0] != "IHDR:13" || kinds[len(kinds)-1] != "IEND:0" {
		t.Errorf("chunks %v, want IHDR, several IDAT, IEND", kinds)
	}
}

// BenchmarkEncodePNG encodes one default-size chart with our encoder and
// with image/png, side by side.
func BenchmarkEncodePNG(b *testing.B) {
	c, err := chartCanvas(superstore, 800, 600)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("own", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodePNG(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	img := rgbaOf(c)
	b.Run("image-png", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzEncodePNG holds the encoder to image/png on pictures made of the
// fuzzer's bytes: the same file, and it decodes to the canvas.
func FuzzEncodePNG(f *testing.F) {
	f.Add(uint8(1), uint8(1), []byte{0, 0, 0})
	f.Add(uint8(5), uint8(3), []byte("\xff\x00\x80 gradients and noise \x01\x02\x03"))
	f.Add(uint8(40), uint8(9), bytes.Repeat([]byte{0x4e, 0x79, 0xa7, 0xff, 0xff, 0xff}, 7))
	f.Fuzz(func(t *testing.T, w, h uint8, data []byte) {
		if w == 0 || h == 0 || len(data) == 0 {
			return
		}
		c := newCanvas(int(w), int(h), colour{})
		for i := range c.pix {
			c.pix[i] = data[i%len(data)] + uint8(i/len(data))
		}
		got, err := encodePNG(c)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := png.Encode(&want, rgbaOf(c)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%dx%d: bytes differ from image/png's at %d", w, h, firstDiff(got, want.Bytes()))
		}
		img, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		if err := sameAsRGBA(c, img.(*image.RGBA)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestIDATSplitAtExactly32KiB encodes two noise pictures whose compressed
// data is exactly one and exactly two 32 KiB IDAT chunks (found by search
// with this seed): no empty chunk follows, the bytes are image/png's, and
// the file decodes. Should compress/flate compress them differently, the
// sizes check says so and the pictures need choosing again.
func TestIDATSplitAtExactly32KiB(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		sizes string
	}{{76, 143, "[32768]"}, {132, 165, "[32768 32768]"}} {
		rng := rand.New(rand.NewPCG(uint64(c.w), uint64(c.h)))
		cv := newCanvas(c.w, c.h, colour{})
		for i := range cv.pix {
			cv.pix[i] = uint8(rng.IntN(256))
		}
		got, err := encodePNG(cv)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for rest := got[8:]; len(rest) >= 12; {
			n := int(uint32(rest[0])<<24 | uint32(rest[1])<<16 | uint32(rest[2])<<8 | uint32(rest[3]))
			if string(rest[4:8]) == "IDAT" {
				sizes = append(sizes, n)
			}
			rest = rest[12+n:]
		}
		if fmt.Sprint(sizes) != c.sizes {
			t.Errorf("%dx%d: IDAT chunks of %v bytes, want %s", c.w, c.h, sizes, c.sizes)
		}
		var want bytes.Buffer
		if err := png.Encode(&want, rgbaOf(cv)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%dx%d: bytes differ from image/png's at %d", c.w, c.h, firstDiff(got, want.Bytes()))
		}
		img, err := png.Decode(bytes.NewReader(got))
		if err != nil {
			t.Fatalf("%dx%d: %v", c.w, c.h, err)
		}
		if err := sameAsRGBA(cv, img.(*image.RGBA)); err != nil {
			t.Errorf("%dx%d: %v", c.w, c.h, err)
		}
	}
}
