//go:build unix

package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/stat (USER_HZ, 100 on every Linux ABI Go
// supports).
const userHZ = 100

// machineBusy is the CPU time every core of the machine has spent busy
// (user, nice, system, irq, softirq, steal) since boot, from /proc/stat; 0
// where there is none. The window's share not spent by the gateway and
// the driver is what other processes took: on a shared machine it tells a
// noisy run from a quiet one.
func machineBusy() time.Duration {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range fields[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ
}

// ksoftirqdBusy is the CPU time of the kernel's ksoftirqd threads: the
// network receive work the kernel could not do in the context of the
// sending process (loopback delivery under load). It is part of
// machineBusy but no process's getrusage, so it shows up in the "other"
// share without being another process's noise.
func ksoftirqdBusy() time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open || !strings.HasPrefix(s[open+1:closing], "ksoftirqd/") {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 13 { // state is f[0]; utime, stime are fields 14, 15 of stat
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * time.Second / userHZ
}
