// Package lazy holds package-level tables that are built on first use.
//
// A package-level map, regexp or computed value is built by the package's
// init function in every process, and running that code pages in the part
// of the binary around it, whether or not the process ever uses the table:
// a stdio session of the demo server never needs the emulator's routes
// until a tool is called. A Value declared with a func literal that
// captures nothing is laid out by the linker, with no init code at all:
//
//	var routes = lazy.Value[[]route]{Build: buildRoutes}
//	... routes.Get() ...
package lazy

import "sync"

// Value is a value built once, by Build, when Get is first called. It must
// not be copied after first use.
type Value[T any] struct {
	once  sync.Once
	Build func() T
	v     T
}

// Get returns the value, building it on the first call.
func (l *Value[T]) Get() T {
	l.once.Do(func() { l.v = l.Build() })
	return l.v
}
