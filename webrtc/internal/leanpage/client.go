package leanpage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
	"github.com/pion/sctp"
	"github.com/pion/srtp/v3"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
	"github.com/webdial/webdial/webrtc/internal/pagemsg"
)

// Options says whom to call and how. The zero value of every field but
// URL is usable.
type Options struct {
	URL    string // gateway endpoint the offer is POSTed to
	Origin string // Origin header; empty: none
	Token  string // bearer token; empty: no Authorization header
	// HTTP is the client for POST and DELETE; nil: http.DefaultClient.
	HTTP *http.Client
	// OnRTP is called with every decrypted RTP packet (header and
	// payload) from the gateway, on the page's reader goroutine; pkt is
	// reused when it returns. Nil: packets are counted and dropped.
	OnRTP func(pkt []byte)
	// Certificate is the page's DTLS identity. Nil: a fresh one per page
	// (an ECDSA key generation; a load generator shares one).
	Certificate *Certificate
	// Addr is the local IP the page's socket binds to and offers as its
	// host candidate. Zero: 127.0.0.1.
	Addr netip.Addr
	// PCMA offers PCMA (and telephone-event) only. False: PCMU and PCMA.
	PCMA bool
	// Poller, if set, reads the page's socket on its one goroutine with
	// the other pages' (Linux only). Nil: the page has its own reader.
	Poller *Poller
	// Bank, if set, carries the page on the Bank's one socket, on a
	// loopback IP of its own (Addr is then ignored), and its audio waits
	// for Bank.Flush. Nil: the page has its own socket.
	Bank *Bank
	// ConsentInterval is the mean time between consent checks once
	// connected (each is 0.8 to 1.2 times it, RFC 7675). Zero: 5 s.
	ConsentInterval time.Duration
}

// Message is a control-channel message.
type Message = pagemsg.Message

// Stats are a page's packet counters.
type Stats struct {
	PacketsIn  uint64 // SRTP packets decrypted and handed to OnRTP
	PacketsOut uint64 // RTP packets encrypted and sent
	Dropped    uint64 // SRTP packets that failed authentication or replay checks
}

// Client is one page-side call. Make it with Dial.
type Client struct {
	// Location is the call resource (the POST's Location).
	Location string
	// Link are the POST answer's Link headers.
	Link []string
	// Lite reports an a=ice-lite answer.
	Lite bool

	opts   Options
	conn   *net.UDPConn
	remote netip.AddrPort
	ans    answer
	ice    *iceAgent
	pipe   *litemedia.DTLSPipe

	iceOK   chan struct{} // closed at the first success response
	iceOnce sync.Once

	mu       sync.Mutex // guards dtlsConn, assoc, dc against Close
	dtlsConn *dtls.Conn
	assoc    *sctp.Association
	dc       *datachannel.DataChannel
	dcOpen   chan struct{}
	msgs     pagemsg.Log

	// With a Poller, rxMu is held while the poller handles a datagram of
	// this page; Close sets detached under it before closing the socket.
	polled   *Poller // set once the poller reads the socket
	bank     *Bank   // Options.Bank; conn is nil then
	bankIP   netip.Addr
	bankOOB  []byte       // IP_PKTINFO with bankIP as the source
	bankTo   *net.UDPAddr // remote, for the Bank's batches
	local    netip.AddrPort
	fd       int
	rxMu     sync.Mutex
	detached bool

	rx    atomic.Pointer[srtp.Context]
	rxBuf []byte     // reader goroutine only
	rxHdr rtp.Header // reader goroutine only

	txMu    sync.Mutex
	tx      *srtp.Context
	txPlain []byte
	txBuf   []byte
	txHdr   rtp.Header
	seq     uint16
	ts      uint32
	ssrc    uint32

	packetsIn, packetsOut, dropped atomic.Uint64

	life      context.Context // canceled by Close
	stop      context.CancelFunc
	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// Dial binds the page's socket, POSTs the offer, checks connectivity to
// the answer's candidate, runs the DTLS handshake and derives the SRTP
// keys. It returns when media can flow; the data channel opens in the
// background (WaitOpen, WaitState).
func Dial(ctx context.Context, o Options) (*Client, error) {
	cert := o.Certificate
	if cert == nil {
		var err error
		if cert, err = GenerateCertificate(); err != nil {
			return nil, err
		}
	}
	addr := o.Addr
	if !addr.IsValid() {
		addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	c := &Client{
		opts: o, iceOK: make(chan struct{}), dcOpen: make(chan struct{}),
		closed: make(chan struct{}),
		rxBuf:  make([]byte, receiveMTU), txBuf: make([]byte, receiveMTU),
		ssrc: randomUint32(), seq: uint16(randomUint32()), ts: randomUint32(),
		bank: o.Bank,
	}
	if c.bank != nil {
		var err error
		if c.local, err = c.bank.reserve(c); err != nil {
			return nil, err
		}
		addr = c.local.Addr()
	} else {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
		if err != nil {
			return nil, fmt.Errorf("leanpage: listen: %w", err)
		}
		c.conn = conn
		c.local = netip.AddrPortFrom(addr, uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	}
	c.life, c.stop = context.WithCancel(context.Background())
	fail := func(err error) (*Client, error) {
		_ = c.Close()
		return nil, err
	}
	ufrag, pwd := randomString(16), randomString(32)
	offer, err := buildOffer(local{
		ufrag: ufrag, pwd: pwd, fingerprint: cert.Fingerprint(), ssrc: c.ssrc, pcmaOnly: o.PCMA, addr: c.local,
	})
	if err != nil {
		return fail(err)
	}
	body, err := c.post(ctx, offer)
	if err != nil {
		return fail(err)
	}
	if c.ans, err = parseAnswer(body, addr); err != nil {
		return fail(err)
	}
	c.Lite, c.remote = c.ans.lite, c.ans.candidate
	c.ice = newICEAgent(ufrag, pwd, c.ans.ufrag, c.ans.pwd)
	c.pipe = litemedia.NewDTLSPipe(func(b []byte) (int, error) { return c.sendNow(b, c.remote) },
		net.UDPAddrFromAddrPort(c.local))
	switch {
	case c.bank != nil:
		if err := c.bank.attach(c); err != nil {
			return fail(err)
		}
	case o.Poller != nil:
		if err := o.Poller.add(c); err != nil {
			return fail(err)
		}
		c.polled = o.Poller
	default:
		c.wg.Add(1)
		go c.readLoop()
	}
	c.wg.Add(1)
	go c.checkLoop()
	select {
	case <-c.iceOK:
	case <-ctx.Done():
		return fail(fmt.Errorf("%w: %w", ErrICE, ctx.Err()))
	}
	if err := c.handshake(ctx, cert); err != nil {
		return fail(err)
	}
	return c, nil
}

// post sends the offer and returns the answer's body.
func (c *Client) post(ctx context.Context, offer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.URL, bytes.NewBufferString(offer))
	if err != nil {
		return "", fmt.Errorf("leanpage: post: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	if c.opts.Origin != "" {
		req.Header.Set("Origin", c.opts.Origin)
	}
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("leanpage: post: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if err != nil {
		return "", fmt.Errorf("leanpage: post: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return "", &StatusError{Code: resp.StatusCode}
	}
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("leanpage: post: %w", err)
	}
	c.Location = loc.String()
	c.Link = resp.Header.Values("Link")
	return string(body), nil
}

func (c *Client) httpClient() *http.Client {
	if c.opts.HTTP != nil {
		return c.opts.HTTP
	}
	return http.DefaultClient
}

// WaitOpen waits for the control channel to open.
func (c *Client) WaitOpen(ctx context.Context) error {
	select {
	case <-c.dcOpen:
		return nil
	case <-c.closed:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitState waits until the gateway sent the given call state and
// returns that message.
func (c *Client) WaitState(ctx context.Context, state string) (Message, error) {
	m, err := c.msgs.WaitState(ctx, state, c.closed, ErrClosed)
	if err != nil && !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("leanpage: %w", err)
	}
	return m, err
}

// Messages returns the control messages received so far.
func (c *Client) Messages() []Message { return c.msgs.Messages() }

// Send sends a control message; it fails before the channel is open.
func (c *Client) Send(ctx context.Context, m Message) error {
	if err := c.WaitOpen(ctx); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	_, err = dc.WriteDataChannel(b, true)
	return err
}

// ConnectedWithin is for drivers written against pageclient: a Client is
// connected when Dial returns, so it only reports ErrClosed after Close.
func (c *Client) ConnectedWithin(context.Context) error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
		return nil
	}
}

// Stats returns the packet counters.
func (c *Client) Stats() Stats {
	return Stats{PacketsIn: c.packetsIn.Load(), PacketsOut: c.packetsOut.Load(), Dropped: c.dropped.Load()}
}

// Hangup DELETEs the call resource.
func (c *Client) Hangup(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.Location, nil)
	if err != nil {
		return fmt.Errorf("leanpage: hangup: %w", err)
	}
	if c.opts.Origin != "" {
		req.Header.Set("Origin", c.opts.Origin)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("leanpage: hangup: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return &StatusError{Code: resp.StatusCode}
	}
	return nil
}

// Close ends the page: DTLS close_notify (if connected), the socket
// closed and every goroutine ended before it returns.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.txMu.Lock()
		close(c.closed)
		c.txMu.Unlock()
		c.stop()
		c.mu.Lock()
		d, a, dc := c.dtlsConn, c.assoc, c.dc
		c.mu.Unlock()
		if dc != nil {
			_ = dc.Close()
		}
		if a != nil {
			_ = a.Close()
		}
		if d != nil {
			_ = d.Close()
		}
		if c.pipe != nil {
			_ = c.pipe.Close()
		}
		switch {
		case c.bank != nil:
			c.bank.remove(c)
		case c.polled != nil:
			c.polled.remove(c) // before the descriptor can be reused
		}
		if c.conn != nil {
			err = c.conn.Close()
		}
		c.wg.Wait()
	})
	return err
}

// sendNow writes one datagram from the page's address.
func (c *Client) sendNow(pkt []byte, to netip.AddrPort) (int, error) {
	if c.bank != nil {
		return c.bank.sendNow(c.bankIP, pkt, to)
	}
	return c.conn.WriteToUDPAddrPort(pkt, to)
}

func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	b := make([]byte, n)
	randomBytes(b)
	for i := range b {
		b[i] = alphabet[b[i]%64]
	}
	return string(b)
}

func randomUint32() uint32 {
	var b [4]byte
	randomBytes(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func randomBytes(b []byte) { _, _ = rand.Read(b) } // crypto/rand.Read never fails (Go 1.24+)
