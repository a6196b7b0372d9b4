// resthook is a REST hook backend for the click-to-call gateway
// (webrtc.HTTPHooks), in the shape of reference 002: the gateway POSTs
// /connect (may this page connect?) and /call (whom does this call reach,
// with which SIP credentials?). It
// refuses pages whose Origin is not exactly on its allow-list (403), and
// OVERWRITES the callee and the SIP login and password with its own values,
// so neither ever comes from, or reaches, the page.
//
// Run it beside clicktocall:
//
//	go run ./examples/resthook &
//	go run ./examples/clicktocall -hooks http://127.0.0.1:8090
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/webdial/webdial/examples/internal/exampleflag"
	"github.com/webdial/webdial/examples/internal/hookwire"
	"github.com/webdial/webdial/token"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx is done. If ready is not nil it receives the
// listening address once the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("resthook", flag.ContinueOnError)
	fs.SetOutput(logOut)
	var (
		listen  = exampleflag.String(fs, getenv, "listen", "WEBDIAL_HOOK_LISTEN", "127.0.0.1:8090", "address to serve /connect and /call on")
		origins = exampleflag.String(fs, getenv, "origins", "WEBDIAL_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080", "comma-separated page origins allowed to call, matched exactly")
		callee  = exampleflag.String(fs, getenv, "callee", "WEBDIAL_DESTINATION", "sip:demo@localhost", "callee every call is sent to: a SIP URI, or a user/number in -sip-domain")
		domain  = exampleflag.String(fs, getenv, "sip-domain", "WEBDIAL_SIP_DOMAIN", "", "SIP domain for a bare -callee")
		proxy   = exampleflag.String(fs, getenv, "sip-proxy", "WEBDIAL_SIP_PROXY", "", "outbound SIP proxy host[:port]")
		user    = exampleflag.String(fs, getenv, "sip-user", "WEBDIAL_SIP_USER", "", "SIP login for the server's digest challenges")
		pass    = exampleflag.Secret(fs, getenv, "sip-password", "WEBDIAL_SIP_PASSWORD", "SIP password for -sip-user")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	allowed, err := token.ParseOrigins(exampleflag.List(*origins)...)
	if err != nil {
		return fmt.Errorf("-origins: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	h := &hookwire.Backend{
		Origins: allowed,
		Decision: hookwire.Decision{
			Callee: *callee, SIPDomain: *domain, SIPOutboundProxy: *proxy,
			SIPLogin: *user, SIPPassword: *pass,
		},
		Logger: logger,
	}
	if c := h.Decision.Decision().Callee; !strings.Contains(c, ":") {
		return fmt.Errorf("-callee %q: need a sip:/tel: URI, or -sip-domain for a bare user", *callee)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("resthook listening", "url", "http://"+ln.Addr().String(), "origins", *origins,
		"callee", h.Decision.Decision().Callee, "sip_user", *user, "has_password", *pass != "")
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
