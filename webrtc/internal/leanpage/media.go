package leanpage

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/dtls/v3"
	"github.com/pion/logging"
	"github.com/pion/sctp"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

const (
	// receiveMTU is the largest datagram read or written.
	receiveMTU = 1500
	// sctpMTU and maxMessageSize are pion/webrtc's.
	sctpMTU        = 1200
	maxMessageSize = 262144
	// checkInterval paces the checks until the first success (RFC 8445's
	// Ta is 50 ms for one check list).
	checkInterval = 50 * time.Millisecond
	// defaultConsent is a browser's consent-freshness interval (RFC 7675).
	defaultConsent = 5 * time.Second
)

// readLoop is the page's receive path when it has no Poller: every
// datagram is handled on this goroutine (onDatagram).
func (c *Client) readLoop() {
	defer c.wg.Done()
	buf := make([]byte, receiveMTU)
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		c.onDatagram(buf[:n], from)
	}
}

// onDatagram classifies one datagram by its first byte (RFC 7983): STUN
// is answered inline, SRTP decrypted inline, DTLS records go to the DTLS
// connection's own goroutines. It runs on one goroutine at a time (the
// page's reader, or the Poller's).
func (c *Client) onDatagram(pkt []byte, from netip.AddrPort) {
	if len(pkt) == 0 {
		return
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	switch b := pkt[0]; {
	case b < 4:
		reply, ok := c.ice.onSTUN(pkt, from)
		if reply != nil {
			_, _ = c.sendNow(reply, from)
		}
		if ok && from == c.remote {
			c.iceOnce.Do(func() { close(c.iceOK) })
		}
	case b >= 20 && b <= 63:
		if from == c.remote {
			c.pipe.Deliver(pkt)
		}
	case b >= 128 && b <= 191:
		if from == c.remote {
			c.onSRTP(pkt)
		}
	}
}

// onSRTP decrypts inline and hands the packet to OnRTP; RTCP is dropped.
func (c *Client) onSRTP(pkt []byte) {
	if len(pkt) >= 2 && pkt[1] >= 192 && pkt[1] <= 223 {
		return
	}
	rx := c.rx.Load()
	if rx == nil {
		return // before the handshake finished
	}
	out, err := rx.DecryptRTP(c.rxBuf, pkt, &c.rxHdr)
	if err != nil {
		c.dropped.Add(1)
		return
	}
	c.packetsIn.Add(1)
	if c.opts.OnRTP != nil {
		c.opts.OnRTP(out)
	}
}

// checkLoop sends connectivity checks every 50 ms until one succeeds,
// then a consent check every ConsentInterval (+-20 %). Every check
// nominates (aggressive nomination): the pion engine selects the pair on
// it, the lite engine latches, and a repeated nomination of the same pair
// changes nothing.
func (c *Client) checkLoop() {
	defer c.wg.Done()
	consent := c.opts.ConsentInterval
	if consent <= 0 {
		consent = defaultConsent
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-c.life.Done():
			return
		}
		if pkt, err := c.ice.check(true); err == nil {
			_, _ = c.sendNow(pkt, c.remote)
		}
		next := checkInterval
		select {
		case <-c.iceOK:
			next = time.Duration(float64(consent) * (0.8 + 0.4*mathrand.Float64()))
		default:
		}
		timer.Reset(next)
	}
}

// handshake runs DTLS in the role the answer left the page (client for
// a=setup:passive, else server), checks the gateway's certificate against
// the answer's fingerprint and sets up SRTP and the data channel.
func (c *Client) handshake(ctx context.Context, cert *Certificate) error {
	refused := new(atomic.Bool)
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{cert.TLS()},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		InsecureSkipVerify:     true, // self-signed: pinned by VerifyPeerCertificate instead
		VerifyPeerCertificate:  verifyPeer(c.ans.fingerprints, refused),
		LoggerFactory:          quietLogs(),
	}
	var (
		conn *dtls.Conn
		err  error
	)
	if c.ans.dtlsClient {
		conn, err = dtls.Client(c.pipe, c.pipe.RemoteAddr(), cfg)
	} else {
		cfg.ClientAuth = dtls.RequireAnyClientCert
		conn, err = dtls.Server(c.pipe, c.pipe.RemoteAddr(), cfg)
	}
	if err != nil {
		return fmt.Errorf("leanpage: dtls: %w", err)
	}
	c.mu.Lock()
	c.dtlsConn = conn
	c.mu.Unlock()
	if err := conn.HandshakeContext(ctx); err != nil {
		if refused.Load() {
			return fmt.Errorf("%w (%w)", ErrFingerprint, err)
		}
		return fmt.Errorf("leanpage: dtls handshake: %w", err)
	}
	rx, tx, err := litemedia.SRTPContexts(conn, c.ans.dtlsClient)
	if err != nil {
		return err
	}
	c.txMu.Lock()
	c.tx = tx
	c.txMu.Unlock()
	c.rx.Store(rx)
	c.wg.Add(1)
	go c.runDataChannel(conn)
	return nil
}

// runDataChannel starts SCTP over DTLS (both WebRTC endpoints send INIT,
// RFC 8841 §9.3), opens the "webdial" channel (even stream IDs for the
// DTLS client, odd for the server, RFC 8832 §6) and reads the gateway's
// messages until the page closes.
func (c *Client) runDataChannel(conn *dtls.Conn) {
	defer c.wg.Done()
	assoc, err := sctp.ClientContext(c.life,
		sctp.WithNetConn(conn),
		sctp.WithMTU(sctpMTU),
		sctp.WithMaxMessageSize(maxMessageSize),
		sctp.WithLoggerFactory(quietLogs()),
	)
	if err != nil {
		return
	}
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		_ = assoc.Close()
		return
	default:
	}
	c.assoc = assoc
	c.mu.Unlock()
	id := uint16(1)
	if c.ans.dtlsClient {
		id = 0
	}
	dc, err := datachannel.Dial(assoc, id, &datachannel.Config{
		ChannelType: datachannel.ChannelTypeReliable, Label: "webdial", LoggerFactory: quietLogs(),
	})
	if err != nil {
		return
	}
	c.mu.Lock()
	select {
	case <-c.closed:
		c.mu.Unlock()
		_ = dc.Close()
		return
	default:
	}
	c.dc = dc
	c.mu.Unlock()
	close(c.dcOpen)
	buf := make([]byte, 1<<16)
	for {
		n, _, err := dc.ReadDataChannel(buf)
		if err != nil {
			return
		}
		c.msgs.AddJSON(buf[:n])
	}
}

// WriteAudio sends one 20 ms G.711 packet (the answer's codec) with the
// given payload. Safe for concurrent use, but one sender per page keeps
// the sequence in order.
func (c *Client) WriteAudio(payload []byte) error {
	return c.write(c.ans.audioPT, false, 160, payload)
}

// WriteEvent sends one RFC 4733 telephone-event packet (same timestamp as
// the last audio packet), as a browser's RTCDTMFSender would.
func (c *Client) WriteEvent(payload []byte, marker bool) error {
	if c.ans.eventPT < 0 {
		return fmt.Errorf("%w: no telephone-event", ErrBadAnswer)
	}
	return c.write(uint8(c.ans.eventPT), marker, 0, payload)
}

func (c *Client) write(pt uint8, marker bool, tsStep uint32, payload []byte) error {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	if c.tx == nil {
		return ErrClosed
	}
	c.seq++
	c.ts += tsStep
	p := append(c.txPlain[:0], make([]byte, 12)...)
	p[0] = 0x80
	p[1] = pt & 0x7f
	if marker {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], c.seq)
	binary.BigEndian.PutUint32(p[4:], c.ts)
	binary.BigEndian.PutUint32(p[8:], c.ssrc)
	c.txPlain = append(p, payload...)
	out, err := c.tx.EncryptRTP(c.txBuf, c.txPlain, &c.txHdr)
	if err != nil {
		return fmt.Errorf("leanpage: encrypt: %w", err)
	}
	c.txBuf = out[:cap(out)]
	if c.bank != nil {
		if err := c.bank.queue(c, out); err != nil {
			return err
		}
	} else if _, err := c.conn.WriteToUDPAddrPort(out, c.remote); err != nil {
		return fmt.Errorf("leanpage: send: %w", err)
	}
	c.packetsOut.Add(1)
	return nil
}

// quietLogs silences pion's loggers (per-peer noise at error level).
func quietLogs() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	return f
}
