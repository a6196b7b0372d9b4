//go:build unix

// Command literelay compares two server-side WebRTC media paths on the
// same harness: litemedia's inline ICE-lite/DTLS-SRTP transport (-impl
// lite; -impl lite-shared: the same with one shared litemedia.Mux socket
// for every call) and a bare pion PeerConnection with no interceptors
// (-impl pion).
//
// The relay runs in a child process (so its CPU is measured alone) and
// relays every call's audio between the page and a plain UDP echo: one UDP
// socket per call on the echo side. This process holds N pion pages
// (webrtc/internal/pageclient) and the echo (one shared port, echoed in
// batches), sends one 20 ms PCMU packet per page every 20 ms from one
// goroutine, and reports loss, media round trip p50/p99 and the relay's
// CPU microseconds per relayed packet (getrusage of the child / packets
// relayed in both directions, counted by the child).
//
//	go run ./webrtc/internal/litemedia/cmd/literelay -impl lite -calls 100,250,500 -duration 15s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"
)

// Flags read by runOnce and startRelay.
var (
	relayProcs int
	idle       bool
)

func main() {
	role := flag.String("role", "driver", "driver or relay (internal)")
	impl := flag.String("impl", "lite", "relay implementation: lite, lite-shared (one ICE-lite socket for all calls) or pion")
	calls := flag.String("calls", "100", "comma-separated concurrent call counts, one run each")
	duration := flag.Duration("duration", 15*time.Second, "measurement window per run")
	echo := flag.String("echo", "", "(relay) UDP echo address")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the relay (10 s of the window) here")
	flag.BoolVar(&idle, "idle", false, "send no media: measures the idle cost of established calls")
	flag.IntVar(&relayProcs, "relay-procs", 0, "GOMAXPROCS of the relay process (0: Go's default)")
	flag.Parse()
	log.SetFlags(0)
	if *impl != "lite" && *impl != "lite-shared" && *impl != "pion" {
		log.Fatalf("bad -impl %q", *impl)
	}
	if *role == "relay" {
		if err := runRelay(*impl, *echo, *profile); err != nil {
			log.Fatal(err)
		}
		return
	}
	for _, s := range strings.Split(*calls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			log.Fatalf("bad -calls %q", s)
		}
		res, err := runOnce(*impl, n, *duration, *profile)
		if err != nil {
			log.Fatalf("%d calls: %v", n, err)
		}
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	}
}
