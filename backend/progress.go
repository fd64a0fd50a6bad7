package backend

import "context"

// ProgressFunc hears how far a long operation has got: done units out of
// total (0 when the total is not known), with a short message for a person.
// Units are bytes for transfers and steps otherwise. It must not block.
type ProgressFunc func(done, total float64, message string)

type progressKey struct{}

// WithProgress returns a context whose long operations report to f. The
// caller decides where reports go (a protocol notification, a log, a bar);
// the code that reports knows nothing of it.
func WithProgress(ctx context.Context, f ProgressFunc) context.Context {
	if f == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, f)
}

// Progress reports to the context's ProgressFunc, if there is one.
func Progress(ctx context.Context, done, total float64, message string) {
	if f, ok := ctx.Value(progressKey{}).(ProgressFunc); ok {
		f(done, total, message)
	}
}

// Reporting tells whether anyone listens for progress in ctx, so that
// reporting that costs something can be skipped.
func Reporting(ctx context.Context) bool {
	_, ok := ctx.Value(progressKey{}).(ProgressFunc)
	return ok
}
