//go:build unix

// Command regbench runs one SIPp digest-REGISTER scenario against webdial's
// registrar (sip.Server, stateless UDP path) and against Kamailio 5.6
// (auth module, no database, in-memory usrloc, 2 children) in one run,
// and prints for each the highest offered rate sustained with < 0.1%
// failed registrations and >= 95% of the offered rate achieved, the CPU
// time the server spends per registration at one common offered rate, and
// the ratios webdial/Kamailio.
//
// Run it from the repository root:
//
//	go run ./sip/internal/bench/regbench -step 6s
//
// or sip/bench/registrar-vs-kamailio.sh. It needs sipp and kamailio on
// PATH and binds only 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		serve     = flag.String("serve", "", "internal: run webdial's registrar on this UDP address")
		users     = flag.Int("users", 1000, "number of distinct users")
		step      = flag.Duration("step", 6*time.Second, "duration of each rate step")
		rates     = flag.String("rates", "4000,8000,12000,16000,20000,24000,28000,32000", "offered registrations/s, ascending")
		cpuRate   = flag.Int("cpurate", 8000, "offered rate at which CPU per registration is measured")
		sippProcs = flag.Int("sipp", 2, "sipp processes sharing the load")
		only      = flag.String("only", "", `run only "webdial" or "kamailio" (or "none": only -calls)`)
		gogc      = flag.String("gogc", "", "GOGC for the webdial server (empty: Go default)")
		callRates = flag.String("calls", "", "also offer anonymous calls/s through the B2BUA at these rates, e.g. 50,100,200")
		serveB2B  = flag.String("serve-b2bua", "", "internal: run the B2BUA on this UDP address")
		b2bTarget = flag.String("b2bua-target", "", "internal: the callee for -serve-b2bua")
	)
	flag.Parse()
	if *serveB2B != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		if err := serveB2BUA(ctx, *serveB2B, *b2bTarget); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *serve != "" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		if err := serveWebdial(ctx, *serve, *users); err != nil {
			log.Fatal(err)
		}
		return
	}
	steps := parseRates(*rates)
	dir, err := os.MkdirTemp("", "regbench")
	if err != nil {
		log.Fatal(err)
	}
	if os.Getenv("REGBENCH_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("work dir:", dir)
	}
	b := &bench{dir: dir, users: *users, step: *step, sippProcs: *sippProcs}
	if err := b.prepare(); err != nil {
		log.Fatal(err)
	}

	fmt.Printf("regbench %s: %d CPUs (%s), GOMAXPROCS=%d, step %s, %d sipp processes, %d users\n",
		time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), *step, *sippProcs, *users)
	var results []result
	for _, name := range []string{"webdial", "kamailio"} {
		if *only == "none" || (*only != "" && *only != name) {
			continue
		}
		srv, err := b.start(name, *gogc)
		if err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		res := b.measure(srv, steps, *cpuRate)
		srv.stop()
		results = append(results, res)
	}
	report(results, *cpuRate)
	if *callRates != "" {
		fmt.Println()
		b.benchCalls(parseRates(*callRates))
	}
}

func parseRates(list string) []int {
	var steps []int
	for _, f := range strings.Split(list, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r <= 0 {
			log.Fatalf("bad rate %q", f)
		}
		steps = append(steps, r)
	}
	return steps
}

// result is one server's figures.
type result struct {
	name     string
	maxRate  int     // highest passing offered rate
	achieved float64 // registrations/s achieved at maxRate
	cpuUS    float64 // server CPU µs per registration at cpuRate (0: not measured)
	rss      int64   // server resident set size after the run, KiB
	steps    []stepResult
}

func report(rs []result, cpuRate int) {
	fmt.Println()
	fmt.Printf("%-9s %14s %14s %22s %10s\n", "server", "max offered/s", "achieved/s", fmt.Sprintf("CPU µs/reg @%d/s", cpuRate), "RSS MiB")
	for _, r := range rs {
		fmt.Printf("%-9s %14d %14.0f %22.1f %10.1f\n", r.name, r.maxRate, r.achieved, r.cpuUS, float64(r.rss)/1024)
	}
	if len(rs) == 2 && rs[1].maxRate > 0 && rs[1].cpuUS > 0 {
		fmt.Printf("ratios webdial/kamailio: max rate %.2fx, CPU per registration %.2fx\n",
			float64(rs[0].maxRate)/float64(rs[1].maxRate), rs[0].cpuUS/rs[1].cpuUS)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
