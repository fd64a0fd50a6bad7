package metrics

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// runtimeFamily is one of the families Prometheus' Go client exports for
// the Go runtime and the process, with its help as that client words it
// (dashboards and alerts read these names; testdata holds the record).
type runtimeFamily struct{ name, typ, help string }

var runtimeFamilies = []runtimeFamily{
	{"go_gc_duration_seconds", "summary", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."},
	{"go_gc_gogc_percent", "gauge", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent."},
	{"go_gc_gomemlimit_bytes", "gauge", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes."},
	{"go_goroutines", "gauge", "Number of goroutines that currently exist."},
	{"go_info", "gauge", "Information about the Go environment."},
	{"go_memstats_alloc_bytes", "gauge", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."},
	{"go_memstats_alloc_bytes_total", "counter", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes."},
	{"go_memstats_buck_hash_sys_bytes", "gauge", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes."},
	{"go_memstats_frees_total", "counter", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects."},
	{"go_memstats_gc_sys_bytes", "gauge", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes."},
	{"go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes."},
	{"go_memstats_heap_idle_bytes", "gauge", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."},
	{"go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes"},
	{"go_memstats_heap_objects", "gauge", "Number of currently allocated objects. Equals to /gc/heap/objects:objects."},
	{"go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes."},
	{"go_memstats_heap_sys_bytes", "gauge", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes."},
	{"go_memstats_last_gc_time_seconds", "gauge", "Number of seconds since 1970 of last garbage collection."},
	{"go_memstats_mallocs_total", "counter", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects."},
	{"go_memstats_mcache_inuse_bytes", "gauge", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes."},
	{"go_memstats_mcache_sys_bytes", "gauge", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes."},
	{"go_memstats_mspan_inuse_bytes", "gauge", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes."},
	{"go_memstats_mspan_sys_bytes", "gauge", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes."},
	{"go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes."},
	{"go_memstats_other_sys_bytes", "gauge", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes."},
	{"go_memstats_stack_inuse_bytes", "gauge", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes."},
	{"go_memstats_stack_sys_bytes", "gauge", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes."},
	{"go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system. Equals to /memory/classes/total:byte."},
	{"go_sched_gomaxprocs_threads", "gauge", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads."},
	{"go_threads", "gauge", "Number of OS threads created."},
	{"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."},
	{"process_max_fds", "gauge", "Maximum number of open file descriptors."},
	{"process_network_receive_bytes_total", "counter", "Number of bytes received by the process over the network."},
	{"process_network_transmit_bytes_total", "counter", "Number of bytes sent by the process over the network."},
	{"process_open_fds", "gauge", "Number of open file descriptors."},
	{"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
	{"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."},
	{"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
	{"process_virtual_memory_max_bytes", "gauge", "Maximum amount of virtual memory available in bytes."}}

// RegisterRuntime adds the Go runtime families (go_*) and the process
// families (process_*), each group in its place in the name order.
func (r *Registry) RegisterRuntime() {
	r.add("go_", runtimeCollector{prefix: "go_", read: goValues})
	r.add("process_", runtimeCollector{prefix: "process_", read: processValues})
}

type runtimeCollector struct {
	prefix string
	read   func() map[string]any
}

func (c runtimeCollector) write(b *bytes.Buffer) {
	values := c.read()
	for _, f := range runtimeFamilies {
		v, ok := values[f.name]
		if !ok || !strings.HasPrefix(f.name, c.prefix) {
			continue
		}
		header(b, f.name, f.typ, f.help)
		switch f.name {
		case "go_gc_duration_seconds":
			gc := v.(gcSummary)
			for i, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
				sample(b, f.name, nil, nil, "quantile", q, gc.quantiles[i])
			}
			sample(b, f.name+"_sum", nil, nil, "", "", gc.sum)
			sample(b, f.name+"_count", nil, nil, "", "", gc.count)
		case "go_info":
			sample(b, f.name, []string{"version"}, []string{runtime.Version()}, "", "", 1)
		default:
			sample(b, f.name, nil, nil, "", "", v.(float64))
		}
	}
}

type gcSummary struct {
	quantiles [5]float64
	sum       float64
	count     float64
}

// goValues reads the Go runtime's values.
func goValues() map[string]any {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gs := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&gs)
	var gc gcSummary
	for i, d := range gs.PauseQuantiles {
		gc.quantiles[i] = d.Seconds()
	}
	gc.sum, gc.count = gs.PauseTotal.Seconds(), float64(gs.NumGC)
	threads, _ := runtime.ThreadCreateProfile(nil)
	out := map[string]any{
		"go_gc_duration_seconds":           gc,
		"go_goroutines":                    float64(runtime.NumGoroutine()),
		"go_info":                          1.0,
		"go_threads":                       float64(threads),
		"go_memstats_alloc_bytes":          float64(ms.Alloc),
		"go_memstats_alloc_bytes_total":    float64(ms.TotalAlloc),
		"go_memstats_buck_hash_sys_bytes":  float64(ms.BuckHashSys),
		"go_memstats_frees_total":          float64(ms.Frees),
		"go_memstats_gc_sys_bytes":         float64(ms.GCSys),
		"go_memstats_heap_alloc_bytes":     float64(ms.HeapAlloc),
		"go_memstats_heap_idle_bytes":      float64(ms.HeapIdle),
		"go_memstats_heap_inuse_bytes":     float64(ms.HeapInuse),
		"go_memstats_heap_objects":         float64(ms.HeapObjects),
		"go_memstats_heap_released_bytes":  float64(ms.HeapReleased),
		"go_memstats_heap_sys_bytes":       float64(ms.HeapSys),
		"go_memstats_last_gc_time_seconds": float64(ms.LastGC) / 1e9,
		"go_memstats_mallocs_total":        float64(ms.Mallocs),
		"go_memstats_mcache_inuse_bytes":   float64(ms.MCacheInuse),
		"go_memstats_mcache_sys_bytes":     float64(ms.MCacheSys),
		"go_memstats_mspan_inuse_bytes":    float64(ms.MSpanInuse),
		"go_memstats_mspan_sys_bytes":      float64(ms.MSpanSys),
		"go_memstats_next_gc_bytes":        float64(ms.NextGC),
		"go_memstats_other_sys_bytes":      float64(ms.OtherSys),
		"go_memstats_stack_inuse_bytes":    float64(ms.StackInuse),
		"go_memstats_stack_sys_bytes":      float64(ms.StackSys),
		"go_memstats_sys_bytes":            float64(ms.Sys),
	}
	// Read without runtime/metrics, whose package initialisation would run
	// in every process: the limit and GOMAXPROCS are asked of the runtime
	// (a negative limit only reads it), GOGC is what the runtime read at
	// start, as nothing in this program changes it.
	out["go_gc_gogc_percent"] = gogc(os.Getenv("GOGC"))
	out["go_gc_gomemlimit_bytes"] = float64(debug.SetMemoryLimit(-1))
	out["go_sched_gomaxprocs_threads"] = float64(runtime.GOMAXPROCS(0))
	return out
}

// gogc reads GOGC as the runtime does: unset is 100, off is -1.
func gogc(v string) float64 {
	switch v {
	case "":
		return 100
	case "off":
		return -1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 100
	}
	return float64(n)
}

// userHZ is the unit of the CPU times in /proc (USER_HZ, 100 on Linux).
const userHZ = 100

// processValues reads the process families from /proc; where /proc is
// missing (not Linux), they are left out.
func processValues() map[string]any {
	out := map[string]any{}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return out
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return out
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state): utime is field 14, stime 15, starttime 22,
	// vsize 23, rss 24.
	if len(f) < 22 {
		return out
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	out["process_cpu_seconds_total"] = (num(f[11]) + num(f[12])) / userHZ
	out["process_virtual_memory_bytes"] = num(f[20])
	out["process_resident_memory_bytes"] = num(f[21]) * float64(os.Getpagesize())
	if bt := bootTime(); bt > 0 {
		out["process_start_time_seconds"] = bt + num(f[19])/userHZ
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		out["process_open_fds"] = float64(len(fds))
	}
	if lim, err := os.ReadFile("/proc/self/limits"); err == nil {
		if v, ok := softLimit(string(lim), "Max open files"); ok {
			out["process_max_fds"] = v
		}
		if v, ok := softLimit(string(lim), "Max address space"); ok {
			out["process_virtual_memory_max_bytes"] = v
		}
	}
	if ns, err := os.ReadFile("/proc/self/net/netstat"); err == nil {
		if in, outB, ok := ipOctets(string(ns)); ok {
			out["process_network_receive_bytes_total"] = in
			out["process_network_transmit_bytes_total"] = outB
		}
	}
	return out
}

func bootTime() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return n
		}
	}
	return 0
}

// softLimit reads a soft limit from /proc/self/limits; "unlimited" is the
// largest unsigned 64-bit number, as the kernel keeps it.
func softLimit(limits, name string) (float64, bool) {
	for _, line := range strings.Split(limits, "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			if f[0] == "unlimited" {
				return float64(^uint64(0)), true
			}
			v, err := strconv.ParseFloat(f[0], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// ipOctets reads InOctets and OutOctets of the IpExt lines of
// /proc/self/net/netstat (a header line of names, then one of values).
func ipOctets(netstat string) (in, out float64, ok bool) {
	lines := strings.Split(netstat, "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "IpExt:") || !strings.HasPrefix(lines[i+1], "IpExt:") {
			continue
		}
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		var gotIn, gotOut bool
		for j := 1; j < len(names) && j < len(values); j++ {
			v, err := strconv.ParseFloat(values[j], 64)
			if err != nil {
				continue
			}
			switch names[j] {
			case "InOctets":
				in, gotIn = v, true
			case "OutOctets":
				out, gotOut = v, true
			}
		}
		return in, out, gotIn && gotOut
	}
	return 0, 0, false
}
