//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// counters are the relay's packet counts, shared by every call.
type counters struct {
	toSIP, toPage atomic.Uint64
}

// relayImpl sets up one relayed call from the page's offer.
type relayImpl interface {
	newCall(offer string) (answer string, c io.Closer, err error)
}

type relayStats struct {
	CPUNanos      int64  `json:"cpuNanos"`
	SysNanos      int64  `json:"sysNanos"`
	PacketsToSIP  uint64 `json:"packetsToSip"`
	PacketsToPage uint64 `json:"packetsToPage"`
	Calls         int    `json:"calls"`
	Goroutines    int    `json:"goroutines"`
	RSSKB         int64  `json:"rssKB"`
	Mallocs       uint64 `json:"mallocs"`
	NumGC         uint32 `json:"numGC"`
}

// runRelay serves POST /call (offer in, 201 + answer out), GET /stats and
// GET /profile on loopback and prints its base URL on stdout.
func runRelay(impl, echo, profile string) error {
	echoAddr, err := netip.ParseAddrPort(echo)
	if err != nil {
		return fmt.Errorf("bad -echo: %w", err)
	}
	var st counters
	var r relayImpl
	switch impl {
	case "lite", "lite-shared":
		r, err = newLiteRelay(echoAddr, &st, impl == "lite-shared")
	default:
		r, err = newPionRelay(echoAddr, &st)
	}
	if err != nil {
		return err
	}
	var mu sync.Mutex
	calls := map[int]io.Closer{}
	next := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /call", func(w http.ResponseWriter, req *http.Request) {
		offer, err := io.ReadAll(io.LimitReader(req.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer, c, err := r.newCall(string(offer))
		if err != nil {
			log.Printf("call: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		next++
		id := next
		calls[id] = c
		mu.Unlock()
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", fmt.Sprintf("/call/%d", id))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, answer)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(relayStats{
			CPUNanos: ru.Utime.Nano() + ru.Stime.Nano(), SysNanos: ru.Stime.Nano(),
			PacketsToSIP: st.toSIP.Load(), PacketsToPage: st.toPage.Load(), Calls: n,
			Goroutines: runtime.NumGoroutine(), RSSKB: ru.Maxrss, Mallocs: ms.Mallocs, NumGC: ms.NumGC,
		})
	})
	mux.HandleFunc("GET /profile", func(w http.ResponseWriter, _ *http.Request) {
		if profile == "" {
			http.Error(w, "no -cpuprofile", http.StatusNotFound)
			return
		}
		f, err := os.Create(profile)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = pprof.StartCPUProfile(f)
		time.Sleep(10 * time.Second) // the profile's window, not a synchronisation
		pprof.StopCPUProfile()
		_ = f.Close()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	srv := &http.Server{Handler: mux}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		<-ch
		mu.Lock()
		for _, c := range calls {
			_ = c.Close()
		}
		mu.Unlock()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// sipSocket is a call's socket towards the echo, as the gateway has one
// per call towards the SIP side.
func sipSocket() (*net.UDPConn, error) {
	return net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
}
