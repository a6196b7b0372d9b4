//go:build linux

package token

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time (user+system) the calling OS thread has
// used. Benchmarks lock their goroutine to a thread and report CPU time per
// op beside wall time, because this machine's load (other builds running
// beside us) inflates wall time but not the CPU an operation costs.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// cpuPerOp locks the benchmark to its thread and, when the loop ends,
// reports "cpu-ns/op". Call it just before the b.Loop loop and defer the
// function it returns.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, ok2 := threadCPU()
		runtime.UnlockOSThread()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
