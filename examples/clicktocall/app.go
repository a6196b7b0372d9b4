package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/internal/demodest"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc"
)

// defaultListen is the -listen default; only this address falls back to a
// free port when it is taken, so an explicit address never moves.
const defaultListen = "127.0.0.1:8080"

// app is the running program: the page, /token, /call and the SIP side.
type app struct {
	URL     string
	Demo    *demodest.Destination // nil unless cfg.Demo
	Gateway *webrtc.Gateway

	cfg    config
	log    *slog.Logger
	ln     net.Listener
	srv    *http.Server
	dialer *sip.Dialer
	stop   context.CancelFunc // stops the demo destination
	demoCh chan error
}

// newApp builds and binds everything; Serve starts answering.
func newApp(ctx context.Context, cfg config) (_ *app, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	// a is not the named result: "return nil, err" must not change the
	// app the cleanup below and the demo goroutine see.
	a := &app{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			a.close()
		}
	}()

	if a.ln, err = listen(cfg.Listen, a.log); err != nil {
		return nil, err
	}
	a.URL = "http://" + a.ln.Addr().String() + "/"
	origins, err := pageOrigins(cfg.Origins, a.ln.Addr())
	if err != nil {
		return nil, err
	}

	proxy := cfg.SIPProxy
	if cfg.Demo {
		a.Demo, err = demodest.New(demodest.Config{
			Addr: cfg.DemoListen, User: "demo", RingFor: time.Second,
			MaxDuration: cfg.MaxDuration, Logger: a.log.With("component", "demo"),
		})
		if err != nil {
			return nil, err
		}
		var demoCtx context.Context
		demoCtx, a.stop = context.WithCancel(context.Background())
		a.demoCh = make(chan error, 1)
		go func() { a.demoCh <- a.Demo.Run(demoCtx) }()
		if proxy == "" {
			proxy = a.Demo.Addr().String()
		}
	}

	domains := cfg.SIPDomains
	if len(domains) == 0 {
		host := uriHost(cfg.Destination)
		if host == "" {
			return nil, errors.New("-sip-domain is required when the destination does not name a host")
		}
		domains = []string{host}
	}
	policy := &anon.Policy{Domains: domains}
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("-sip-domain: %w", err)
	}
	if cfg.Destination != "" {
		if _, err := policy.Check(anon.Anonymous, cfg.Destination); err != nil {
			return nil, fmt.Errorf("-destination %q is not allowed for anonymous callers: %w", cfg.Destination, err)
		}
	}
	rtpAddr, err := netip.ParseAddr(cfg.RTPAddr)
	if err != nil {
		return nil, fmt.Errorf("-rtp-addr: %w", err)
	}

	a.dialer, err = sip.NewDialer(ctx, sip.DialerConfig{
		LocalAddr: cfg.SIPListen, MaxDuration: cfg.MaxDuration, Logger: a.log.With("component", "sip"),
	})
	if err != nil {
		return nil, err
	}

	// A fresh key per run: tokens live two minutes and die with the process.
	key := make([]byte, token.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		return nil, err
	}
	tokens := &token.Handler{
		Sealer:  sealer,
		Origins: origins,
		NewSubject: func() (string, error) {
			id, err := anon.NewIdentity("Web visitor")
			return id.URI(), err
		},
		// The server, never the page, chooses whom the call reaches.
		Destination: cfg.Destination,
		Limiter:     token.NewMemoryLimiter(30, 10, 10000),
		Logger:      a.log.With("component", "token"),
	}

	gwCfg := webrtc.Config{
		Dialer: a.dialer, Sealer: sealer, Origins: origins, Policy: policy,
		Proxy: proxy, RTPAddr: rtpAddr,
		Limits: webrtc.Limits{MaxDuration: cfg.MaxDuration},
		Logger: a.log.With("component", "webrtc"),
		// The lite engines answer from one host address and port per
		// call (lite) or for the whole gateway (lite-shared).
		ICELite: cfg.Media == "lite" || cfg.Media == "lite-shared", ICELiteShared: cfg.Media == "lite-shared",
	}
	if cfg.ICEIP != "" {
		gwCfg.ICEHostIPs = []string{cfg.ICEIP}
	}
	if cfg.Hooks != "" {
		if err := checkHookURL(cfg.Hooks); err != nil {
			return nil, err
		}
		// The backend decides: see examples/resthook.
		h := &webrtc.HTTPHooks{BaseURL: cfg.Hooks, Logger: a.log.With("component", "hooks")}
		gwCfg.Connect, gwCfg.Call = h, h
	} else {
		user, pass := cfg.SIPUser, cfg.SIPPassword
		gwCfg.Call = webrtc.CallFunc(func(_ context.Context, r webrtc.CallRequest) (webrtc.CallDecision, error) {
			// The callee stays the token's Destination; the credentials
			// come from the server's configuration only.
			return webrtc.CallDecision{SIPLogin: user, SIPPassword: pass}, nil
		})
	}
	if a.Gateway, err = webrtc.New(gwCfg); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	mux.Handle("/", pageHeaders(onlyGet(http.FileServerFS(static))))
	mux.Handle("/token", tokens)
	mux.Handle("/call", a.Gateway)
	mux.Handle("/call/", a.Gateway)
	a.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// POST /call waits for ICE gathering, DELETE for the hang-up.
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  time.Minute,
		ErrorLog:     slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.log.Info("clicktocall ready", "url", a.URL, "origins", strings.Join(originList(cfg.Origins, a.ln.Addr()), ","),
		"destination", cfg.Destination, "sip_domains", domains, "sip_proxy", proxy, "sip_user", cfg.SIPUser,
		"has_password", cfg.SIPPassword != "", "hooks", cfg.Hooks)
	return a, nil
}

// Serve answers HTTP until ctx is done, then ends every call (BYE on the
// SIP side) and releases everything.
func (a *app) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	select {
	case err := <-errc:
		a.close()
		return err
	case <-ctx.Done():
	}
	a.close()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// close shuts down in dependency order: calls, HTTP, SIP, demo.
func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.Gateway != nil {
		_ = a.Gateway.Close(ctx)
	}
	if a.srv != nil {
		_ = a.srv.Shutdown(ctx)
	} else if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.dialer != nil {
		_ = a.dialer.Close()
	}
	if a.stop != nil {
		a.stop()
		<-a.demoCh
	}
}

// listen binds addr; only the default address falls back to a free port.
func listen(addr string, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil && addr == defaultListen && errors.Is(err, syscall.EADDRINUSE) {
		log.Warn("default port busy, using a free one", "addr", addr)
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	return ln, err
}

// originList is the configured origins, or the server's own.
func originList(list []string, addr net.Addr) []string {
	if len(list) > 0 {
		return list
	}
	ap := addr.(*net.TCPAddr).AddrPort()
	own := []string{"http://" + ap.String()}
	if ap.Addr().IsLoopback() {
		own = append(own, fmt.Sprintf("http://localhost:%d", ap.Port()))
	}
	return own
}

func pageOrigins(list []string, addr net.Addr) (*token.Origins, error) {
	o, err := token.ParseOrigins(originList(list, addr)...)
	if err != nil {
		return nil, fmt.Errorf("-origins: %w", err)
	}
	return o, nil
}

// uriHost returns the host of a sip:user@host[:port][;params] URI.
func uriHost(uri string) string {
	_, rest, ok := strings.Cut(uri, "@")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, ";")
	if h, _, err := net.SplitHostPort(rest); err == nil {
		return h
	}
	return rest
}

// pageHeaders adds the page's security headers: scripts and styles only
// from this server, no framing, no referrer.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; media-src 'self' blob: mediastream:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// checkHookURL accepts an http(s) base URL.
func checkHookURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-hooks %q: want an http(s) base URL", base)
	}
	return nil
}

// onlyGet refuses anything but GET and HEAD for the static page.
func onlyGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}
