package tools

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// maxPNGPixels bounds the images checkPNG accepts: far above anything
// Tableau renders (4000×4000 at high resolution is 64 million).
const maxPNGPixels = 1 << 28

// checkPNG reads a whole PNG and fails unless every byte is where it should
// be: the signature, every chunk with a correct CRC, a header first, a
// palette (PLTE) and transparency (tRNS) of the size and in the place the
// PNG specification gives them, the palette before the image data of an
// image that needs one, the image data inflating to exactly the size the
// header implies (with a correct zlib checksum), and an empty end chunk
// last. Unlike image/png.Decode it never holds the decoded pixels, so a
// large image costs no memory.
func checkPNG(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	sig := make([]byte, len(pngMagic))
	if _, err := io.ReadFull(br, sig); err != nil || string(sig) != string(pngMagic) {
		return errors.New("it has no PNG signature")
	}
	var (
		layout   []rowRun // the filtered scanlines the image data must inflate to
		pipeW    *io.PipeWriter
		inflated chan error
		sawIHDR  bool
		idatDone bool
		// From the header: the colour type and bit depth.
		colour, depth    byte
		sawPLTE, sawTRNS bool
	)
	defer func() {
		if pipeW != nil {
			pipeW.CloseWithError(errors.New("stopped"))
			<-inflated
		}
	}()
	head := make([]byte, 8)
	for n := 0; ; n++ {
		if _, err := io.ReadFull(br, head); err != nil {
			return fmt.Errorf("it ends after %d chunks without its IEND chunk: it was cut short", n)
		}
		length := binary.BigEndian.Uint32(head[:4])
		kind := string(head[4:8])
		if length > 1<<31-1 {
			return fmt.Errorf("chunk %q claims %d bytes", kind, length)
		}
		crc := crc32.NewIEEE()
		crc.Write(head[4:8])
		var data []byte
		body := io.TeeReader(io.LimitReader(br, int64(length)), crc)
		switch {
		case kind == "IDAT":
			if !sawIHDR || idatDone {
				return errors.New("its image data is out of place")
			}
			if colour == 3 && !sawPLTE {
				return errors.New("its image data comes before the palette (PLTE chunk) its colour type needs")
			}
			if pipeW == nil {
				var pr *io.PipeReader
				pr, pipeW = io.Pipe()
				inflated = make(chan error, 1)
				go func() { inflated <- inflate(pr, layout) }()
			}
			if m, err := io.Copy(pipeW, body); err != nil || m != int64(length) {
				if err == nil {
					return errors.New("its image data was cut short")
				}
				// The inflater stopped early: it says why.
				pipeW.CloseWithError(err)
				e := <-inflated
				pipeW = nil
				if e == nil {
					e = errors.New("it goes on past the end of its compressed stream")
				}
				return fmt.Errorf("its image data does not decode: %v", e)
			}
		default:
			if pipeW != nil {
				idatDone = true
			}
			var m int64
			var err error
			if kind == "IHDR" && length == 13 {
				data = make([]byte, 13)
				var k int
				k, err = io.ReadFull(body, data)
				m = int64(k)
			} else {
				m, err = io.Copy(io.Discard, body)
			}
			if err != nil || m != int64(length) {
				return fmt.Errorf("its %s chunk was cut short", kind)
			}
		}
		var sum [4]byte
		if _, err := io.ReadFull(br, sum[:]); err != nil {
			return fmt.Errorf("its %s chunk was cut short", kind)
		}
		if binary.BigEndian.Uint32(sum[:]) != crc.Sum32() {
			return fmt.Errorf("chunk %q is damaged (its checksum does not match)", kind)
		}
		switch {
		case n == 0 && kind != "IHDR":
			return errors.New("it does not start with an IHDR chunk")
		case kind == "IHDR":
			if n != 0 || len(data) != 13 {
				return errors.New("its IHDR chunk is malformed")
			}
			var err error
			if layout, err = pngLayout(data); err != nil {
				return err
			}
			sawIHDR = true
			depth, colour = data[8], data[9]
		case kind == "PLTE":
			// After the header, once, before tRNS and the image data; 1
			// to 256 entries of 3 bytes, no more than the bit depth can
			// index; for palette and truecolour images only.
			if pipeW != nil || sawPLTE || sawTRNS {
				return errors.New("its palette (PLTE chunk) is out of place")
			}
			entries := length / 3
			if length%3 != 0 || entries == 0 || entries > 256 || (depth < 8 && entries > 1<<depth) {
				return fmt.Errorf("its palette (PLTE chunk) of %d bytes is not one of 1 to %d entries of 3 bytes", length, min(256, 1<<min(depth, 8)))
			}
			if colour != 2 && colour != 3 && colour != 6 {
				return fmt.Errorf("it has a palette (PLTE chunk), which colour type %d does not take", colour)
			}
			sawPLTE = true
		case kind == "tRNS":
			// Once, before the image data and after the palette of a
			// palette image; a grey (2 bytes), an RGB colour (6 bytes) or
			// up to 256 palette alphas; never with an alpha channel.
			if pipeW != nil || sawTRNS || (colour == 3 && !sawPLTE) {
				return errors.New("its transparency (tRNS chunk) is out of place")
			}
			if want, ok := map[byte]uint32{0: 2, 2: 6, 3: length}[colour]; !ok || length != want || length > 256 {
				return fmt.Errorf("its transparency (tRNS chunk) of %d bytes does not fit colour type %d", length, colour)
			}
			sawTRNS = true
		case kind == "IEND":
			if pipeW == nil {
				return errors.New("it holds no image data")
			}
			if length != 0 {
				return errors.New("its IEND chunk is not empty")
			}
			pipeW.Close()
			err := <-inflated
			pipeW = nil
			if err != nil {
				return fmt.Errorf("its image data does not decode: %v", err)
			}
			return nil
		}
	}
}

// rowRun is a run of scanlines of one length (a whole image, or one Adam7
// pass): each is a filter-type byte and rowLen bytes of pixels.
type rowRun struct{ rows, rowLen int64 }

// rowWalker follows the inflated image data row by row and refuses a
// filter type other than the five PNG defines.
type rowWalker struct {
	runs     []rowRun
	run, row int64
	pos      int64 // offset within the current row, filter byte included
}

func (w *rowWalker) Write(p []byte) (int, error) {
	for i := 0; i < len(p); {
		if w.run >= int64(len(w.runs)) {
			return i, errors.New("it holds more pixel data than the header implies")
		}
		r := w.runs[w.run]
		if w.pos == 0 && p[i] > 4 {
			return i, fmt.Errorf("a scanline has filter type %d, which PNG does not define", p[i])
		}
		take := min(int64(len(p)-i), r.rowLen+1-w.pos)
		i += int(take)
		w.pos += take
		if w.pos == r.rowLen+1 {
			w.pos = 0
			if w.row++; w.row == r.rows {
				w.row = 0
				w.run++
			}
		}
	}
	return len(p), nil
}

// inflate reads the zlib stream of the image data, checks every scanline's
// filter type and the total size; the zlib reader checks the Adler-32
// checksum at its end.
func inflate(r *io.PipeReader, layout []rowRun) error {
	var want int64
	for _, run := range layout {
		want += run.rows * (1 + run.rowLen)
	}
	zr, err := zlib.NewReader(r)
	if err == nil {
		var got int64
		got, err = io.Copy(&rowWalker{runs: layout}, io.LimitReader(zr, want+1))
		if err == nil && got != want {
			err = fmt.Errorf("it holds %d bytes of pixel rows where the header implies %d", got, want)
		}
		if err == nil {
			// The stream must end here, with its checksum.
			var one [1]byte
			if _, e := zr.Read(one[:]); e != io.EOF {
				err = errors.New("it holds more pixel data than the header implies, or its checksum is wrong")
			}
		}
	}
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = errors.New("the pixel data was cut short")
	}
	r.CloseWithError(errors.New("done"))
	io.Copy(io.Discard, r)
	return err
}

// pngLayout is the filtered scanlines an image's data inflates to, from its
// IHDR: per row a filter byte and the row's pixels, for each of the seven
// Adam7 passes when interlaced.
func pngLayout(ihdr []byte) ([]rowRun, error) {
	w := int64(binary.BigEndian.Uint32(ihdr[0:4]))
	h := int64(binary.BigEndian.Uint32(ihdr[4:8]))
	depth, color, interlace := int64(ihdr[8]), ihdr[9], ihdr[12]
	channels := map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
	depths := map[byte]string{0: "1 2 4 8 16", 2: "8 16", 3: "1 2 4 8", 4: "8 16", 6: "8 16"}[color]
	if w == 0 || h == 0 || w > 1<<31-1 || h > 1<<31-1 || w*h > maxPNGPixels || channels == 0 || interlace > 1 ||
		ihdr[10] != 0 || ihdr[11] != 0 || !strings.Contains(" "+depths+" ", " "+strconv.FormatInt(depth, 10)+" ") {
		return nil, fmt.Errorf("its header is not one of a valid image (%d×%d, depth %d, colour type %d)", w, h, depth, color)
	}
	bpp := depth * channels
	run := func(pw, ph int64) rowRun { return rowRun{rows: ph, rowLen: (pw*bpp + 7) / 8} }
	if interlace == 0 {
		return []rowRun{run(w, h)}, nil
	}
	var out []rowRun
	for _, p := range [7][4]int64{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}} {
		x0, y0, dx, dy := p[0], p[1], p[2], p[3]
		pw, ph := (w-x0+dx-1)/dx, (h-y0+dy-1)/dy
		if pw > 0 && ph > 0 {
			out = append(out, run(pw, ph))
		}
	}
	return out, nil
}

// pngSize reads a PNG's width and height from its header, the IHDR chunk
// that must follow the signature, without decoding anything else.
func pngSize(b []byte) (width, height int, err error) {
	const headerEnd = 8 + 8 + 13 // signature, chunk length and type, IHDR data
	if !bytes.HasPrefix(b, pngMagic) {
		return 0, 0, errors.New("it has no PNG signature")
	}
	if len(b) < headerEnd {
		return 0, 0, fmt.Errorf("it ends after %d bytes, before the end of its IHDR chunk", len(b))
	}
	if binary.BigEndian.Uint32(b[8:12]) != 13 || string(b[12:16]) != "IHDR" {
		return 0, 0, errors.New("it does not start with an IHDR chunk")
	}
	ihdr := b[16:headerEnd]
	if _, err := pngLayout(ihdr); err != nil {
		return 0, 0, err
	}
	return int(binary.BigEndian.Uint32(ihdr[0:4])), int(binary.BigEndian.Uint32(ihdr[4:8])), nil
}
