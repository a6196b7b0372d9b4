//go:build unix

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// Result is one run's figures.
type Result struct {
	Calls             int     `json:"calls"`
	SetupSeconds      float64 `json:"setupSeconds"`
	SetupFailed       int     `json:"setupFailed"`
	Sent              int64   `json:"sent"`
	Received          int64   `json:"received"`
	LossPercent       float64 `json:"lossPercent"`
	RTTp50ms          float64 `json:"rttP50ms"`
	RTTp99ms          float64 `json:"rttP99ms"`
	RTTmaxms          float64 `json:"rttMaxMs"`
	GatewayCPUPercent float64 `json:"gatewayCpuPercent"`
	GatewaySysPercent float64 `json:"gatewaySysPercent"` // kernel share of GatewayCPUPercent
	RelayedPackets    uint64  `json:"relayedPackets"`
	CPUMicrosPerPkt   float64 `json:"gatewayCpuMicrosPerPacket"`
	DriverCPUPercent  float64 `json:"driverCpuPercent"`
	GatewayGoroutines int     `json:"gatewayGoroutines"`
	GatewayMaxRSSKB   int64   `json:"gatewayMaxRssKB"`
	GatewayAllocsPkt  float64 `json:"gatewayAllocsPerPacket"` // heap allocations per relayed packet
	GatewayGCs        uint32  `json:"gatewayGCs"`             // garbage collections in the window
	MachineCPUPercent float64 `json:"machineCpuPercent"`      // every core's busy time, % of one core
	OtherCPUPercent   float64 `json:"otherCpuPercent"`        // machine minus gateway and driver: other processes
	SoftirqCPUPercent float64 `json:"ksoftirqdCpuPercent"`    // ksoftirqd threads (part of other): deferred network work
	Pages             string  `json:"pages"`                  // -pages
	DriverGCs         uint32  `json:"driverGCs"`              // the load generator's garbage collections in the window
	DriverAllocMB     float64 `json:"driverAllocMB"`          // the load generator's heap allocations in the window
	ToSIPp50ms        float64 `json:"toSipP50ms,omitempty"`   // page -> gateway -> echo leg (not timed with -rtp-shared=false: SharedMedia echo)
	ToSIPp99ms        float64 `json:"toSipP99ms,omitempty"`
}

// legHistogram times one leg of the round trip from the send time in each
// packet, in 10 µs buckets up to 200 ms, without allocating per packet.
type legHistogram struct {
	mu      sync.Mutex
	buckets [20000]int64
	n       int64
}

func (h *legHistogram) observe(rtp []byte) {
	if len(rtp) < 12+8 {
		return
	}
	d := time.Since(epoch) - time.Duration(binary.BigEndian.Uint64(rtp[12:]))
	i := min(max(int(d/(10*time.Microsecond)), 0), len(h.buckets)-1)
	h.mu.Lock()
	h.buckets[i]++
	h.n++
	h.mu.Unlock()
}

func (h *legHistogram) quantile(q float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	want := int64(q * float64(h.n))
	var seen int64
	for i, c := range h.buckets {
		if seen += c; seen > want {
			return float64(i) / 100
		}
	}
	return 0
}

type peer struct {
	c        pageConn
	id       uint32
	received atomic.Int64
	mu       sync.Mutex
	rtts     []time.Duration
	at       []time.Duration // send time of each rtt sample
}

var epoch = time.Now()

func (p *peer) onRTP(pkt []byte) {
	if len(pkt) < 12+12 {
		return
	}
	body := pkt[12:]
	if binary.BigEndian.Uint32(body[8:]) != p.id {
		return
	}
	sent := time.Duration(binary.BigEndian.Uint64(body))
	rtt := time.Since(epoch) - sent
	p.received.Add(1)
	p.mu.Lock()
	p.rtts = append(p.rtts, rtt)
	p.at = append(p.at, sent)
	p.mu.Unlock()
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runOnce(n int, window time.Duration, parallel int) (Result, error) {
	res := Result{Calls: n}
	var fwd legHistogram
	echo, err := sipecho.Listen(sipecho.Options{SharedMedia: leanDriver && !rtpShared, EpollMedia: leanDriver && rtpShared, Observe: fwd.observe})
	if err != nil {
		return res, err
	}
	defer echo.Close()
	key := newKey()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd, base, err := startGateway(ctx, echo.Addr().String(), key)
	if err != nil {
		return res, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		return res, err
	}
	pages, err := newPageDialer()
	if err != nil {
		return res, err
	}
	defer pages.close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}}

	peers := make([]*peer, n)
	start := time.Now()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range peers {
		// Room for every sample of the window up front: 500 peers growing
		// their slices at the same sample count made the driver stall
		// (memclr, page faults, GC) every time the counts doubled.
		samples := int(window/packetTime) + 1000
		p := &peer{id: uint32(i + 1), rtts: make([]time.Duration, 0, samples), at: make([]time.Duration, 0, samples)}
		peers[i] = p
		tok, err := sealer.Seal(token.Claims{Destination: "sip:echo@example.com", Audience: origin})
		if err != nil {
			return res, err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			defer scancel()
			c, err := pages.dial(sctx, base+"/call", tok, p.onRTP, hc)
			p.c = c
			if err != nil {
				failed.Add(1)
				log.Printf("page %d: %v", p.id, err)
			}
		}()
	}
	wg.Wait()
	res.SetupSeconds = time.Since(start).Seconds()
	res.SetupFailed = int(failed.Load())

	// Media: every peer sends a packet every 20 ms, phases spread.
	allocSnapshot(base, "start")
	driverAllocs("start")
	g0, err := fetchStats(base)
	if err != nil {
		return res, err
	}
	// The load generator must not stall the round trips it times: its own
	// collector (x/net's ReadBatch allocates an address per datagram,
	// ~40 MB in a 500-call window) stays off during the window, from a
	// freshly collected heap. The gateway's collector runs as configured.
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	d0, t0, m0, k0 := cpuNow(), time.Now(), machineBusy(), ksoftirqdBusy()
	var sent atomic.Int64
	stop := make(chan struct{})
	var sw sync.WaitGroup
	if !idle {
		if leanDriver {
			sw.Add(1)
			go func() {
				defer sw.Done()
				sendAll(peers, &sent, stop, pages.flush)
			}()
		} else {
			sendPerPeer(peers, &sent, stop, &sw)
		}
	}
	driverProfile()
	if os.Getenv("LOADTEST_CPUPROFILE") != "" {
		go func() { _, _ = http.Get(base + "/profile") }()
	}
	time.Sleep(window)
	close(stop)
	sw.Wait()
	g1, err := fetchStats(base)
	allocSnapshot(base, "end")
	driverAllocs("end")
	if err != nil {
		return res, err
	}
	d1, t1, m1, k1 := cpuNow(), time.Now(), machineBusy(), ksoftirqdBusy()
	runtime.ReadMemStats(&ms1)
	res.DriverGCs = ms1.NumGC - ms0.NumGC
	res.DriverAllocMB = float64(ms1.TotalAlloc-ms0.TotalAlloc) / (1 << 20)
	time.Sleep(time.Second) // let the last echoes arrive

	var all []time.Duration
	for _, p := range peers {
		res.Received += p.received.Load()
		p.mu.Lock()
		all = append(all, p.rtts...)
		p.mu.Unlock()
	}
	res.Sent = sent.Load()
	if res.Sent > 0 {
		res.LossPercent = 100 * float64(res.Sent-res.Received) / float64(res.Sent)
	}
	if os.Getenv("LOADTEST_TIMELINE") != "" {
		timeline(peers)
	}
	if path := os.Getenv("LOADTEST_SLOW"); path != "" {
		writeSlow(path, peers)
	}
	slices.Sort(all)
	if len(all) > 0 {
		res.RTTp50ms = ms(all[len(all)/2])
		res.RTTp99ms = ms(all[len(all)*99/100])
		res.RTTmaxms = ms(all[len(all)-1])
	}
	res.ToSIPp50ms, res.ToSIPp99ms = fwd.quantile(0.5), fwd.quantile(0.99)
	wall := t1.Sub(t0)
	gcpu := time.Duration(g1.CPUNanos - g0.CPUNanos)
	res.GatewayCPUPercent = 100 * gcpu.Seconds() / wall.Seconds()
	res.GatewaySysPercent = 100 * time.Duration(g1.SysNanos-g0.SysNanos).Seconds() / wall.Seconds()
	res.RelayedPackets = (g1.PacketsToSIP + g1.PacketsToPage) - (g0.PacketsToSIP + g0.PacketsToPage)
	if res.RelayedPackets > 0 {
		res.CPUMicrosPerPkt = float64(gcpu.Microseconds()) / float64(res.RelayedPackets)
	}
	res.DriverCPUPercent = 100 * (d1 - d0).Seconds() / wall.Seconds()
	res.MachineCPUPercent = 100 * (m1 - m0).Seconds() / wall.Seconds()
	res.OtherCPUPercent = res.MachineCPUPercent - res.GatewayCPUPercent - res.DriverCPUPercent
	res.SoftirqCPUPercent = 100 * (k1 - k0).Seconds() / wall.Seconds()
	res.Pages = *pagesKind
	if res.RelayedPackets > 0 {
		res.GatewayAllocsPkt = float64(g1.Mallocs-g0.Mallocs) / float64(res.RelayedPackets)
	}
	res.GatewayGCs = g1.NumGC - g0.NumGC
	res.GatewayGoroutines = g1.Goroutines
	res.GatewayMaxRSSKB = g1.RSSKB

	// Tear down: DELETE every call, then close the clients.
	for _, p := range peers {
		if p.c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
			defer hcancel()
			_ = p.c.Hangup(hctx)
			_ = p.c.Close()
		}()
	}
	wg.Wait()
	if res.SetupFailed > 0 {
		return res, fmt.Errorf("%d calls failed to set up (result %+v)", res.SetupFailed, res)
	}
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// timeline prints p50/p99/max per second of the window (or per
// LOADTEST_TIMELINE, if that is a duration), by send time, to find where
// latency builds up.
func timeline(peers []*peer) {
	bucket := time.Second
	if d, err := time.ParseDuration(os.Getenv("LOADTEST_TIMELINE")); err == nil && d > 0 {
		bucket = d
	}
	buckets := map[int][]time.Duration{}
	for _, p := range peers {
		p.mu.Lock()
		for i, r := range p.rtts {
			sec := int(p.at[i] / bucket)
			buckets[sec] = append(buckets[sec], r)
		}
		p.mu.Unlock()
	}
	keys := make([]int, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b := buckets[k]
		slices.Sort(b)
		log.Printf("t=%v n=%d p50=%.2fms p99=%.2fms max=%.2fms", time.Duration(k)*bucket, len(b), ms(b[len(b)/2]), ms(b[len(b)*99/100]), ms(b[len(b)-1]))
	}
}

// sendPerPeer sends every peer's packets from its own goroutine and ticker
// (the driver before -lean-driver).
func sendPerPeer(peers []*peer, sent *atomic.Int64, stop chan struct{}, sw *sync.WaitGroup) {
	n := len(peers)
	for i, p := range peers {
		if p.c == nil {
			continue
		}
		sw.Add(1)
		go func() {
			defer sw.Done()
			// spread the phases over one packet time
			select {
			case <-time.After(time.Duration(i) * packetTime / time.Duration(n)):
			case <-stop:
				return
			}
			payload := make([]byte, 160)
			tick := time.NewTicker(packetTime)
			defer tick.Stop()
			for {
				p.send(payload, sent)
				select {
				case <-tick.C:
				case <-stop:
					return
				}
			}
		}()
	}
}

// sendAll sends every peer's packet once per packet time from one
// goroutine: peer i is due at phase i*packetTime/n, served in slots of
// sendSlot, so the driver wakes up 1000 times a second instead of once per
// packet. Each packet still carries its own send time, taken just before it
// is written, so the round trip is measured per packet as before.
func sendAll(peers []*peer, sent *atomic.Int64, stop chan struct{}, flush func()) {
	n := len(peers)
	payload := make([]byte, 160)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := 0 // index of the next peer to send, within the current round
	for round := 0; ; {
		slotEnd := time.Since(start) + sendSlot
		for {
			due := time.Duration(round)*packetTime + time.Duration(next)*packetTime/time.Duration(n)
			if due >= slotEnd {
				break
			}
			if p := peers[next]; p.c != nil {
				p.send(payload, sent)
			}
			if next++; next == n {
				next, round = 0, round+1
			}
		}
		flush() // pages that batch their sends (-pages leanbank) send the slot's packets
		timer.Reset(time.Until(start.Add(slotEnd)))
		select {
		case <-timer.C:
		case <-stop:
			return
		}
	}
}

const packetTime = 20 * time.Millisecond

// sendSlot is how often sendAll wakes up (-send-slot).
var sendSlot = time.Millisecond

func (p *peer) send(payload []byte, sent *atomic.Int64) {
	binary.BigEndian.PutUint64(payload, uint64(time.Since(epoch)))
	binary.BigEndian.PutUint32(payload[8:], p.id)
	if p.c.WriteAudio(payload) == nil {
		sent.Add(1)
	}
}

// allocSnapshot makes the gateway write its allocation profile (only with
// LOADTEST_ALLOCPROFILE).
func allocSnapshot(base, name string) {
	if os.Getenv("LOADTEST_ALLOCPROFILE") == "" {
		return
	}
	if resp, err := http.Get(base + "/allocs?name=" + name); err == nil {
		_ = resp.Body.Close()
	}
}
