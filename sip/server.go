package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
)

// Server is a SIP registrar and policy-checked B2BUA. Set its fields, then
// call [Server.Run] (or [Server.Serve] with your own sockets); cancel the
// context to stop it. Fields must not change after Run starts, and a Server
// runs once. Domain is required; every other zero value is safe.
type Server struct {
	// UDPAddr and TCPAddr are the addresses Run listens on, e.g.
	// "127.0.0.1:5060". An empty address is not served. If both are
	// empty, Run listens on UDP 127.0.0.1:5060.
	UDPAddr string
	TCPAddr string
	// Domain is the SIP domain this server is authoritative for: REGISTER
	// is accepted only for addresses of record in it, and a From in it
	// marks an in-domain caller who must authenticate. Required.
	Domain string
	// Auth verifies digest credentials for REGISTER (401) and for
	// in-domain callers' INVITEs (407). Its realm is used in challenges.
	// If nil, REGISTER is refused with 403 and in-domain callers can only
	// call as unauthenticated (if AllowUnauthenticated) or not at all.
	Auth *digest.Server
	// Locations stores registrations. If nil, a private in-memory store.
	Locations LocationStore
	// Registrar holds binding limits.
	Registrar RegistrarConfig
	// Policy decides which Request-URIs each caller class may reach. If
	// nil, every INVITE is denied (the zero anon.Policy denies everything).
	Policy *anon.Policy
	// AllowUnauthenticated lets callers whose From is neither anonymous
	// nor in Domain call as anon.Unauthenticated. If false (the default)
	// they get 403; in-domain callers are always challenged.
	AllowUnauthenticated bool
	// Router picks the target of an allowed call. If nil, a
	// [LocationRouter] over Locations (registered users only).
	Router Router
	// Dialer places the outbound leg of each bridged call. If nil, allowed
	// calls are answered 503 after routing.
	Dialer *Dialer
	// Limits are the abuse limits; the zero value is safe.
	Limits Limits
	// OnRecord receives a call record at start, answer and end of every
	// call attempt that passed authentication. It is called synchronously
	// from the call's goroutine and must not block. If nil, records only go
	// to Logger.
	OnRecord func(CallRecord)
	// Logger receives server logs (never credentials). If nil,
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock for bindings, bans and records. If nil, time.Now.
	Now func() time.Time
	// UDPReaders is how many goroutines read the UDP socket (each in
	// batches with recvmmsg). On Linux only the first waits on the socket;
	// the others join in once it has been kept busy for 2 ms, and only
	// until the socket is drained. If zero, GOMAXPROCS.
	UDPReaders int
	// UserAgent is the Server header value. If empty, "webdial".
	UserAgent string

	running atomic.Bool
	st      atomic.Pointer[state]
}

// RegistrarConfig bounds registrations.
type RegistrarConfig struct {
	// MaxBindings caps the contacts one address of record may hold. If
	// zero, 5. Negative: no cap.
	MaxBindings int
	// DefaultExpires is used when a REGISTER states no expiry. If zero,
	// 3600 s.
	DefaultExpires time.Duration
	// MinExpires: shorter requested expiries (other than 0) get 423
	// Interval Too Brief. If zero, 60 s.
	MinExpires time.Duration
	// MaxExpires: longer requested expiries are shortened to it. If zero,
	// 7200 s.
	MaxExpires time.Duration
}

func (r RegistrarConfig) withDefaults() RegistrarConfig {
	if r.MaxBindings == 0 {
		r.MaxBindings = 5
	}
	if r.DefaultExpires <= 0 {
		r.DefaultExpires = time.Hour
	}
	if r.MinExpires <= 0 {
		r.MinExpires = time.Minute
	}
	if r.MaxExpires <= 0 {
		r.MaxExpires = 2 * time.Hour
	}
	if r.DefaultExpires > r.MaxExpires {
		r.DefaultExpires = r.MaxExpires
	}
	return r
}

// udpReadBuffer is the socket receive buffer Run asks for.
const udpReadBuffer = 4 << 20

// state is what a running Server owns; built by Serve.
type state struct {
	log         *slog.Logger
	now         func() time.Time
	domain      string
	authSrv     *digest.Server
	policy      *anon.Policy
	dialer      *Dialer
	allowUnauth bool
	onRecord    func(CallRecord)
	reg         RegistrarConfig
	lim         Limits
	locations   LocationStore
	router      Router
	guard       *sourceGuard
	calls       *callCounter
	parser      *sipgosip.Parser
	toTag       string
	userAgent   string

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	client  *sipgo.Client
	udp     *net.UDPConn
	dlgs    *dialogs
	passed  *passSet
	replies *replyCache
	// ownAddrs are this server's and its dialer's socket addresses.
	ownAddrs []netip.AddrPort
	dlgUA    *sipgo.DialogUA
	// dlgUATCP answers calls that came over TCP when UDP is served too:
	// its Contact names the TCP socket, so the caller's ACK and BYE come
	// back over TCP, where the call is known.
	dlgUATCP *sipgo.DialogUA
	ctx      context.Context // cancelled when Serve stops
	wg       sync.WaitGroup
}

// Run listens on UDPAddr and TCPAddr and serves until ctx is cancelled.
// It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context) error {
	udpAddr, tcpAddr := s.UDPAddr, s.TCPAddr
	if udpAddr == "" && tcpAddr == "" {
		udpAddr = "127.0.0.1:5060"
	}
	var pc net.PacketConn
	var ln net.Listener
	var err error
	if udpAddr != "" {
		if pc, err = net.ListenPacket("udp", udpAddr); err != nil {
			return listenError(ErrConfig, "sip: listen udp", err)
		}
		// Absorb bursts (and scheduler stalls on busy hosts) instead of
		// dropping datagrams; the kernel caps it at net.core.rmem_max.
		_ = pc.(*net.UDPConn).SetReadBuffer(udpReadBuffer)
	}
	if tcpAddr != "" {
		if ln, err = net.Listen("tcp", tcpAddr); err != nil {
			if pc != nil {
				pc.Close()
			}
			return listenError(ErrConfig, "sip: listen tcp", err)
		}
	}
	return s.Serve(ctx, pc, ln)
}

// Serve serves on the given sockets (either may be nil, not both) until
// ctx is cancelled, then closes them. pc must be a *net.UDPConn.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	closeAll := func() {
		if pc != nil {
			pc.Close()
		}
		if ln != nil {
			ln.Close()
		}
	}
	if !s.running.CompareAndSwap(false, true) {
		closeAll()
		return ErrServerRunning
	}
	st, err := s.newState(pc, ln)
	if err != nil {
		closeAll()
		return err
	}
	s.st.Store(st)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st.ctx = ctx

	errc := make(chan error, 2+st.readers(s))
	var mux *udpMux
	if st.udp != nil {
		mux = newUDPMux(st, st.udp)
		for i := range st.readers(s) {
			go func() { errc <- mux.read(i == 0) }()
		}
		go func() { errc <- st.srv.ServeUDP(mux.pipe) }()
	}
	if ln != nil {
		go func() { errc <- st.srv.ServeTCP(ln) }()
	}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		st.sweep(ctx)
	}()

	var firstErr error
	select {
	case <-ctx.Done():
	case firstErr = <-errc:
	}
	cancel()
	st.dlgs.hangupAll(10 * time.Second)
	closeAll()
	if mux != nil {
		mux.pipe.Close()
	}
	st.wg.Wait()
	st.ua.Close()
	if firstErr != nil && !errors.Is(firstErr, net.ErrClosed) {
		return fmt.Errorf("sip: serve: %w", firstErr)
	}
	return nil
}

func (st *state) readers(s *Server) int {
	if s.UDPReaders > 0 {
		return s.UDPReaders
	}
	return runtime.GOMAXPROCS(0)
}

func (s *Server) newState(pc net.PacketConn, ln net.Listener) (*state, error) {
	if s.Domain == "" {
		return nil, fmt.Errorf("%w: Domain is empty", ErrConfig)
	}
	if pc == nil && ln == nil {
		return nil, fmt.Errorf("%w: no socket to serve", ErrConfig)
	}
	st := &state{
		log:         s.Logger,
		now:         s.Now,
		domain:      s.Domain,
		authSrv:     s.Auth,
		policy:      s.Policy,
		dialer:      s.Dialer,
		allowUnauth: s.AllowUnauthenticated,
		onRecord:    s.OnRecord,
		reg:         s.Registrar.withDefaults(),
		lim:         s.Limits.withDefaults(),
		locations:   s.Locations,
		router:      s.Router,
		parser:      sipgosip.NewParser(),
		userAgent:   s.UserAgent,
		dlgs:        newDialogs(),
	}
	if st.log == nil {
		st.log = slog.Default()
	}
	if st.now == nil {
		st.now = time.Now
	}
	if st.userAgent == "" {
		st.userAgent = "webdial"
	}
	if st.locations == nil {
		st.locations = NewMemoryLocations()
	}
	if st.router == nil {
		st.router = &LocationRouter{Locations: st.locations, Domain: st.domain, Now: st.now}
	}
	st.guard = newSourceGuard(st.lim, st.now)
	st.passed = newPassSet(st.now)
	st.replies = newReplyCache(st.now)
	st.calls = newCallCounter(st.lim)
	var tag [8]byte
	_, _ = rand.Read(tag[:])
	st.toTag = hex.EncodeToString(tag[:])

	if pc != nil {
		udp, ok := pc.(*net.UDPConn)
		if !ok {
			return nil, fmt.Errorf("%w: packet conn is %T, want *net.UDPConn", ErrConfig, pc)
		}
		st.udp = udp
	}
	// sipgo logs raw messages on parse errors: strip them (they may carry
	// credentials) and keep only warnings and worse.
	sipgoLog := slog.New(&serverLogFilter{next: st.log.Handler(), min: slog.LevelWarn})
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(st.userAgent),
		sipgo.WithUserAgentTransportLayerOptions(
			sipgosip.WithTransportLayerLogger(sipgoLog),
			sipgosip.WithTransportLayerReadFilter(func(p sipgosip.TransportReadProps, data []byte) ([]byte, error) {
				return s.readFilter(p, data), nil
			}),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sipgosip.WithTransactionLayerLogger(sipgoLog),
			// Stray responses (retransmissions, torture input) are
			// dropped quietly instead of going to sipgo's global logger.
			sipgosip.WithTransactionLayerUnhandledResponseHandler(func(*sipgosip.Response) {}),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipgoLog))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipgoLog))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip: client: %w", err)
	}
	st.ua, st.srv, st.client = ua, srv, client
	if pc != nil {
		st.ownAddrs = append(st.ownAddrs, addrPortOf(pc.LocalAddr()))
	}
	if ln != nil {
		st.ownAddrs = append(st.ownAddrs, addrPortOf(ln.Addr()))
	}
	if st.dialer != nil {
		st.ownAddrs = append(st.ownAddrs, st.dialer.Addr())
	}
	st.dlgUA = &sipgo.DialogUA{Client: client, ContactHDR: contactHeader(pc, ln)}
	st.dlgUATCP = st.dlgUA
	if pc != nil && ln != nil {
		st.dlgUATCP = &sipgo.DialogUA{Client: client, ContactHDR: contactHeader(nil, ln)}
	}
	st.routes(srv)
	return st, nil
}

// sweep forgets finished calls every few seconds and drops expired
// bindings once a minute, so memory follows live state.
func (st *state) sweep(ctx context.Context) {
	m, _ := st.locations.(*MemoryLocations)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st.passed.sweep()
			if m != nil && i%12 == 0 {
				m.Sweep(st.now())
			}
		}
	}
}
