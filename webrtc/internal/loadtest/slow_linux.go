package main

import (
	"fmt"
	"log"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// writeSlow writes every round trip over 3 ms as "send rtt" in seconds of
// CLOCK_MONOTONIC, to line up with perf sched record -k mono.
func writeSlow(path string, peers []*peer) {
	var ts syscall.Timespec
	_ = clockMonotonic(&ts)
	base := time.Duration(ts.Nano()) - time.Since(epoch) // monotonic time of epoch
	f, err := os.Create(path)
	if err != nil {
		log.Print(err)
		return
	}
	defer f.Close()
	for _, p := range peers {
		p.mu.Lock()
		for i, r := range p.rtts {
			if r > 3*time.Millisecond {
				fmt.Fprintf(f, "%.6f %.6f\n", (base + p.at[i]).Seconds(), r.Seconds())
			}
		}
		p.mu.Unlock()
	}
}

func clockMonotonic(ts *syscall.Timespec) error {
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(ts)), 0)
	if e != 0 {
		return e
	}
	return nil
}
