//go:build unix

package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
)

// Result is one run's figures.
type Result struct {
	Impl            string  `json:"impl"`
	Calls           int     `json:"calls"`
	SetupSeconds    float64 `json:"setupSeconds"`
	SetupCPUms      float64 `json:"relaySetupCpuMsPerCall"` // relay CPU from first offer to all connected, per call
	WindowSeconds   float64 `json:"windowSeconds"`          // measured; longer than asked means the driver fell behind
	Sent            int64   `json:"sent"`
	Received        int64   `json:"received"`
	LossPercent     float64 `json:"lossPercent"`
	RTTp50ms        float64 `json:"rttP50ms"`
	RTTp99ms        float64 `json:"rttP99ms"`
	RTTmaxms        float64 `json:"rttMaxMs"`
	RelayCPUPercent float64 `json:"relayCpuPercent"`
	RelaySysPercent float64 `json:"relaySysPercent"`
	RelayedPackets  uint64  `json:"relayedPackets"`
	CPUMicrosPerPkt float64 `json:"relayCpuMicrosPerPacket"`
	DriverCPU       float64 `json:"driverCpuPercent"`
	Goroutines      int     `json:"relayGoroutines"`
	RSSKB           int64   `json:"relayMaxRssKB"`
	AllocsPerPkt    float64 `json:"relayAllocsPerPacket"`
	GCs             uint32  `json:"relayGCs"`
}

// peer is one page and the round trips it measured; epoch is the
// driver's time origin for the send times carried in payloads.
type peer struct {
	c        *pageclient.Client
	id       uint32
	epoch    time.Time
	received atomic.Int64
	mu       sync.Mutex
	rtts     []time.Duration
}

// onRTP measures the round trip of an echoed packet: its payload carries
// the send time (ns since epoch) and the page's id.
func (p *peer) onRTP(pkt []byte) {
	if len(pkt) < 12+12 {
		return
	}
	body := pkt[12:]
	if binary.BigEndian.Uint32(body[8:]) != p.id {
		return
	}
	rtt := time.Since(p.epoch) - time.Duration(binary.BigEndian.Uint64(body))
	p.received.Add(1)
	p.mu.Lock()
	p.rtts = append(p.rtts, rtt)
	p.mu.Unlock()
}

func (p *peer) send(payload []byte, sent *atomic.Int64) {
	binary.BigEndian.PutUint64(payload, uint64(time.Since(p.epoch)))
	binary.BigEndian.PutUint32(payload[8:], p.id)
	if p.c.WriteAudio(payload) == nil {
		sent.Add(1)
	}
}

const packetTime = 20 * time.Millisecond

// sendAll sends every page's packet once per packet time from one
// goroutine, page i at phase i*packetTime/n, in 1 ms slots (as
// webrtc/internal/loadtest's lean driver does).
func sendAll(peers []*peer, sent *atomic.Int64, stop chan struct{}) {
	const slot = time.Millisecond
	n := len(peers)
	payload := make([]byte, 160)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := 0
	for round := 0; ; {
		slotEnd := time.Since(start) + slot
		for {
			due := time.Duration(round)*packetTime + time.Duration(next)*packetTime/time.Duration(n)
			if due >= slotEnd {
				break
			}
			if p := peers[next]; p.c != nil {
				p.send(payload, sent)
			}
			// A driver that cannot keep up never leaves this loop by
			// time alone; stop must still end the window.
			if next%64 == 0 {
				select {
				case <-stop:
					return
				default:
				}
			}
			if next++; next == n {
				next, round = 0, round+1
			}
		}
		timer.Reset(time.Until(start.Add(slotEnd)))
		select {
		case <-timer.C:
		case <-stop:
			return
		}
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runOnce(impl string, n int, window time.Duration, profile string) (Result, error) {
	res := Result{Impl: impl, Calls: n}
	echo, err := listenEcho()
	if err != nil {
		return res, err
	}
	defer echo.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd, base, err := startRelay(ctx, impl, echo.addr(), profile)
	if err != nil {
		return res, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	const parallel = 20
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: parallel}}
	s0, err := fetchStats(base)
	if err != nil {
		return res, err
	}
	epoch := time.Now()
	peers := make([]*peer, n)
	start := time.Now()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range peers {
		p := &peer{id: uint32(i + 1), epoch: epoch}
		peers[i] = p
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			defer scancel()
			c, err := pageclient.Dial(sctx, pageclient.Options{URL: base + "/call", OnRTP: p.onRTP, HTTP: hc})
			if err != nil {
				failed.Add(1)
				log.Printf("setup %d: %v", p.id, err)
				return
			}
			p.c = c
			if err := c.ConnectedWithin(sctx); err != nil {
				failed.Add(1)
				log.Printf("connect %d: %v", p.id, err)
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, p := range peers {
			if p.c != nil {
				_ = p.c.Close()
			}
		}
	}()
	res.SetupSeconds = time.Since(start).Seconds()
	if f := failed.Load(); f > 0 {
		return res, fmt.Errorf("%d calls failed to set up", f)
	}

	g0, err := fetchStats(base)
	if err != nil {
		return res, err
	}
	res.SetupCPUms = float64(g0.CPUNanos-s0.CPUNanos) / 1e6 / float64(n)
	d0, t0 := cpuNow(), time.Now()
	var sent atomic.Int64
	stop := make(chan struct{})
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		if !idle {
			sendAll(peers, &sent, stop)
		}
	}()
	if profile != "" {
		go func() {
			if resp, err := http.Get(base + "/profile"); err == nil {
				_ = resp.Body.Close()
			}
		}()
	}
	time.Sleep(window) // the measurement window
	close(stop)
	<-sendDone
	g1, err := fetchStats(base)
	if err != nil {
		return res, err
	}
	d1, t1 := cpuNow(), time.Now()
	time.Sleep(time.Second) // let the last echoes arrive before counting loss

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
	slices.Sort(all)
	if len(all) > 0 {
		res.RTTp50ms = ms(all[len(all)/2])
		res.RTTp99ms = ms(all[len(all)*99/100])
		res.RTTmaxms = ms(all[len(all)-1])
	}
	wall := t1.Sub(t0)
	res.WindowSeconds = wall.Seconds()
	cpu := time.Duration(g1.CPUNanos - g0.CPUNanos)
	res.RelayCPUPercent = 100 * cpu.Seconds() / wall.Seconds()
	res.RelaySysPercent = 100 * time.Duration(g1.SysNanos-g0.SysNanos).Seconds() / wall.Seconds()
	res.RelayedPackets = (g1.PacketsToSIP + g1.PacketsToPage) - (g0.PacketsToSIP + g0.PacketsToPage)
	if res.RelayedPackets > 0 {
		res.CPUMicrosPerPkt = float64(cpu.Nanoseconds()) / 1000 / float64(res.RelayedPackets)
		res.AllocsPerPkt = float64(g1.Mallocs-g0.Mallocs) / float64(res.RelayedPackets)
	}
	res.DriverCPU = 100 * (d1 - d0).Seconds() / wall.Seconds()
	res.Goroutines, res.RSSKB, res.GCs = g1.Goroutines, g1.RSSKB, g1.NumGC-g0.NumGC
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startRelay re-executes this program as the relay and returns its base
// URL.
func startRelay(ctx context.Context, impl, echo, profile string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, self, "-role", "relay", "-impl", impl, "-echo", echo, "-cpuprofile", profile)
	cmd.Stderr = os.Stderr
	if relayProcs > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(relayProcs))
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
		_ = cmd.Wait()
		return nil, "", fmt.Errorf("relay did not start: %w", err)
	}
	return cmd, line, nil
}

func fetchStats(base string) (relayStats, error) {
	var s relayStats
	resp, err := http.Get(base + "/stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}
