//go:build unix

// Command loadtest measures the webdial gateway under N concurrent bridged
// calls. It starts the gateway in a child process (so its CPU is measured
// alone), a Go RTP echo as the SIP side and N pion page clients in this
// process, sends 20 ms G.711 packets both ways and reports packet loss,
// media round trip (page -> gateway -> SIP echo -> gateway -> page) p50/p99,
// the gateway's CPU and its CPU microseconds per relayed packet.
//
//	go run ./webrtc/internal/loadtest -calls 100,250,500 -duration 20s
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"crypto/rand"
)

func main() {
	role := flag.String("role", "driver", "driver or gateway (internal)")
	calls := flag.String("calls", "100", "comma-separated concurrent call counts, one run each")
	duration := flag.Duration("duration", 20*time.Second, "measurement window per run")
	setup := flag.Int("setup-parallel", 20, "calls set up at once")
	proxy := flag.String("proxy", "", "(gateway) SIP proxy host:port")
	keyHex := flag.String("key", "", "(gateway) token key, hex")
	flag.BoolVar(&idle, "idle", false, "send no media (measures the idle cost of established calls)")
	flag.StringVar(&gatewayCPUs, "gateway-cpus", "", "pin the gateway process to these CPUs (taskset -c list)")
	flag.BoolVar(&leanDriver, "lean-driver", true, "one sender goroutine for all pages and one batched echo port (false: a goroutine and ticker per page, a port and goroutine per echoed call)")
	flag.IntVar(&gatewayProcs, "gateway-procs", 0, "GOMAXPROCS of the gateway process (0: Go's default)")
	flag.BoolVar(&iceLite, "ice-lite", false, "the gateway answers with its ICE-lite engine (webrtc.Config.ICELite) instead of a pion PeerConnection")
	flag.BoolVar(&iceLiteShared, "ice-lite-shared", false, "with -ice-lite: one shared ICE-lite socket for every call (webrtc.Config.ICELiteShared)")
	flag.BoolVar(&rtpShared, "rtp-shared", false, "one SIP-side RTP socket for every call (webrtc.Config.RTPShared); the lean driver's echo then gives each call its own port (sipecho.EpollMedia)")
	flag.DurationVar(&sendSlot, "send-slot", sendSlot, "the lean driver sends the packets due in each slot of this length together")
	flag.Parse()
	log.SetFlags(0)
	if *role == "gateway" {
		if err := runGateway(*proxy, *keyHex, iceLite, iceLiteShared, rtpShared); err != nil {
			log.Fatal(err)
		}
		return
	}
	for _, s := range strings.Split(*calls, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			log.Fatalf("bad -calls %q", s)
		}
		res, err := runOnce(n, *duration, *setup)
		if err != nil {
			log.Fatalf("%d calls: %v", n, err)
		}
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	}
}

// startGateway re-executes this program as the gateway and returns its base
// URL.
func startGateway(ctx context.Context, proxy string, key []byte) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	args := []string{self, "-role", "gateway", "-proxy", proxy, "-key", hex.EncodeToString(key),
		"-ice-lite=" + strconv.FormatBool(iceLite), "-ice-lite-shared=" + strconv.FormatBool(iceLiteShared),
		"-rtp-shared=" + strconv.FormatBool(rtpShared)}
	if gatewayCPUs != "" {
		args = append([]string{"taskset", "-c", gatewayCPUs}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if gatewayProcs > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(gatewayProcs))
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	var line string
	if _, err := fmt.Fscanln(out, &line); err != nil {
		_ = cmd.Process.Kill()
		return nil, "", fmt.Errorf("gateway did not start: %w", err)
	}
	return cmd, line, nil
}

type gatewayStats struct {
	CPUNanos      int64  `json:"cpuNanos"`
	SysNanos      int64  `json:"sysNanos"`
	PacketsToSIP  uint64 `json:"packetsToSip"`
	PacketsToPage uint64 `json:"packetsToPage"`
	Active        int    `json:"active"`
	Goroutines    int    `json:"goroutines"`
	RSSKB         int64  `json:"rssKB"`
	Mallocs       uint64 `json:"mallocs"`
	NumGC         uint32 `json:"numGC"`
}

func fetchStats(base string) (gatewayStats, error) {
	var s gatewayStats
	resp, err := http.Get(base + "/stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

var (
	gatewayProcs  int
	gatewayCPUs   string
	idle          bool
	leanDriver    bool
	iceLite       bool
	iceLiteShared bool
	rtpShared     bool
)

func newKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}
