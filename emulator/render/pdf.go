package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"math"
	"strings"
	"unicode/utf16"
)

// pageSizes holds each sheet's short and long side in PostScript points
// (1/72 inch). Metric sheets are rounded to whole points. B4 and B5 are the
// JIS sizes used by Windows printer drivers. Ledger and tabloid are the same
// 11 x 17 inch sheet; the orientation argument decides which side is across.
var pageSizes = lazy.Value[map[string][2]float64]{Build: func() map[string][2]float64 {
	return map[string][2]float64{
		"a3":          {842, 1191}, // 297 x 420 mm
		"a4":          {595, 842},  // 210 x 297 mm
		"a5":          {420, 595},  // 148 x 210 mm
		"b4":          {729, 1032}, // 257 x 364 mm
		"b5":          {516, 729},  // 182 x 257 mm
		"executive":   {522, 756},  // 7.25 x 10.5 in
		"folio":       {612, 936},  // 8.5 x 13 in
		"ledger":      {792, 1224}, // 11 x 17 in
		"legal":       {612, 1008}, // 8.5 x 14 in
		"letter":      {612, 792},  // 8.5 x 11 in
		"note":        {612, 792},  // 8.5 x 11 in
		"quarto":      {610, 780},  // 215 x 275 mm
		"tabloid":     {792, 1224}, // 11 x 17 in
		"unspecified": {612, 792},  // same as letter
	}

}}

// PageTypes lists the accepted page types in alphabetical order.
var PageTypes = []string{"a3", "a4", "a5", "b4", "b5", "executive", "folio", "ledger", "legal", "letter", "note", "quarto", "tabloid", "unspecified"}

// PageSize returns the width and height in points of a page type
// (case-insensitive; empty means unspecified, which is letter) in an
// orientation ("portrait", "landscape", or empty for portrait).
func PageSize(pageType, orientation string) (width, height float64, err error) {
	pt := strings.ToLower(strings.TrimSpace(pageType))
	if pt == "" {
		pt = "unspecified"
	}
	sz, ok := pageSizes.Get()[pt]
	if !ok {
		return 0, 0, fmt.Errorf("render: unknown page type %q (want one of %s)", pageType, strings.Join(PageTypes, ", "))
	}
	switch strings.ToLower(strings.TrimSpace(orientation)) {
	case "", "portrait":
		return sz[0], sz[1], nil
	case "landscape":
		return sz[1], sz[0], nil
	}
	return 0, 0, fmt.Errorf("render: unknown orientation %q (want portrait or landscape)", orientation)
}

// pdfPixelsPerPoint is the resolution of the chart image inside a PDF: two
// pixels per point, that is 144 dpi.
const pdfPixelsPerPoint = 2

// PDF renders the chart on one page of the given type and orientation and
// returns a PDF 1.4 document. The chart is an image filling the page inside a
// half-inch margin.
func PDF(c Chart, pageType, orientation string) ([]byte, error) {
	pw, ph, err := PageSize(pageType, orientation)
	if err != nil {
		return nil, err
	}
	const margin = 36.0
	iw, ih := pw-2*margin, ph-2*margin
	px := int(math.Round(iw * pdfPixelsPerPoint))
	py := int(math.Round(ih * pdfPixelsPerPoint))
	img, err := chartCanvas(c, px, py)
	if err != nil {
		return nil, err
	}
	w, h := img.w, img.h

	// The canvas's pixels are the image's RGB samples, row by row; deflated.
	var pix bytes.Buffer
	zw, err := zlib.NewWriterLevel(&pix, zlib.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(img.pix); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	content := fmt.Sprintf("q\n%s 0 0 %s %s %s cm\n/Im1 Do\nQ\n", num(iw), num(ih), num(margin), num(margin))
	title := prepare(c).title

	var d pdfDoc
	d.buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	d.object(1, "<< /Type /Catalog /Pages 2 0 R >>")
	d.object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	d.object(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "+
		"/Resources << /XObject << /Im1 4 0 R >> /ProcSet [/PDF /ImageC] >> /Contents 5 0 R >>", num(pw), num(ph)))
	d.stream(4, fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "+
		"/BitsPerComponent 8 /Filter /FlateDecode", w, h), pix.Bytes())
	d.stream(5, "", []byte(content))
	d.object(6, "<< /Title "+pdfText(title)+" /Producer (tableau-mcp emulator) >>")
	d.finish(1, 6)
	return d.buf.Bytes(), nil
}

// num writes a PDF number without a needless fraction.
func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// pdfText encodes s as a hexadecimal UTF-16BE text string with a byte order mark.
func pdfText(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// pdfDoc collects numbered objects and remembers where each one starts.
type pdfDoc struct {
	buf     bytes.Buffer
	offsets []int // offsets[i] is where object i+1 starts
}

func (d *pdfDoc) begin(n int) {
	for len(d.offsets) < n {
		d.offsets = append(d.offsets, 0)
	}
	d.offsets[n-1] = d.buf.Len()
	fmt.Fprintf(&d.buf, "%d 0 obj\n", n)
}

func (d *pdfDoc) object(n int, body string) {
	d.begin(n)
	d.buf.WriteString(body)
	d.buf.WriteString("\nendobj\n")
}

func (d *pdfDoc) stream(n int, dict string, data []byte) {
	d.begin(n)
	if dict != "" {
		dict += " "
	}
	fmt.Fprintf(&d.buf, "<< %s/Length %d >>\nstream\n", dict, len(data))
	d.buf.Write(data)
	d.buf.WriteString("\nendstream\nendobj\n")
}

// finish writes the cross-reference table and the trailer. Every entry is
// exactly 20 bytes, as the format requires.
func (d *pdfDoc) finish(root, info int) {
	start := d.buf.Len()
	fmt.Fprintf(&d.buf, "xref\n0 %d\n", len(d.offsets)+1)
	d.buf.WriteString("0000000000 65535 f\r\n")
	for _, off := range d.offsets {
		fmt.Fprintf(&d.buf, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&d.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n",
		len(d.offsets)+1, root, info, start)
}
