// clicktocall is a complete click-to-call server in one program: it serves
// a web page with a Call button, the token endpoint the page asks for a
// short-lived call token (token.Handler), the WebRTC gateway that turns the
// page's call into a SIP call (webrtc.Gateway over sip.Dialer), and, unless
// told otherwise, an embedded demo destination on loopback that answers,
// plays a chime and echoes what it hears.
//
// With no configuration everything listens on 127.0.0.1 and the call
// reaches the demo destination:
//
//	go run ./examples/clicktocall
//
// Flags (or WEBDIAL_* environment variables) point it at a real PBX:
//
//	WEBDIAL_SIP_PASSWORD=secret go run ./examples/clicktocall -demo=false \
//	    -destination sip:sales@pbx.example -sip-user 1001
//
// The page never sees the destination or the SIP credentials: the server
// puts the destination in the call token it seals, and the credentials are
// used only by the server's SIP leg.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/webdial/webdial/examples/internal/exampleflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	a, err := newApp(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("webdial click-to-call demo: open %s\n", a.URL)
	if cfg.Demo {
		fmt.Printf("calls go to the embedded demo destination on %s: it plays a chime and echoes your voice\n", a.Demo.Addr())
	} else {
		fmt.Printf("calls go to %s\n", cfg.Destination)
	}
	if err := a.Serve(ctx); err != nil {
		log.Fatal(err)
	}
}

// config is everything the program can be told.
type config struct {
	Listen      string        // HTTP address for the page, /token and /call
	Origins     []string      // allowed page origins; empty: the page's own
	Demo        bool          // run the embedded demo destination
	DemoListen  string        // demo destination's SIP address
	Destination string        // the callee every call reaches
	SIPDomains  []string      // domains the policy lets anonymous callers reach
	SIPProxy    string        // outbound SIP proxy
	SIPListen   string        // the SIP dialer's local address
	SIPUser     string        // server-held SIP login (never sent to the page)
	SIPPassword string        // server-held SIP password (never sent to the page)
	RTPAddr     string        // local address of the SIP-side RTP sockets
	Hooks       string        // base URL of a REST hook backend (resthook)
	Media       string        // page-side media engine: "pion" (or ""), "lite" or "lite-shared"
	ICEIP       string        // lite engines: the address pages reach; empty: 127.0.0.1
	MaxDuration time.Duration // longest call
	LogLevel    slog.Level
	Logger      *slog.Logger
}

// demoDestination is the callee when the demo destination answers: its
// host is only a name the policy allows, since every INVITE is sent to the
// demo's address as the outbound proxy.
const demoDestination = "sip:demo@localhost"

func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	fs := flag.NewFlagSet("clicktocall", flag.ContinueOnError)
	fs.SetOutput(out)
	var (
		listen      = exampleflag.String(fs, getenv, "listen", "WEBDIAL_LISTEN", "127.0.0.1:8080", "HTTP listen address for the page, /token and /call (a busy default port falls back to a free one)")
		origins     = exampleflag.String(fs, getenv, "origins", "WEBDIAL_ORIGINS", "", "comma-separated page origins allowed to call (default: this server's own http://127.0.0.1:PORT and http://localhost:PORT)")
		demo        = fs.Bool("demo", getenv("WEBDIAL_DEMO") != "false", "run the embedded demo destination and send calls to it ($WEBDIAL_DEMO)")
		demoListen  = exampleflag.String(fs, getenv, "demo-listen", "WEBDIAL_DEMO_LISTEN", "127.0.0.1:0", "SIP address of the demo destination")
		destination = exampleflag.String(fs, getenv, "destination", "WEBDIAL_DESTINATION", "", "SIP URI every call reaches (default with -demo: "+demoDestination+")")
		domains     = exampleflag.String(fs, getenv, "sip-domain", "WEBDIAL_SIP_DOMAIN", "", "comma-separated SIP domains calls may reach (default: the destination's host)")
		proxy       = exampleflag.String(fs, getenv, "sip-proxy", "WEBDIAL_SIP_PROXY", "", "outbound SIP proxy host:port (default with -demo: the demo destination)")
		sipListen   = exampleflag.String(fs, getenv, "sip-listen", "WEBDIAL_SIP_LISTEN", "127.0.0.1:0", "local SIP (UDP) address of the gateway's dialer")
		sipUser     = exampleflag.String(fs, getenv, "sip-user", "WEBDIAL_SIP_USER", "", "SIP login for the server's digest challenges")
		sipPassword = exampleflag.Secret(fs, getenv, "sip-password", "WEBDIAL_SIP_PASSWORD", "SIP password for -sip-user")
		rtpAddr     = exampleflag.String(fs, getenv, "rtp-addr", "WEBDIAL_RTP_ADDR", "127.0.0.1", "local IP of the SIP-side RTP sockets (the c= address offered to the SIP side)")
		hooks       = exampleflag.String(fs, getenv, "hooks", "WEBDIAL_HOOKS", "", "base URL of a REST hook backend that decides each call, e.g. http://127.0.0.1:8090 (see examples/resthook)")
		media       = exampleflag.String(fs, getenv, "media", "WEBDIAL_MEDIA", "pion", "page-side media engine: pion (a pion PeerConnection per call), lite (webdial's ICE-lite engine, less CPU per packet; the page must reach -ice-ip) or lite-shared (lite, every call on one UDP port)")
		iceIP       = exampleflag.String(fs, getenv, "ice-ip", "WEBDIAL_ICE_IP", "", "with -media lite or lite-shared: the one local IP pages reach the gateway at (default 127.0.0.1)")
		verbose     = fs.Bool("v", false, "debug logging")
	)
	maxDuration, err := exampleflag.Duration(fs, getenv, "max-duration", "WEBDIAL_MAX_DURATION", 10*time.Minute, "longest call")
	if err != nil {
		return config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c := config{
		Listen: *listen, Origins: exampleflag.List(*origins), Demo: *demo, DemoListen: *demoListen,
		Destination: *destination, SIPDomains: exampleflag.List(*domains), SIPProxy: *proxy,
		SIPListen: *sipListen, SIPUser: *sipUser, SIPPassword: *sipPassword, RTPAddr: *rtpAddr,
		Hooks: *hooks, Media: *media, ICEIP: *iceIP, MaxDuration: *maxDuration, LogLevel: slog.LevelInfo,
	}
	switch c.Media {
	case "pion", "lite", "lite-shared":
	default:
		return config{}, fmt.Errorf("-media %q: want pion, lite or lite-shared", c.Media)
	}
	if c.ICEIP != "" && c.Media == "pion" {
		return config{}, errors.New("-ice-ip needs -media lite or lite-shared")
	}
	if *verbose {
		c.LogLevel = slog.LevelDebug
	}
	if c.Destination == "" {
		if !c.Demo && c.Hooks == "" {
			return config{}, errors.New("-demo=false needs -destination (or -hooks)")
		}
		if c.Demo {
			c.Destination = demoDestination
		}
	}
	return c, nil
}
