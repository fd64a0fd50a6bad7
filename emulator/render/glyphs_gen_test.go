package render

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The chart renderer draws text from glyphs.bin, the outlines, advances and
// vertical metrics of the Go fonts, so that the font parser and rasterizer
// stay out of the server binary. TestGlyphData rebuilds that data from the
// fonts and fails when the file differs; UPDATE_GLYPHS=true rewrites it.

var goFonts = [2][]byte{fontRegular: goregular.TTF, fontBold: gobold.TTF}

// glyphTable returns the uncompressed content of glyphs.bin as the fonts
// produce it: every rune each font maps to a glyph, in rune order.
func glyphTable(t testing.TB) []byte {
	t.Helper()
	out := []byte("GLY1")
	out = binary.AppendUvarint(out, uint64(len(goFonts)))
	for fi, ttf := range goFonts {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		var b sfnt.Buffer
		upem := fixed.Int26_6(f.UnitsPerEm())
		// At a size of one font unit per 1/64 pixel, sfnt's numbers are
		// the font's own units.
		m, err := f.Metrics(&b, upem, font.HintingNone)
		if err != nil {
			t.Fatal(err)
		}
		var runes []rune
		var glyphs []sfnt.GlyphIndex
		for r := rune(0); r <= 0x10ffff; r++ {
			if x, err := f.GlyphIndex(&b, r); err == nil && x != 0 {
				runes = append(runes, r)
				glyphs = append(glyphs, x)
			}
		}
		// Kerning: font.Drawer adds Face.Kern between every two runes;
		// the Go fonts kern no pair, so the data records none.
		for x0 := range f.NumGlyphs() {
			for x1 := range f.NumGlyphs() {
				k, err := f.Kern(&b, sfnt.GlyphIndex(x0), sfnt.GlyphIndex(x1), upem, font.HintingFull)
				if err != nil || k != 0 {
					t.Fatalf("font %d kerns glyphs %d and %d by %v (%v); glyphs.bin has no kerning", fi, x0, x1, k, err)
				}
			}
		}
		out = binary.AppendUvarint(out, uint64(f.UnitsPerEm()))
		out = binary.AppendUvarint(out, uint64(m.Ascent))
		out = binary.AppendUvarint(out, uint64(m.Descent))
		out = binary.AppendUvarint(out, uint64(len(runes)+1))
		prev := rune(0)
		for i := -1; i < len(runes); i++ {
			x := sfnt.GlyphIndex(0)
			if i >= 0 {
				x = glyphs[i]
				out = binary.AppendUvarint(out, uint64(runes[i]-prev))
				prev = runes[i]
			}
			adv, err := f.GlyphAdvance(&b, x, upem, font.HintingNone)
			if err != nil {
				t.Fatal(err)
			}
			segs, err := f.LoadGlyph(&b, x, upem, nil)
			if err != nil {
				t.Fatal(err)
			}
			out = binary.AppendUvarint(out, uint64(adv))
			out = binary.AppendUvarint(out, uint64(len(segs)))
			px, py := fixed.Int26_6(0), fixed.Int26_6(0)
			for _, s := range segs {
				n := 1
				switch s.Op {
				case sfnt.SegmentOpMoveTo:
					out = append(out, segMove)
				case sfnt.SegmentOpLineTo:
					out = append(out, segLine)
				case sfnt.SegmentOpQuadTo:
					out, n = append(out, segQuad), 2
				default:
					t.Fatalf("font %d glyph %d has a segment of kind %d; glyphs.bin has lines and quadratics only", fi, x, s.Op)
				}
				for _, p := range s.Args[:n] {
					if p.X < -1<<15 || p.X >= 1<<15 || p.Y < -1<<15 || p.Y >= 1<<15 {
						t.Fatalf("font %d glyph %d: point %v out of int16 range", fi, x, p)
					}
					out = binary.AppendVarint(out, int64(p.X-px))
					out = binary.AppendVarint(out, int64(p.Y-py))
					px, py = p.X, p.Y
				}
			}
		}
	}
	return out
}

func TestGlyphData(t *testing.T) {
	want := glyphTable(t)
	if os.Getenv("UPDATE_GLYPHS") == "true" {
		var z bytes.Buffer
		zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(want)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("glyphs.bin", z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote glyphs.bin: %d bytes (%d uncompressed)", z.Len(), len(want))
		glyphData = z.Bytes()
	}
	zr, err := zlib.NewReader(bytes.NewReader(glyphData))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("glyphs.bin (%d bytes uncompressed) is not what the Go fonts give (%d bytes); run UPDATE_GLYPHS=true go test ./emulator/render/ -run TestGlyphData", len(got), len(want))
	}
	fonts, err := decodeGlyphs(glyphData)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range fonts {
		t.Log(fmt.Sprintf("font %d: %d runes", i, len(f.runes)))
	}
}

// TestDecodeGlyphsRefusesDamage: a cut or altered table is an error, never a
// panic or a half-read font.
func TestDecodeGlyphsRefusesDamage(t *testing.T) {
	raw := glyphTable(t)
	pack := func(b []byte) []byte {
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		zw.Write(b)
		zw.Close()
		return z.Bytes()
	}
	if _, err := decodeGlyphs(pack(raw)); err != nil {
		t.Fatalf("whole table: %v", err)
	}
	for _, n := range []int{0, 3, 4, 5, 9, 100, len(raw) / 3, len(raw) / 2, len(raw) - 1} {
		if _, err := decodeGlyphs(pack(raw[:n])); err == nil {
			t.Errorf("table cut to %d of %d bytes decoded without error", n, len(raw))
		}
	}
	if _, err := decodeGlyphs(glyphData[:len(glyphData)/2]); err == nil {
		t.Error("half of the compressed data decoded without error")
	}
	bad := bytes.Clone(raw)
	bad[0] = 'X'
	if _, err := decodeGlyphs(pack(bad)); err == nil {
		t.Error("a table without its signature decoded without error")
	}
	for i := 4; i < len(raw); i += 4999 { // any byte altered: no panic
		b := bytes.Clone(raw)
		b[i] ^= 0xff
		decodeGlyphs(pack(b))
	}
}
