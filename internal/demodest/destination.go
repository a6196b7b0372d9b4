package demodest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// closeWait bounds how long Close waits for BYE transactions and calls to
// finish.
const closeWait = 5 * time.Second

// Destination is a running demo SIP user agent. Create it with [New], serve
// it with [Destination.Run], stop it with [Destination.Close].
type Destination struct {
	cfg  Config
	log  *slog.Logger
	addr netip.AddrPort
	conn *net.UDPConn

	ua       *sipgo.UserAgent
	srv      *sipgo.Server
	dialogUA *sipgo.DialogUA

	// ctx is cancelled by Close; every call watches it.
	ctx    context.Context
	cancel context.CancelFunc
	calls  sync.WaitGroup

	rtpReceived atomic.Uint64
	rtpSent     atomic.Uint64

	mu        sync.Mutex
	closed    bool
	active    map[string]*sipgo.DialogServerSession // by dialog ID
	reserved  int                                   // calls between INVITE and end
	answered  int
	digits    strings.Builder
	byeRecv   int
	byeSent   int
	closeOnce sync.Once
}

// New binds the SIP socket and prepares the user agent. The destination
// does not answer until [Destination.Run] is called.
func New(cfg Config) (*Destination, error) {
	cfg = cfg.withDefaults()
	ap, err := netip.ParseAddrPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: addr %q: %w", ErrConfig, cfg.Addr, err)
	}
	if ap.Addr().IsUnspecified() {
		return nil, fmt.Errorf("%w: addr %q must name a specific IP", ErrConfig, cfg.Addr)
	}
	if cfg.MaxCalls < 0 || cfg.MaxDuration < 0 || cfg.RingFor < 0 {
		return nil, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	if strings.ContainsAny(cfg.User, "@:;<> \t\r\n") {
		return nil, fmt.Errorf("%w: user %q", ErrConfig, cfg.User)
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("demodest: listen: %w", err)
	}
	d := &Destination{cfg: cfg, log: cfg.Logger, conn: conn, active: map[string]*sipgo.DialogServerSession{}}
	d.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	host := d.addr.Addr().String()

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("webdial-demo"),
		sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(d.log)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(d.log)),
	)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("demodest: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(d.log))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("demodest: server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientLogger(d.log))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("demodest: client: %w", err)
	}
	d.ua, d.srv = ua, srv
	d.dialogUA = &sipgo.DialogUA{
		Client: client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{
			Scheme: "sip", User: cfg.User, Host: host, Port: int(d.addr.Port()),
		}},
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	srv.OnInvite(d.onInvite)
	srv.OnAck(d.onAck)
	srv.OnBye(d.onBye)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	return d, nil
}

// Addr is the SIP UDP address the destination listens on.
func (d *Destination) Addr() netip.AddrPort { return d.addr }

// URI is the SIP URI to call, e.g. "sip:demo@127.0.0.1:5090".
func (d *Destination) URI() string {
	return "sip:" + d.cfg.User + "@" + d.addr.String()
}

// Run answers calls until ctx is done or Close is called. It closes the
// destination (sending BYE on every call) before it returns ctx's error,
// or [ErrClosed] after Close.
func (d *Destination) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = d.Close() })
	defer stop()
	// ServeUDP returns once Close has closed the socket.
	_ = d.srv.ServeUDP(d.conn)
	<-d.ctx.Done()
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// Close sends BYE on every answered call, waits (a few seconds at most)
// for the calls to end, and releases the sockets. It is safe to call more
// than once.
func (d *Destination) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cancel()
		done := make(chan struct{})
		go func() { d.calls.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(closeWait):
			d.log.Warn("demodest: calls still ending at close")
		}
		_ = d.srv.Close()
		_ = d.ua.Close()
		_ = d.conn.Close()
	})
	return nil
}

// Stats returns the destination's counters.
func (d *Destination) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{
		Calls:       d.answered,
		Active:      len(d.active),
		RTPReceived: d.rtpReceived.Load(),
		RTPSent:     d.rtpSent.Load(),
		Digits:      d.digits.String(),
		ByeReceived: d.byeRecv,
		ByeSent:     d.byeSent,
	}
}

func (d *Destination) emit(e Event) {
	if d.cfg.OnEvent != nil {
		d.cfg.OnEvent(e)
	}
}

func (d *Destination) recordDigit(callID string, digit rune) {
	d.mu.Lock()
	d.digits.WriteRune(digit)
	d.mu.Unlock()
	d.log.Info("demodest: dtmf", "call_id", callID, "digit", string(digit))
	d.emit(Event{Type: EventDigit, CallID: callID, Digit: digit})
}

// reserve takes a call slot, or says which final status to answer with.
func (d *Destination) reserve() (ok bool, status int, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return false, sip.StatusServiceUnavailable, "Service Unavailable"
	case d.reserved >= d.cfg.MaxCalls:
		return false, sip.StatusBusyHere, "Busy Here"
	}
	d.reserved++
	d.calls.Add(1)
	return true, 0, ""
}

func (d *Destination) release(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.active, id)
	d.reserved--
	d.calls.Done()
}

func (d *Destination) lookup(req *sip.Request) *sipgo.DialogServerSession {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.active[id]
}

func (d *Destination) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if dlg := d.lookup(req); dlg != nil {
		_ = dlg.ReadAck(req, tx)
	}
}

func (d *Destination) onBye(req *sip.Request, tx sip.ServerTransaction) {
	dlg := d.lookup(req)
	if dlg == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	if err := dlg.ReadBye(req, tx); err != nil {
		d.log.Debug("demodest: bye", "err", err)
		return
	}
	d.mu.Lock()
	d.byeRecv++
	d.mu.Unlock()
}
