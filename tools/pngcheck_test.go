package tools

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/png"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/emulator/render"
)

// samplePNGs are images of every colour model image/png writes.
func samplePNGs(t testing.TB) map[string][]byte {
	r := image.Rect(0, 0, 13, 7)
	imgs := map[string]image.Image{
		"gray":     image.NewGray(r),
		"gray16":   image.NewGray16(r),
		"rgba":     image.NewRGBA(r),
		"nrgba64":  image.NewNRGBA64(r),
		"paletted": image.NewPaletted(r, palette.Plan9),
		"bilevel":  image.NewPaletted(r, color.Palette{color.Black, color.White}),
	}
	out := map[string][]byte{}
	for name, img := range imgs {
		if p, ok := img.(interface{ Set(int, int, color.Color) }); ok {
			for x := 0; x < 13; x++ {
				p.Set(x, x%7, color.RGBA{uint8(x * 19), 200, 30, 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		out[name] = b.Bytes()
	}
	out["interlaced"] = interlacedPNG(t, 5, 3)
	return out
}

// interlacedPNG writes an Adam7-interlaced 8-bit grey image by hand (the
// standard library only reads them), sized by the PNG specification's pass
// layout.
func interlacedPNG(t testing.TB, w, h uint32) []byte {
	var out bytes.Buffer
	out.Write(pngMagic)
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9], ihdr[12] = 8, 0, 1
	chunk("IHDR", ihdr)
	// 5×3 in Adam7: passes 1 (1×1), 2 (1×1), 3 (0 rows), 4 (2×1), 5 (0×...:
	// computed the long way, by listing which pixels each pass holds.
	var raw bytes.Buffer
	passes := [7][4]uint32{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
	for _, p := range passes {
		for y := p[1]; y < h; y += p[3] {
			var row []byte
			for x := p[0]; x < w; x += p[2] {
				row = append(row, byte(x*40+y))
			}
			if len(row) > 0 {
				raw.WriteByte(0)
				raw.Write(row)
			}
		}
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	if _, err := png.Decode(bytes.NewReader(out.Bytes())); err != nil {
		t.Fatalf("hand-made interlaced PNG does not decode: %v", err)
	}
	return out.Bytes()
}

func TestWholePNGsPassTheCheck(t *testing.T) {
	for name, b := range samplePNGs(t) {
		if err := checkPNG(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Every cut and every flipped byte is caught, as image/png itself would.
func TestTruncatedOrDamagedPNGsAreRefused(t *testing.T) {
	for name, b := range samplePNGs(t) {
		for n := 0; n < len(b); n++ {
			if err := checkPNG(bytes.NewReader(b[:n])); err == nil {
				t.Fatalf("%s cut to %d of %d bytes passed", name, n, len(b))
			}
		}
		for i := len(pngMagic); i < len(b); i++ {
			d := bytes.Clone(b)
			d[i] ^= 0x10
			if err := checkPNG(bytes.NewReader(d)); err == nil {
				t.Fatalf("%s with byte %d flipped passed", name, i)
			}
		}
	}
	b := samplePNGs(t)["rgba"]
	err := checkPNG(bytes.NewReader(b[:len(b)/2]))
	if err == nil || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("a PNG cut in half: %v", err)
	}
}

// FuzzCheckPNG holds checkPNG to image/png: what it accepts, the standard
// decoder decodes, and pngSize reads the size image/png reads. pngSize
// never panics, whatever the bytes.
func FuzzCheckPNG(f *testing.F) {
	for _, b := range samplePNGs(f) {
		f.Add(b)
	}
	for _, c := range chunkRuleCases() {
		f.Add(c.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		w, h, sizeErr := pngSize(b)
		if checkPNG(bytes.NewReader(b)) != nil {
			return
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("checkPNG accepted what image/png refuses: %v", err)
		}
		if sz := img.Bounds().Size(); sizeErr != nil || w != sz.X || h != sz.Y {
			t.Fatalf("pngSize %dx%d, %v; image/png decodes %v", w, h, sizeErr, sz)
		}
	})
}

func TestAPDFMustEndWithItsMarker(t *testing.T) {
	ok := []string{testPDF, strings.TrimSuffix(testPDF, "\n"), testPDF + "\r\n  \n"}
	bad := []string{
		testPDF[:len(testPDF)-8],                     // cut before the marker
		testPDF + "4 0 obj << /Type /Page >> endobj", // an update cut short after an earlier marker
		testPDF[:len(testPDF)-3],                     // the marker itself cut
	}
	for _, s := range ok {
		if err := verifyPDF(strings.NewReader(s), int64(len(s))); err != nil {
			t.Errorf("%q: %v", s[max(0, len(s)-20):], err)
		}
	}
	for _, s := range bad {
		if err := verifyPDF(strings.NewReader(s), int64(len(s))); err == nil || !strings.Contains(err.Error(), "%%EOF") {
			t.Errorf("%q passed: %v", s[max(0, len(s)-20):], err)
		}
	}
}

func TestAZipWhoseDirectoryIsCutIsRefused(t *testing.T) {
	z := testZip(t, "Book.twb")
	for _, n := range []int{len(z) - 1, len(z) - 22, len(z) / 2} {
		if err := verifyZip(bytes.NewReader(z[:n]), int64(n), ".twb"); err == nil || !strings.Contains(err.Error(), "does not open") {
			t.Errorf("zip cut to %d of %d bytes: %v", n, len(z), err)
		}
	}
}

// handPNG writes a PNG around raw scanlines, with correct checksums.
func handPNG(w, h uint32, depth, colour byte, raw []byte) []byte {
	var out bytes.Buffer
	out.Write(pngMagic)
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colour
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

func TestPNGsWhoseChecksumsHoldButWhosePixelsDoNotAreRefused(t *testing.T) {
	good := handPNG(2, 2, 8, 0, []byte{0, 1, 2, 4, 3, 4})
	if err := checkPNG(bytes.NewReader(good)); err != nil {
		t.Fatalf("a valid hand-made PNG: %v", err)
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"filter type 7":  {handPNG(2, 2, 8, 0, []byte{0, 1, 2, 7, 3, 4}), "filter type 7"},
		"a row short":    {handPNG(2, 2, 8, 0, []byte{0, 1, 2}), "pixel"},
		"a row too many": {handPNG(2, 2, 8, 0, []byte{0, 1, 2, 0, 3, 4, 0, 5, 6}), "more pixel data"},
		"depth 3":        {handPNG(2, 2, 3, 0, []byte{0, 1, 0, 1}), "not one of a valid image"},
		"RGB of depth 4": {handPNG(2, 2, 4, 2, []byte{0, 1, 2, 0, 3, 4}), "not one of a valid image"},
		"zero width":     {handPNG(0, 2, 8, 0, []byte{0, 0}), "not one of a valid image"},
	} {
		err := checkPNG(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %q", name, err, c.want)
		}
		if _, derr := png.Decode(bytes.NewReader(c.b)); derr == nil {
			t.Errorf("%s: image/png decodes it, so the case does not test damage", name)
		}
	}
}

// The emulated site's charts, written by the renderer's own encoder, pass
// the whole-file check, and pngSize reads the size they were asked for.
func TestRenderedChartsPassTheCheck(t *testing.T) {
	c := render.Chart{Title: "Sales by Region", Dimension: "Region", Measure: "SUM(Sales)",
		Labels: []string{"Central", "East", "South", "West"}, Values: []float64{501239.89, 678781.24, -391721.91, 725457.82}}
	for _, s := range [][2]int{{100, 100}, {800, 600}, {4000, 100}, {333, 999}} {
		b, err := render.PNG(c, s[0], s[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := checkPNG(bytes.NewReader(b)); err != nil {
			t.Errorf("%dx%d chart: %v", s[0], s[1], err)
		}
		if w, h, err := pngSize(b); err != nil || w != s[0] || h != s[1] {
			t.Errorf("pngSize of a %dx%d chart: %dx%d, %v", s[0], s[1], w, h, err)
		}
	}
}

// pngSize agrees with image/png's DecodeConfig on every kind of image, and
// says what is wrong with anything else.
func TestPNGSizeFromTheHeader(t *testing.T) {
	for name, b := range samplePNGs(t) {
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w, h, err := pngSize(b); err != nil || w != cfg.Width || h != cfg.Height {
			t.Errorf("%s: pngSize %dx%d, %v; DecodeConfig %dx%d", name, w, h, err, cfg.Width, cfg.Height)
		}
	}
	good := handPNG(2, 3, 8, 0, []byte{0, 1, 2, 0, 3, 4, 0, 5, 6})
	notIHDR := bytes.Clone(good)
	copy(notIHDR[12:16], "tEXt")
	zeroWide := handPNG(0, 3, 8, 0, nil)
	badDepth := handPNG(2, 3, 7, 2, nil)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "no PNG signature"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), "no PNG signature"},
		{"signature only", pngMagic, "ends after 8 bytes"},
		{"cut in the header", good[:28], "ends after 28 bytes"},
		{"other first chunk", notIHDR, "does not start with an IHDR chunk"},
		{"zero width", zeroWide, "not one of a valid image (0×3"},
		{"bad depth", badDepth, "depth 7"},
	} {
		w, h, err := pngSize(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %dx%d, error %v; want one saying %q", tc.name, w, h, err, tc.want)
		}
	}
	if w, h, err := pngSize(good[:29]); err != nil || w != 2 || h != 3 {
		t.Errorf("header alone: %dx%d, %v; want 2x3 (nothing past the header is read)", w, h, err)
	}
}

// pngOf writes a PNG of the given chunks (kind and data), with correct
// checksums.
func pngOf(chunks ...[2]string) []byte {
	out := bytes.NewBuffer(bytes.Clone(pngMagic))
	for _, c := range chunks {
		binary.Write(out, binary.BigEndian, uint32(len(c[1])))
		out.WriteString(c[0] + c[1])
		binary.Write(out, binary.BigEndian, crc32.ChecksumIEEE([]byte(c[0]+c[1])))
	}
	return out.Bytes()
}

func ihdrChunk(w, h uint32, depth, colour byte) [2]string {
	b := make([]byte, 13)
	binary.BigEndian.PutUint32(b, w)
	binary.BigEndian.PutUint32(b[4:], h)
	b[8], b[9] = depth, colour
	return [2]string{"IHDR", string(b)}
}

func idatChunk(raw ...byte) [2]string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	return [2]string{"IDAT", z.String()}
}

// chunkRuleCases are PNGs whose checksums and pixel data hold but whose
// palette, transparency or end chunk breaks a rule of the PNG
// specification that image/png enforces (it refuses every one), with what
// checkPNG's error must say.
func chunkRuleCases() []struct {
	name string
	b    []byte
	want string
} {
	grey, pal, rgb, rgba := ihdrChunk(2, 2, 8, 0), ihdrChunk(2, 2, 8, 3), ihdrChunk(2, 2, 8, 2), ihdrChunk(1, 1, 8, 6)
	pix := idatChunk(0, 0, 1, 0, 1, 0)
	rgbPix := idatChunk(0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6)
	plte := [2]string{"PLTE", "\x01\x02\x03\x04\x05\x06"}
	end := [2]string{"IEND", ""}
	return []struct {
		name string
		b    []byte
		want string
	}{
		{"palette image without PLTE", pngOf(pal, pix, end), "before the palette"},
		{"PLTE after the image data", pngOf(pal, pix, plte, end), "before the palette"},
		{"PLTE after the image data of an RGB image", pngOf(rgb, rgbPix, plte, end), "PLTE chunk) is out of place"},
		{"two PLTE", pngOf(pal, plte, plte, pix, end), "PLTE chunk) is out of place"},
		{"PLTE in a grey image", pngOf(grey, [2]string{"PLTE", "\x01\x02\x03"}, pix, end), "colour type 0 does not take"},
		{"PLTE of 4 bytes", pngOf(pal, [2]string{"PLTE", "\x01\x02\x03\x04"}, pix, end), "PLTE chunk) of 4 bytes"},
		{"empty PLTE", pngOf(pal, [2]string{"PLTE", ""}, pix, end), "PLTE chunk) of 0 bytes"},
		{"PLTE of 257 entries", pngOf(pal, [2]string{"PLTE", strings.Repeat("abc", 257)}, pix, end), "1 to 256 entries"},
		{"3 entries for depth 1", pngOf(ihdrChunk(2, 2, 1, 3), [2]string{"PLTE", "abcdefghi"}, idatChunk(0, 0, 0, 0), end), "1 to 2 entries"},
		{"tRNS before PLTE", pngOf(pal, [2]string{"tRNS", "\x00"}, plte, pix, end), "tRNS chunk) is out of place"},
		{"tRNS after the image data", pngOf(grey, pix, [2]string{"tRNS", "\x00\x01"}, end), "tRNS chunk) is out of place"},
		{"two tRNS", pngOf(grey, [2]string{"tRNS", "\x00\x01"}, [2]string{"tRNS", "\x00\x01"}, pix, end), "tRNS chunk) is out of place"},
		{"PLTE after tRNS", pngOf(rgb, [2]string{"tRNS", "\x00\x01\x00\x01\x00\x01"}, plte, rgbPix, end), "PLTE chunk) is out of place"},
		{"grey tRNS of 1 byte", pngOf(grey, [2]string{"tRNS", "\x01"}, pix, end), "tRNS chunk) of 1 bytes does not fit colour type 0"},
		{"RGB tRNS of 3 bytes", pngOf(rgb, [2]string{"tRNS", "\x01\x02\x03"}, rgbPix, end), "does not fit colour type 2"},
		{"tRNS with an alpha channel", pngOf(rgba, [2]string{"tRNS", "\x00\x01\x00\x01\x00\x01"}, idatChunk(0, 1, 2, 3, 4), end), "does not fit colour type 6"},
		{"empty tRNS with an alpha channel", pngOf(rgba, [2]string{"tRNS", ""}, idatChunk(0, 1, 2, 3, 4), end), "does not fit colour type 6"},
		{"257 palette alphas", pngOf(pal, plte, [2]string{"tRNS", strings.Repeat("a", 257)}, pix, end), "257 bytes"},
		{"IEND with data", pngOf(grey, pix, [2]string{"IEND", "x"}), "IEND chunk is not empty"},
	}
}

// Where the PNG specification puts the palette and transparency chunks,
// and how large it lets them be, is checked as image/png checks it: a file
// the check passes must decode.
func TestPNGChunkRules(t *testing.T) {
	for _, c := range chunkRuleCases() {
		err := checkPNG(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
		if _, derr := png.Decode(bytes.NewReader(c.b)); derr == nil {
			t.Errorf("%s: image/png decodes it, so the case does not test a broken rule", c.name)
		}
	}
	pal, rgb := ihdrChunk(2, 2, 8, 3), ihdrChunk(2, 2, 8, 2)
	pix := idatChunk(0, 0, 1, 0, 1, 0)
	rgbPix := idatChunk(0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6)
	plte := [2]string{"PLTE", "\x01\x02\x03\x04\x05\x06"}
	end := [2]string{"IEND", ""}
	for name, b := range map[string][]byte{
		"palette":                   pngOf(pal, plte, pix, end),
		"palette and alphas":        pngOf(pal, plte, [2]string{"tRNS", "\x00\x80"}, [2]string{"tEXt", "k\x00v"}, pix, end),
		"256 entries":               pngOf(pal, [2]string{"PLTE", strings.Repeat("abc", 256)}, [2]string{"tRNS", strings.Repeat("a", 256)}, pix, end),
		"2 entries for depth 1":     pngOf(ihdrChunk(2, 2, 1, 3), [2]string{"PLTE", "abcdef"}, idatChunk(0, 0, 0, 0), end),
		"RGB with a suggested PLTE": pngOf(rgb, plte, [2]string{"tRNS", "\x00\x01\x00\x01\x00\x01"}, rgbPix, end),
		"grey with a transparent":   pngOf(ihdrChunk(2, 2, 8, 0), [2]string{"tRNS", "\x00\x01"}, pix, end),
		"RGB16 with a transparent":  pngOf(ihdrChunk(1, 1, 16, 2), [2]string{"tRNS", "\x00\x01\x00\x01\x00\x01"}, idatChunk(0, 1, 2, 3, 4, 5, 6), end),
	} {
		if err := checkPNG(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: image/png refuses it too (%v), so the case is not a valid file", name, err)
		}
	}
}
