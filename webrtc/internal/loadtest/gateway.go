//go:build unix

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc"
)

const origin = "https://load.example.com"

func runGateway(proxy, keyHex string, iceLite, iceLiteShared, rtpShared bool) error {
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		return err
	}
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dialer, err := sip.NewDialer(ctx, sip.DialerConfig{Logger: quiet})
	if err != nil {
		return err
	}
	defer dialer.Close()
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		return err
	}
	origins, err := token.ParseOrigins(origin)
	if err != nil {
		return err
	}
	gw, err := webrtc.New(webrtc.Config{
		Dialer: dialer, Sealer: sealer, Origins: origins,
		Policy:  &anon.Policy{Domains: []string{"example.com"}},
		Proxy:   proxy,
		Limits:  webrtc.Limits{MaxCalls: 5000, MaxCallsPerOrigin: 5000, MaxCallsPerClient: 5000},
		Logger:  quiet,
		ICELite: iceLite, ICELiteShared: iceLiteShared, RTPShared: rtpShared,
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/call", gw)
	mux.Handle("/call/", gw)
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		s := gw.Stats()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(gatewayStats{
			Mallocs: ms.Mallocs, NumGC: ms.NumGC,
			CPUNanos:     ru.Utime.Nano() + ru.Stime.Nano(),
			SysNanos:     ru.Stime.Nano(),
			PacketsToSIP: s.PacketsToSIP, PacketsToPage: s.PacketsToPage,
			Active: s.ActiveCalls, Goroutines: runtime.NumGoroutine(), RSSKB: ru.Maxrss,
		})
	})
	if path := os.Getenv("LOADTEST_CPUPROFILE"); path != "" {
		mux.HandleFunc("/profile", func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Create(path)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			_ = pprof.StartCPUProfile(f)
			time.Sleep(10 * time.Second)
			pprof.StopCPUProfile()
			_ = f.Close()
		})
	}
	if path := os.Getenv("LOADTEST_ALLOCPROFILE"); path != "" {
		// Every allocation is sampled; the driver asks for a snapshot at
		// the start and the end of the window (name=start, name=end) so
		// that pprof -base shows the window alone.
		runtime.MemProfileRate = 1
		mux.HandleFunc("/allocs", func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Create(path + "." + r.URL.Query().Get("name"))
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			runtime.GC() // the profile reports as of the last GC
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			_ = f.Close()
		})
	}
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
		_ = gw.Close(ctx)
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
