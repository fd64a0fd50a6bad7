// Package stackstart gives the main goroutine a 32 KB stack before the
// other packages initialise.
//
// A goroutine's stack starts at 2 KB and doubles when a call needs more;
// each time, runtime.copystack walks every frame on it and reads each
// function's entry in the binary's function tables. The package
// initialisation of the dependencies (mcp-go's JSON Schema validator
// compiling its meta-schemas, regexps, encoding/json's field caches) runs
// deep, so the main goroutine doubled three times there, each walk over
// dozens of distinct functions spread across the tables, and the kernel
// mapped the 64 KB around every entry read: about 0.6 MB of the server's
// resident memory after tools/list. One call here with a 17 KB frame
// makes the runtime size the stack for it at once (to 32 KB, which
// initialisation then stays within), while only four frames are on it.
//
// It runs first because it imports nothing: packages initialise in the
// order of their import paths, each as soon as its imports have, so one
// without imports comes before any that waits for its dependencies.
// TestStackStartInitialisesFirst (package main) holds it there.
package stackstart

// frameBytes makes grow's frame larger than 16 KB, so that the runtime
// doubles the 2 KB stack to 32 KB in one step.
const frameBytes = 17 << 10

//go:noinline
func grow(i int) byte {
	var frame [frameBytes]byte
	frame[i] = 1
	return frame[len(frame)-1-i]
}

// Sink keeps grow's result, so that the call is not left out.
var Sink byte

func init() { Sink = grow(0) }
