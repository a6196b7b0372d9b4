//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// stepResult is one offered rate against one server.
type stepResult struct {
	offered    int
	created    int
	successful int
	failed     int
	elapsed    time.Duration
	cpu        time.Duration // server CPU (user+system) during the step
}

func (s stepResult) achieved() float64 { return float64(s.successful) / s.elapsed.Seconds() }

// pass: < 0.1% failures and >= 95% of the offered rate.
func (s stepResult) pass() bool {
	return s.created > 0 && float64(s.failed) < 0.001*float64(s.created) && s.achieved() >= 0.95*float64(s.offered)
}

func (s stepResult) cpuPerReg() float64 {
	if s.successful == 0 {
		return 0
	}
	return float64(s.cpu.Microseconds()) / float64(s.successful)
}

// measure steps through rates until one fails twice in a row, then measures CPU per
// registration at cpuRate (reusing the step at that rate if it ran).
func (b *bench) measure(s *server, rates []int, cpuRate int) result {
	res := result{name: s.name}
	// Warm-up: fill usrloc / the location store and the caches.
	b.runStep(s, min(2000, rates[0]), 2*time.Second)
	var atCPU *stepResult
	for _, r := range rates {
		st := b.runStep(s, r, b.step)
		if !st.pass() {
			// This host is shared: retry a failing step once before
			// calling it the limit.
			fmt.Printf("%-9s offered %6d/s: achieved %8.0f/s, %7d failed: retrying once\n", s.name, r, st.achieved(), st.failed)
			st = b.runStep(s, r, b.step)
		}
		res.steps = append(res.steps, st)
		fmt.Printf("%-9s offered %6d/s: achieved %8.0f/s, %7d created, %7d ok, %5d failed, CPU %6.1f µs/reg  %s\n",
			s.name, r, st.achieved(), st.created, st.successful, st.failed, st.cpuPerReg(), passMark(st.pass()))
		if r == cpuRate {
			atCPU = &st
		}
		if !st.pass() {
			break
		}
		res.maxRate, res.achieved = r, st.achieved()
	}
	if atCPU == nil {
		st := b.runStep(s, cpuRate, b.step)
		atCPU = &st
		fmt.Printf("%-9s offered %6d/s: achieved %8.0f/s, CPU %6.1f µs/reg (CPU step)\n", s.name, cpuRate, st.achieved(), st.cpuPerReg())
	}
	res.cpuUS = atCPU.cpuPerReg()
	_, res.rss = groupUsage(s.cmd.Process.Pid)
	return res
}

func passMark(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}

// runStep offers rate registrations/s for d, split over the sipp processes.
func (b *bench) runStep(s *server, rate int, d time.Duration) stepResult {
	per := max(1, rate/b.sippProcs)
	total := max(1, int(float64(per)*d.Seconds()))
	pgid := s.cmd.Process.Pid
	cpu0, _ := groupUsage(pgid)
	start := time.Now()
	var wg sync.WaitGroup
	stats := make([]string, b.sippProcs)
	for i := range b.sippProcs {
		port := b.sippPorts[i]
		stats[i] = filepath.Join(b.dir, fmt.Sprintf("stats-%d-%d.csv", time.Now().UnixNano(), i))
		cmd := exec.Command("sipp", "-sf", filepath.Join(b.dir, "register.xml"), "-inf", filepath.Join(b.dir, "users.csv"),
			s.addr, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1", "-nostdin",
			"-r", strconv.Itoa(per), "-m", strconv.Itoa(total), "-auth_uri", domain, "-buff_size", "4194304",
			"-timeout", strconv.Itoa(int(2*d.Seconds())+20)+"s", "-trace_stat", "-stf", stats[i], "-fd", "3600",
			"-trace_err", "-error_file", filepath.Join(b.dir, fmt.Sprintf("errors-%s-%d-%d.log", s.name, rate, i)))
		cmd.Dir = b.dir
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = cmd.Run() // non-zero exit when calls failed; the stats tell
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, _ := groupUsage(pgid)
	st := stepResult{offered: rate, elapsed: elapsed, cpu: cpu1 - cpu0}
	for _, f := range stats {
		ss, err := testpeer.ReadSippStats(f)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sipp stats %s: %v\n", f, err)
			continue
		}
		st.created += ss.Created
		st.successful += ss.Successful
		st.failed += ss.Failed
		os.Remove(f)
	}
	return st
}

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 100

// groupUsage sums utime+stime and RSS (KiB) over the processes of a
// process group (Kamailio forks its workers; webdial is one process).
func groupUsage(pgid int) (time.Duration, int64) {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks, rssPages int64
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// Fields after the parenthesised command name, which may hold spaces.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		fs := strings.Fields(string(b[i+1:]))
		// fs[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, rss 24.
		if len(fs) < 22 {
			continue
		}
		if pg, _ := strconv.Atoi(fs[2]); pg != pgid {
			continue
		}
		u, _ := strconv.ParseInt(fs[11], 10, 64)
		s, _ := strconv.ParseInt(fs[12], 10, 64)
		r, _ := strconv.ParseInt(fs[21], 10, 64)
		ticks += u + s
		rssPages += r
	}
	return time.Duration(ticks) * time.Second / clockTick, rssPages * int64(os.Getpagesize()) / 1024
}
