package render

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// encodePNG writes the canvas as an 8-bit truecolour PNG (every pixel is
// opaque, so no alpha channel), the way image/png writes an opaque image at
// its default compression: each row filtered with the filter whose output
// has the smallest sum of absolute values, the rows zlib-compressed at the
// default level and split into IDAT chunks of 32 KiB.
//
// It is written here rather than taken from image/png so that the server's
// binary does not carry the image packages, whose initialisation and code
// every start would pay for before any chart is drawn.
func encodePNG(c *canvas) ([]byte, error) {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.DefaultCompression)
	if err != nil {
		return nil, err
	}
	stride := 3 * c.w
	var rows [5][]byte // the row under each filter, its type first
	for f := range rows {
		rows[f] = make([]byte, 1+stride)
		rows[f][0] = byte(f)
	}
	prev := make([]byte, stride) // the row above the first is zeros
	for y := range c.h {
		cur := c.pix[y*stride : (y+1)*stride]
		f := pickFilter(&rows, cur, prev)
		if f == ftNone {
			copy(rows[ftNone][1:], cur)
		}
		if _, err := zw.Write(rows[f]); err != nil {
			return nil, err
		}
		prev = cur
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	const idatMax = 1 << 15
	data := z.Bytes()
	out := make([]byte, 0, 8+25+len(data)+(len(data)/idatMax+1)*12+12)
	out = append(out, pngSignature...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:4], uint32(c.w))
	binary.BigEndian.PutUint32(ihdr[4:8], uint32(c.h))
	ihdr[8] = 8 // bits per sample
	ihdr[9] = 2 // truecolour; compression, filter and interlace methods 0
	out = appendChunk(out, "IHDR", ihdr[:])
	for len(data) > 0 {
		n := min(len(data), idatMax)
		out = appendChunk(out, "IDAT", data[:n])
		data = data[n:]
	}
	return appendChunk(out, "IEND", nil), nil
}

const pngSignature = "\x89PNG\r\n\x1a\n"

// appendChunk appends a chunk: length, type, data and the CRC-32 of type
// and data.
func appendChunk(b []byte, typ string, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	start := len(b)
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// PNG filter types.
const (
	ftNone = iota
	ftSub
	ftUp
	ftAverage
	ftPaeth
)

// pickFilter fills rows[f][1:] with row cur under filter f, given the row
// above, and returns the filter whose bytes, taken as signed, have the
// smallest sum of absolute values. Filters are tried as image/png tries
// them (up, Paeth, none, sub, average; a later one wins only when
// strictly smaller), and a sum that reaches the best so far stops early,
// leaving that filter's row unfinished; the none row is left unfilled.
func pickFilter(rows *[5][]byte, cur, prev []byte) int {
	const bpp = 3
	n := len(cur)

	up := rows[ftUp][1:]
	sum := 0
	for i := range n {
		up[i] = cur[i] - prev[i]
		sum += abs8(up[i])
	}
	best, filter := sum, ftUp

	pa := rows[ftPaeth][1:]
	sum = 0
	for i := 0; i < bpp && i < n; i++ {
		pa[i] = cur[i] - prev[i]
		sum += abs8(pa[i])
	}
	for i := bpp; i < n && sum < best; i++ {
		pa[i] = cur[i] - paeth(cur[i-bpp], prev[i], prev[i-bpp])
		sum += abs8(pa[i])
	}
	if sum < best {
		best, filter = sum, ftPaeth
	}

	sum = 0
	for i := 0; i < n && sum < best; i++ {
		sum += abs8(cur[i])
	}
	if sum < best {
		best, filter = sum, ftNone
	}

	sub := rows[ftSub][1:]
	sum = 0
	for i := 0; i < bpp && i < n; i++ {
		sub[i] = cur[i]
		sum += abs8(sub[i])
	}
	for i := bpp; i < n && sum < best; i++ {
		sub[i] = cur[i] - cur[i-bpp]
		sum += abs8(sub[i])
	}
	if sum < best {
		best, filter = sum, ftSub
	}

	av := rows[ftAverage][1:]
	sum = 0
	for i := 0; i < bpp && i < n; i++ {
		av[i] = cur[i] - prev[i]/2
		sum += abs8(av[i])
	}
	for i := bpp; i < n && sum < best; i++ {
		av[i] = cur[i] - uint8((int(cur[i-bpp])+int(prev[i]))/2)
		sum += abs8(av[i])
	}
	if sum < best {
		filter = ftAverage
	}
	return filter
}

// abs8 is the absolute value of d taken as a signed byte.
func abs8(d uint8) int {
	if d < 128 {
		return int(d)
	}
	return 256 - int(d)
}

// paeth predicts a byte from its left (a), upper (b) and upper-left (c)
// neighbours: whichever is closest to a + b - c, preferring a, then b.
func paeth(a, b, c uint8) uint8 {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := absInt(p-int(a)), absInt(p-int(b)), absInt(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
