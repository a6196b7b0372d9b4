package sip

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Dialer defaults applied to zero DialerConfig fields.
const (
	DefaultDialerAddr  = "127.0.0.1:0"
	DefaultRingTimeout = 60 * time.Second
	DefaultMaxDuration = 4 * time.Hour
	DefaultUserAgent   = "webdial"
)

// Bounds on the dialer's own waits, so no goroutine outlives its purpose.
const (
	// provisionalWait bounds how long a cancelled INVITE waits for a
	// first response before giving up without CANCEL (RFC 3261 §9.1
	// forbids CANCEL before a provisional response).
	provisionalWait = 4 * time.Second
	// finalWait bounds the wait for 487 (or a racing 2xx) after CANCEL:
	// 64*T1, as RFC 3261 §9.1 allows.
	finalWait = 32 * time.Second
	// closeByeTimeout bounds each BYE sent by Dialer.Close.
	closeByeTimeout = 4 * time.Second
	// maxInviteAttempts bounds INVITEs per Dial (first + auth retries).
	maxInviteAttempts = 5
)

// DialerConfig configures a [Dialer]. Every zero value is a safe default.
type DialerConfig struct {
	// LocalAddr is the "host:port" the dialer binds (UDP socket or TCP
	// listener, see Transport); it is also the address in Contact (and
	// in Via over UDP), so it must be reachable by
	// the peers (an IP, not 0.0.0.0). If empty, "127.0.0.1:0": loopback,
	// port chosen by the OS. Call [Dialer.Addr] for the bound address.
	LocalAddr string
	// Transport is "udp" or "tcp". With TCP, LocalAddr is a listener for
	// requests the peer opens connections for, and outbound requests go
	// on connections the dialer opens (and reuses) to each peer. If
	// empty, "udp".
	Transport string
	// UserAgent is the User-Agent header value. If empty, "webdial".
	UserAgent string
	// RingTimeout bounds the wait for a final response to an INVITE;
	// when it elapses the INVITE is cancelled and Dial returns
	// ErrRingTimeout. If zero, 60 seconds. Negative is invalid.
	RingTimeout time.Duration
	// MaxDuration ends an answered call with BYE (Cause EndMaxDuration).
	// If zero, 4 hours. Negative is invalid.
	MaxDuration time.Duration
	// Logger receives the dialer's and sipgo's logs. Passwords,
	// Authorization headers and SDP bodies are never logged by the
	// dialer. If nil, logs are discarded.
	Logger *slog.Logger
}

// Dialer places outbound SIP calls (INVITE) from one local socket,
// answering Digest challenges with server-held credentials. It owns its
// sipgo user agent; call Close to end every call and release the socket.
// A Dialer is safe for concurrent use.
type Dialer struct {
	cfg  DialerConfig
	log  *slog.Logger
	ua   *sipgo.UserAgent
	cli  *sipgo.Client
	srv  *sipgo.Server
	sock *dialerSocket
	addr netip.AddrPort
	// laddr pins every UDP request to the bound socket (nil for TCP).
	laddr *sipmsg.Addr

	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	serveDone chan struct{}

	mu     sync.Mutex
	closed bool
	calls  map[string]*Call // answered calls by Call-ID
	wg     sync.WaitGroup   // Dial calls and their background work
}

// NewDialer binds the local socket and starts receiving in-dialog
// requests (BYE, re-INVITE, OPTIONS). ctx bounds only the setup.
func NewDialer(ctx context.Context, cfg DialerConfig) (*Dialer, error) {
	if cfg.LocalAddr == "" {
		cfg.LocalAddr = DefaultDialerAddr
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.RingTimeout < 0 || cfg.MaxDuration < 0 {
		return nil, fmt.Errorf("%w: negative RingTimeout or MaxDuration", ErrBadDialerConfig)
	}
	if cfg.RingTimeout == 0 {
		cfg.RingTimeout = DefaultRingTimeout
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n") {
		return nil, fmt.Errorf("%w: UserAgent contains a line break", ErrBadDialerConfig)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "sip.Dialer")

	network := strings.ToLower(cfg.Transport)
	if network == "" {
		network = "udp"
	}
	sock, err := listenDialer(ctx, network, cfg.LocalAddr)
	if err != nil {
		return nil, err
	}
	ap := sock.addr

	d := &Dialer{
		cfg:       cfg,
		log:       log,
		sock:      sock,
		addr:      ap,
		serveDone: make(chan struct{}),
		calls:     make(map[string]*Call),
	}
	if network == "udp" {
		d.laddr = &sipmsg.Addr{IP: net.IP(ap.Addr().AsSlice()), Port: int(ap.Port()), Hostname: ap.Addr().String()}
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())

	sipLog := quietSDPLogger(log)
	d.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(ap.Addr().String()),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sipmsg.WithTransactionLayerLogger(sipLog),
			sipmsg.WithTransactionLayerUnhandledResponseHandler(d.strayResponse),
		),
	)
	if err == nil {
		d.cli, err = sipgo.NewClient(d.ua, sipgo.WithClientLogger(sipLog))
	}
	if err == nil {
		d.srv, err = sipgo.NewServer(d.ua, sipgo.WithServerLogger(sipLog))
	}
	if err != nil {
		sock.Close()
		if d.ua != nil {
			d.ua.Close()
		}
		return nil, fmt.Errorf("sip: dialer user agent: %w", err)
	}
	d.srv.OnBye(d.onBye)
	d.srv.OnInvite(d.onInvite)
	d.srv.OnAck(func(*sipmsg.Request, sipmsg.ServerTransaction) {})
	d.srv.OnOptions(d.onOptions)
	d.srv.OnNoRoute(d.onOther)

	go func() {
		defer close(d.serveDone)
		_ = sock.serve(d.srv)
	}()
	select {
	case <-sock.ready:
	case <-d.serveDone:
		d.ua.Close()
		sock.Close()
		return nil, fmt.Errorf("sip: dialer could not serve %s %s", network, ap)
	}
	log.Debug("dialer listening", "network", network, "addr", ap.String())
	return d, nil
}

// Addr returns the bound local address (the Contact address).
func (d *Dialer) Addr() netip.AddrPort { return d.addr }

// Close cancels pending Dials (CANCEL), ends every answered call with
// BYE (each bounded by a few seconds), waits for the dialer's background
// work, and closes the socket. It is safe to call more than once.
func (d *Dialer) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		<-d.serveDone
		return nil
	}
	d.closed = true
	calls := make([]*Call, 0, len(d.calls))
	for _, c := range d.calls {
		calls = append(calls, c)
	}
	d.mu.Unlock()

	d.cancel()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), closeByeTimeout)
			defer cancel()
			_ = c.hangup(ctx, EndDialerClosed)
		}()
	}
	wg.Wait()
	d.wg.Wait()

	err := d.ua.Close()
	if cerr := d.sock.Close(); cerr != nil && err == nil {
		err = cerr
	}
	<-d.serveDone
	return err
}

// track registers work that Close must wait for; false after Close.
func (d *Dialer) track() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.wg.Add(1)
	return true
}

// addCall registers an answered call; false if the dialer is closing.
func (d *Dialer) addCall(c *Call) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.calls[c.callID] = c
	return true
}

func (d *Dialer) removeCall(c *Call) {
	d.mu.Lock()
	if d.calls[c.callID] == c {
		delete(d.calls, c.callID)
	}
	d.mu.Unlock()
}

func (d *Dialer) findCall(callID string) *Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[callID]
}

// contact is the dialer's Contact: the bound socket address.
func (d *Dialer) contact() *sipmsg.ContactHeader {
	c := &sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "webdial",
		Host: d.addr.Addr().String(), Port: int(d.addr.Port())}}
	if d.sock.network == "tcp" {
		c.Address.UriParams = sipmsg.NewParams()
		c.Address.UriParams.Add("transport", "tcp")
	}
	return c
}

// reqOpt prepares requests the dialer builds itself: a fresh Via if
// none, Content-Length, and the bound socket as the sending address.
func (d *Dialer) reqOpt(c *sipgo.Client, r *sipmsg.Request) error {
	if r.Via() == nil {
		if err := sipgo.ClientRequestAddVia(c, r); err != nil {
			return err
		}
	}
	if r.Body() == nil {
		r.SetBody(nil)
	}
	if d.laddr != nil {
		d.laddr.Copy(&r.Laddr)
	}
	return nil
}

// respond answers a request, logging (not returning) transport errors.
func (d *Dialer) respond(req *sipmsg.Request, tx sipmsg.ServerTransaction, code int, reason string) {
	res := sipmsg.NewResponseFromRequest(req, code, reason, nil)
	if err := tx.Respond(res); err != nil {
		d.log.Debug("respond failed", "method", string(req.Method), "status", code, "error", err)
	}
}

func (d *Dialer) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	c := d.matchDialog(req)
	if c == nil {
		d.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.respond(req, tx, 200, "OK")
	c.end(EndRemoteHangup)
}

func (d *Dialer) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if d.matchDialog(req) != nil {
		// Re-INVITE: media changes are not supported; the call goes on
		// with the negotiated session (RFC 3261 §14.2).
		d.respond(req, tx, 488, "Not Acceptable Here")
		return
	}
	d.respond(req, tx, 403, "Forbidden")
}

func (d *Dialer) onOptions(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
	if err := tx.Respond(res); err != nil {
		d.log.Debug("respond failed", "method", "OPTIONS", "error", err)
	}
}

func (d *Dialer) onOther(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if d.matchDialog(req) == nil {
		d.respond(req, tx, 481, "Call/Transaction Does Not Exist")
		return
	}
	d.respond(req, tx, 405, "Method Not Allowed")
}

// matchDialog finds the answered call an in-dialog request belongs to:
// Call-ID, our tag in To and the peer's tag in From must all match.
func (d *Dialer) matchDialog(req *sipmsg.Request) *Call {
	cid, from, to := req.CallID(), req.From(), req.To()
	if cid == nil || from == nil || to == nil {
		return nil
	}
	c := d.findCall(cid.Value())
	if c == nil {
		return nil
	}
	ft, _ := from.Params.Get("tag")
	tt, _ := to.Params.Get("tag")
	if ft != c.remoteTag || tt != c.localTag {
		return nil
	}
	return c
}

// strayResponse handles responses no transaction claims: a 2xx to an
// INVITE retransmitted after the transaction ended must be ACKed again,
// and a 2xx from another fork must be ACKed and released with BYE.
func (d *Dialer) strayResponse(res *sipmsg.Response) {
	cseq, cid := res.CSeq(), res.CallID()
	if !res.IsSuccess() || cseq == nil || cseq.MethodName != sipmsg.INVITE || cid == nil {
		return
	}
	if c := d.findCall(cid.Value()); c != nil {
		c.on2xxRetransmission(res)
	}
}
