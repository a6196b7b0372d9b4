//go:build unix

package main

import (
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

// driverProfile writes a CPU profile of this (the driver's) process for
// 10 s of the window when LOADTEST_DRIVERPROFILE names a file, to see
// where the page clients spend their CPU.
func driverProfile() {
	path := os.Getenv("LOADTEST_DRIVERPROFILE")
	if path == "" {
		return
	}
	go func() {
		f, err := os.Create(path)
		if err != nil {
			log.Printf("driver profile: %v", err)
			return
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Printf("driver profile: %v", err)
			return
		}
		time.Sleep(10 * time.Second)
		pprof.StopCPUProfile()
	}()
}

// driverAllocs writes the driver's allocation profile as of now to
// $LOADTEST_DRIVERALLOCS.name (compare the start and the end of the
// window with pprof -base).
func driverAllocs(name string) {
	path := os.Getenv("LOADTEST_DRIVERALLOCS")
	if path == "" {
		return
	}
	f, err := os.Create(path + "." + name)
	if err != nil {
		log.Printf("driver allocs: %v", err)
		return
	}
	defer f.Close()
	runtime.GC()
	_ = pprof.Lookup("allocs").WriteTo(f, 0)
}
