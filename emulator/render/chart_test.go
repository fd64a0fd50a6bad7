package render

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"sort"
	"sync"
	"testing"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("missing PNG signature: % x", b[:min(8, len(b))])
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	return img
}

func rgb(c color.Color) [3]uint8 {
	r, g, b, _ := c.RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

func countColour(img image.Image, want colour) int {
	n := 0
	b := img.Bounds()
	w := [3]uint8{want.R, want.G, want.B}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if rgb(img.At(x, y)) == w {
				n++
			}
		}
	}
	return n
}

func distinctColours(img image.Image) int {
	seen := map[[3]uint8]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[rgb(img.At(x, y))] = true
		}
	}
	return len(seen)
}

func TestPNGSizes(t *testing.T) {
	cases := []struct {
		w, h, wantW, wantH int
	}{
		{0, 0, 800, 600},
		{1024, 768, 1024, 768},
		{-5, 300, 800, 300},
		{10, 20, 100, 100},
		{5000, 150, 4000, 150},
		{1600, 1200, 1600, 1200}, // a high-resolution request doubles the pixel size
	}
	for _, tc := range cases {
		b, err := PNG(superstore, tc.w, tc.h)
		if err != nil {
			t.Fatalf("PNG(%d,%d): %v", tc.w, tc.h, err)
		}
		img := decodePNG(t, b)
		if got := img.Bounds().Size(); got.X != tc.wantW || got.Y != tc.wantH {
			t.Errorf("PNG(%d,%d) size = %v, want %dx%d", tc.w, tc.h, got, tc.wantW, tc.wantH)
		}
	}
}

func TestPNGIsNotBlank(t *testing.T) {
	for _, layout := range []Layout{LayoutAuto, LayoutHorizontal, LayoutVertical} {
		c := superstore
		c.Layout = layout
		b, err := PNG(c, 800, 600)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, b)
		if n := distinctColours(img); n < 10 {
			t.Errorf("layout %d: only %d distinct colours; expected text, grid and bars", layout, n)
		}
		// Four bars of at least a few percent of the picture each.
		if n := countColour(img, colBar); n < 800*600/20 {
			t.Errorf("layout %d: %d bar pixels, want a visible bar chart", layout, n)
		}
		// The title sits on top: dark pixels in the top tenth of the image.
		dark := 0
		for y := 0; y < 60; y++ {
			for x := 0; x < 800; x++ {
				c := rgb(img.At(x, y))
				if c[0] < 0x80 && c[1] < 0x80 && c[2] < 0x80 {
					dark++
				}
			}
		}
		if dark < 200 {
			t.Errorf("layout %d: %d dark pixels in the top band, want a title", layout, dark)
		}
	}
}

// barRuns finds bars of colour want along rows (horizontal chart) and returns
// their lengths in pixels, top to bottom.
func barLengths(img image.Image, want colour) []int {
	b := img.Bounds()
	w := [3]uint8{want.R, want.G, want.B}
	var lengths []int
	inBar := false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if rgb(img.At(x, y)) == w {
				n++
			}
		}
		switch {
		case n > 0 && !inBar:
			lengths = append(lengths, n)
			inBar = true
		case n == 0:
			inBar = false
		}
	}
	return lengths
}

func TestBarLengthsFollowValues(t *testing.T) {
	c := Chart{Title: "Quantity by Segment", Dimension: "Segment", Measure: "SUM(Quantity)",
		Labels: []string{"Consumer", "Corporate", "Home Office"}, Values: []float64{1000, 500, 250}, Layout: LayoutHorizontal}
	b, err := PNG(c, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	l := barLengths(decodePNG(t, b), colBar)
	if len(l) != 3 {
		t.Fatalf("found %d bars, want 3: %v", len(l), l)
	}
	for i, v := range c.Values {
		got := float64(l[i]) / float64(l[0])
		if want := v / c.Values[0]; math.Abs(got-want) > 0.02 {
			t.Errorf("bar %d is %.3f of the first, want %.3f (lengths %v)", i, got, want, l)
		}
	}
}

func TestNegativeValuesDrawnInOtherColour(t *testing.T) {
	c := Chart{Dimension: "Sub-Category", Measure: "SUM(Profit)",
		Labels: []string{"Copiers", "Tables", "Bookcases"}, Values: []float64{55617.8, -17725.5, -3472.6}}
	for _, layout := range []Layout{LayoutHorizontal, LayoutVertical} {
		c.Layout = layout
		b, err := PNG(c, 640, 480)
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, b)
		if countColour(img, colBarNeg) == 0 || countColour(img, colBar) == 0 {
			t.Errorf("layout %d: want both positive and negative bar colours", layout)
		}
	}
}

func TestPNGOddInput(t *testing.T) {
	long := make([]string, 500)
	vals := make([]float64, 500)
	for i := range long {
		long[i] = "A rather long customer name that will not fit " + string(rune('A'+i%26))
		vals[i] = float64(i*37%101) - 20
	}
	cases := map[string]Chart{
		"empty":      {},
		"no values":  {Labels: []string{"a", "b"}},
		"all zero":   {Labels: []string{"a", "b"}, Values: []float64{0, 0}},
		"nan inf":    {Labels: []string{"a", "b", "c"}, Values: []float64{math.NaN(), math.Inf(1), 3}},
		"mismatch":   {Labels: []string{"a"}, Values: []float64{1, 2, 3}},
		"many":       {Title: "Many", Labels: long, Values: vals},
		"tiny range": {Labels: []string{"a", "b"}, Values: []float64{1e-9, 2e-9}},
		"huge":       {Labels: []string{"a", "b"}, Values: []float64{1e300, -1e300}},
		"limits":     {Labels: []string{"a", "b"}, Values: []float64{math.MaxFloat64, -math.MaxFloat64}},
		"subnormal":  {Labels: []string{"a"}, Values: []float64{5e-324}},
		"control":    {Title: "a\x00b\nc", Labels: []string{"\t", "\u202e x"}, Values: []float64{1, 2}},
	}
	for name, c := range cases {
		for _, size := range [][2]int{{100, 100}, {800, 600}} {
			b, err := PNG(c, size[0], size[1])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			decodePNG(t, b)
		}
	}
}

func TestManyBarsShowsWhatFits(t *testing.T) {
	labels := make([]string, 300)
	vals := make([]float64, 300)
	for i := range labels {
		labels[i] = "Item"
		vals[i] = float64(i + 1)
	}
	b, err := PNG(Chart{Labels: labels, Values: vals}, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	n := len(barLengths(decodePNG(t, b), colBar))
	if n < 10 || n >= 300 {
		t.Errorf("drew %d separate bars, want the first rows that fit", n)
	}
}

func TestRenderConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := PNG(superstore, 300, 200); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestFormatValue(t *testing.T) {
	cases := map[float64]string{
		0:           "0",
		1000:        "1,000",
		-1189.1:     "-1,189.10",
		501239.89:   "501,239.89",
		12.5:        "12.50",
		999.999:     "1,000",
		1234567:     "1.23M",
		-2500000000: "-2.5B",
		0.005:       "0.005",
	}
	for v, want := range cases {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
	if got := compact(250000); got != "250K" {
		t.Errorf("compact(250000) = %q", got)
	}
}

func TestNiceTicksCoverRange(t *testing.T) {
	cases := [][2]float64{{-math.MaxFloat64, math.MaxFloat64}, {0, 725457.82}, {-17725, 55617}, {0, 1}, {0, 0}, {0, 3e-9}, {-5, 0}}
	for _, c := range cases {
		ticks := niceTicks(c[0], c[1], 6)
		if len(ticks) < 2 || len(ticks) > 20 {
			t.Errorf("niceTicks(%v) gave %d ticks", c, len(ticks))
			continue
		}
		if !sort.Float64sAreSorted(ticks) || ticks[0] > c[0] || ticks[len(ticks)-1] < c[1] {
			t.Errorf("niceTicks(%v) = %v does not cover the range", c, ticks)
		}
	}
}

func BenchmarkPNG(b *testing.B) {
	for b.Loop() {
		if _, err := PNG(superstore, 800, 600); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNGHighResolution(b *testing.B) {
	for b.Loop() {
		if _, err := PNG(superstore, 1600, 1200); err != nil {
			b.Fatal(err)
		}
	}
}
