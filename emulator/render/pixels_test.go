package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"os"
	"sort"
	"strings"
	"testing"
)

// pixelCases are the charts whose decoded pixels are pinned in goldenPixels:
// both layouts, negative values, long labels, no data and the smallest and
// largest sizes.
func pixelCases() map[string]struct {
	c    Chart
	w, h int
} {
	type sized = struct {
		c    Chart
		w, h int
	}
	cases := map[string]sized{}
	for name, c := range chartCases() {
		for _, s := range [][2]int{{100, 100}, {640, 480}} {
			cases[fmt.Sprintf("%s %dx%d", name, s[0], s[1])] = sized{c, s[0], s[1]}
		}
	}
	vertical, horizontal := superstore, superstore
	vertical.Layout, horizontal.Layout = LayoutVertical, LayoutHorizontal
	negative := Chart{Title: "Profit by Sub-Category", Dimension: "Sub-Category", Measure: "SUM(Profit)",
		Labels: []string{"Copiers", "Tables", "Bookcases", "Supplies", "Art"},
		Values: []float64{55617.82, -17725.48, -3472.56, -1189.1, 6527.79}}
	allNegative := Chart{Labels: []string{"a", "b", "c"}, Values: []float64{-1, -2.5, -1e7}, Layout: LayoutVertical}
	for name, c := range map[string]Chart{"vertical": vertical, "horizontal": horizontal,
		"negative": negative, "all negative": allNegative, "ellipsis": chartCases()["ellipsis"]} {
		for _, s := range [][2]int{{0, 0}, {1600, 1200}, {4000, 100}, {100, 4000}, {333, 999}} {
			cases[fmt.Sprintf("%s %dx%d", name, s[0], s[1])] = sized{c, s[0], s[1]}
		}
	}
	cases["superstore 4000x4000"] = sized{superstore, 4000, 4000}
	return cases
}

// pixelHash decodes a PNG and hashes its size and its pixels as 8-bit RGBA.
func pixelHash(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	var pix []byte
	switch m := img.(type) {
	case *image.RGBA:
		pix = m.Pix
	case *image.NRGBA:
		pix = m.Pix
	default:
		t.Fatalf("decoded as %T", img)
	}
	for i := 3; i < len(pix); i += 4 {
		if pix[i] != 0xff {
			t.Fatalf("pixel %d is not opaque: alpha %d", i/4, pix[i])
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "%dx%d\n", img.Bounds().Dx(), img.Bounds().Dy())
	h.Write(pix)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// TestPixelsUnchanged renders each case and compares its decoded pixels with
// the hashes recorded from the renderer that drew with image/draw and
// encoded with image/png, before both were replaced.
func TestPixelsUnchanged(t *testing.T) {
	cases := pixelCases()
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	var rec strings.Builder
	for _, n := range names {
		if testing.Short() && strings.Contains(n, "4000x4000") {
			continue
		}
		pc := cases[n]
		b, err := PNG(pc.c, pc.w, pc.h)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		got := pixelHash(t, b)
		fmt.Fprintf(&rec, "\t%q: %q,\n", n, got)
		want, ok := goldenPixels[n]
		if !ok {
			t.Errorf("%s: no recorded hash (got %s)", n, got)
		} else if got != want {
			t.Errorf("%s: pixels hash %s, recorded %s", n, got, want)
		}
	}
	if f := os.Getenv("RECORD_PIXELS"); f != "" {
		if err := os.WriteFile(f, []byte(rec.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goldenPixels holds, per case, the first 24 hex digits of the SHA-256 of
// "WxH\n" and the decoded RGBA pixels, recorded with image/draw and
// image/png (RECORD_PIXELS=file go test -run TestPixelsUnchanged writes
// the current values to file).
var goldenPixels = map[string]string{
	"accents 100x100":        "2d58c43ba2abbc3d9c90ee71",
	"accents 640x480":        "d6438405da25bbaadeeabf0c",
	"all negative 0x0":       "d9e8e66076510fcae36b36a7",
	"all negative 100x4000":  "b8e72dddc64a3ffa9f4a332a",
	"all negative 1600x1200": "544dd62626b48fc27af0a30c",
	"all negative 333x999":   "f8822f9402c575880ad3b0b6",
	"all negative 4000x100":  "e5efc053f49aec3dc34f0243",
	"ascii 100x100":          "284240c69ff46e19a35d2aae",
	"ascii 640x480":          "901126034c30daac7ccf616a",
	"ellipsis 0x0":           "2cb4aa5ed7940392750ce584",
	"ellipsis 100x100":       "34b1f516daa632c9ad217784",
	"ellipsis 100x4000":      "e72f028e9f62db8124894e4c",
	"ellipsis 1600x1200":     "ee4034b8b7284905fc0a29bf",
	"ellipsis 333x999":       "e2706fd1d7bf44df25230af5",
	"ellipsis 4000x100":      "935200b235df34c5c08de2f8",
	"ellipsis 640x480":       "3951c99099215cd933ff5eda",
	"horizontal 0x0":         "8de8898519408248f2de37f8",
	"horizontal 100x4000":    "ab7ca7b1450d8c5d4ebffcff",
	"horizontal 1600x1200":   "8a99fe8a68c684a63c27e39f",
	"horizontal 333x999":     "bed76a99ef8e40aeac017d0f",
	"horizontal 4000x100":    "b94c29887f473c4c5470db2b",
	"latin1 100x100":         "786eea56211d94005ae86158",
	"latin1 640x480":         "e0c921d1b7dcb48f8e06c77d",
	"missing glyphs 100x100": "189a992cae90931bf5d57052",
	"missing glyphs 640x480": "90fe224c410ef9de0943fcc0",
	"negative 0x0":           "12eacc117e110641c6fe0921",
	"negative 100x4000":      "2fa72002d74870f948e0202c",
	"negative 1600x1200":     "d99dc280ed67c6ded10a830a",
	"negative 333x999":       "048a00ba76145ea490fb3c0d",
	"negative 4000x100":      "27d23cdcf6acfb7c5ac1620f",
	"no data 100x100":        "b59544a482d60ec853aaa2c8",
	"no data 640x480":        "d12821a19eb58801db0c6c5a",
	"superstore 100x100":     "16d612a5fc3453dcc9541611",
	"superstore 4000x4000":   "3268670e3809ef3bec9a5443",
	"superstore 640x480":     "8227951c0c58647f13a6f72c",
	"vertical 0x0":           "9f6a4da2007537cdf06b3254",
	"vertical 100x4000":      "f226cd353c5e726f13bb21bd",
	"vertical 1600x1200":     "f06212de7506c8c770fe9e38",
	"vertical 333x999":       "fecba9f5e8868d2f5058bb9c",
	"vertical 4000x100":      "6f0f5249ca4e3573d913cb9c",
	"vertical fit 100x100":   "1e6d77e0d42c59f0003f8125",
	"vertical fit 640x480":   "dd3e0356e618efa9e04ed2e3",
}

// TestPDFUnchanged compares whole documents with hashes recorded from the
// former renderer: the page, the deflated pixels and the trailer are written
// as they were, so the bytes are the same.
func TestPDFUnchanged(t *testing.T) {
	for _, tc := range []struct {
		c                Chart
		typ, orientation string
		want             string
	}{
		{superstore, "letter", "portrait", "f612939c45a846cd1ca46bbb"},
		{chartCases()["accents"], "a5", "landscape", "a083b71693302a9caa880e21"},
		{chartCases()["ellipsis"], "tabloid", "portrait", "cb305386c2d185e6a06cb4e4"},
	} {
		b, err := PDF(tc.c, tc.typ, tc.orientation)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:])[:24]; got != tc.want {
			t.Errorf("%s %s: PDF hash %s, recorded %s", tc.typ, tc.orientation, got, tc.want)
		}
	}
}
