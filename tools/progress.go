package tools

import (
	"context"
	"io"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// progressStep is the least number of bytes between two reports of a
// transfer, so that a large download sends a few dozen reports, not one
// for every read.
const progressStep = 256 << 10

// progressReader reports the bytes read through it to the context's
// progress listener: every twentieth of the total when the total is known,
// otherwise every progressStep bytes.
type progressReader struct {
	ctx        context.Context
	r          io.Reader
	what       string
	done, next int64
	total      int64 // 0: unknown
	step       int64
}

// withProgress wraps r when someone listens for progress in ctx.
func withProgress(ctx context.Context, r io.Reader, total int64, what string) io.Reader {
	if !backend.Reporting(ctx) {
		return r
	}
	if total < 0 {
		total = 0
	}
	step := max(total/20, progressStep)
	return &progressReader{ctx: ctx, r: r, what: what, total: total, step: step, next: step}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done >= p.next {
		p.next = p.done + p.step
		reportBytes(p.ctx, p.done, p.total, p.what)
	}
	return n, err
}

func reportBytes(ctx context.Context, done, total int64, what string) {
	msg := "received " + humanBytes(done)
	if total > 0 {
		msg += " of " + humanBytes(total)
	}
	backend.Progress(ctx, float64(done), float64(total), msg+" of "+what)
}
