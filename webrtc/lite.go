package webrtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/sdp/v3"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// liteHostAddr is the one address the lite engine binds and advertises,
// or ErrConfig for settings it cannot honour (see Config.ICELite).
func liteHostAddr(cfg *Config) (netip.Addr, error) {
	if cfg.ICEPortMin != 0 && !(cfg.ICELiteShared && cfg.ICEPortMin == cfg.ICEPortMax) {
		return netip.Addr{}, fmt.Errorf("%w: ICELite supports no ICEPortMin/ICEPortMax range (ICELiteShared: one port)", ErrConfig)
	}
	switch len(cfg.ICEHostIPs) {
	case 0:
		if cfg.ExcludeLoopback {
			return netip.Addr{}, fmt.Errorf("%w: ICELite with ExcludeLoopback needs ICEHostIPs", ErrConfig)
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	case 1:
	default:
		return netip.Addr{}, fmt.Errorf("%w: ICELite supports one ICEHostIPs address, not %d", ErrConfig, len(cfg.ICEHostIPs))
	}
	addr, err := netip.ParseAddr(cfg.ICEHostIPs[0])
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: ICEHostIPs: %v", ErrConfig, err)
	}
	addr = addr.Unmap()
	// The lite transport advertises what it binds; a NAT's public
	// address cannot be bound, so find out now rather than per call.
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: ICELite needs ICEHostIPs to be a local address (no NAT mapping): %v", ErrConfig, err)
	}
	_ = c.Close()
	return addr, nil
}

// newLiteMux binds the gateway's shared ICE-lite socket (ICELiteShared).
// With batch set (Config.RTPShared), page RTP towards SIP is queued on
// batch by the Mux's reader and sent after each of its batches.
func newLiteMux(cfg *Config, addr netip.Addr, batch *sipBatchOut) (*litemedia.Mux, error) {
	mc := litemedia.MuxConfig{Addr: netip.AddrPortFrom(addr, cfg.ICEPortMin), Logger: cfg.Logger}
	if batch != nil {
		mc.AfterBatch = batch.flush // the Mux's reader queued its batch's RTP towards SIP
	}
	m, err := litemedia.NewMux(mc)
	if err != nil {
		return nil, fmt.Errorf("%w: ICELiteShared: %w", ErrConfig, err)
	}
	return m, nil
}

// liteMedia is a call's page side with Config.ICELite: the transport and
// the goroutine that connects it and serves the control channel.
type liteMedia struct {
	t       *litemedia.Transport
	started bool          // start was called (admit, before teardown can run)
	done    chan struct{} // closed when runLite returned

	// life bounds runLite. It is not the call's context: a call that
	// ends before the page connected (rejected, no answer) still
	// connects it and opens the control channel to tell it why, as
	// pion's engine does, until teardown closes the transport.
	life context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	consent *time.Timer // page liveness check, armed once connected
}

// close closes the transport, which unblocks run, and waits for it.
func (l *liteMedia) close() {
	l.stop()
	_ = l.t.Close()
	l.mu.Lock()
	if l.consent != nil {
		l.consent.Stop()
	}
	l.mu.Unlock()
	if l.started {
		<-l.done
	}
}

// answerLite creates the call's lite transport and returns its answer.
// The page's RTP is relayed to SIP inline on the transport's reader
// goroutine; nothing runs until c.lite.start.
func (g *Gateway) answerLite(c *call, offer string, codecPT uint8) (string, error) {
	cert, err := g.liteCert.get()
	if err != nil {
		return "", err
	}
	t, err := litemedia.New(offer, litemedia.Config{
		Addr:        g.liteAddr,
		Mux:         g.liteMux,
		Certificate: cert,
		OnRTP:       func(pkt []byte) { _ = c.relay.fromPageVia(pkt, g.sipBatch) },
		Now:         g.cfg.Now,
		Logger:      c.log,
	})
	if err != nil {
		if errors.Is(err, litemedia.ErrBadOffer) || errors.Is(err, litemedia.ErrNoAudio) {
			return "", fmt.Errorf("%w: %w", ErrBadOffer, err)
		}
		return "", err
	}
	answer := t.Answer()
	codec, event, err := answerPayloadTypes(answer, codecPT)
	if err != nil {
		_ = t.Close()
		return "", err
	}
	c.relay.pageCodecPT, c.relay.pageEventPT = codec, event
	c.relay.out.Store(&pageOut{lite: t})
	c.lite = &liteMedia{t: t, done: make(chan struct{})}
	c.lite.life, c.lite.stop = context.WithCancel(context.Background())
	return answer, nil
}

// answerPayloadTypes reads the page-side payload types of the G.711 codec
// (which must be the one offered to SIP) and of telephone-event (ptNone
// if absent) from the lite transport's answer.
func answerPayloadTypes(answer string, codecPT uint8) (codec, event uint8, err error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		return 0, 0, fmt.Errorf("webrtc: lite answer: %w", err)
	}
	want := "pcmu"
	if codecPT == ptPCMA {
		want = "pcma"
	}
	codec, event = ptNone, ptNone
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			c, err := sd.GetCodecForPayloadType(uint8(pt))
			if err != nil {
				continue
			}
			switch strings.ToLower(c.Name) {
			case want:
				codec = uint8(pt)
			case "telephone-event":
				event = uint8(pt)
			}
		}
		break
	}
	if codec == ptNone {
		return 0, 0, fmt.Errorf("%w: audio not negotiated", ErrBadOffer)
	}
	return codec, event, nil
}

// start connects the page in the background; see runLite.
func (l *liteMedia) start(c *call) {
	l.started = true
	go func() {
		defer close(l.done)
		c.runLite()
	}()
}

// runLite does for the lite engine what pion's callbacks do for a peer
// connection: DTLS (bounded by PeerTimeout), "connected", the page
// liveness watch, then the control channel until it or the call ends.
func (c *call) runLite() {
	l := c.lite
	ctx, cancel := context.WithTimeout(l.life, c.g.cfg.Limits.PeerTimeout)
	err := l.t.Connect(ctx)
	cancel()
	if err != nil {
		if l.life.Err() == nil {
			c.log.Info("webrtc: page did not connect", "err", err)
			c.end(reasonNotConnected)
		}
		c.markPageGone()
		return
	}
	c.mu.Lock()
	c.connected = true
	c.mu.Unlock()
	c.watchConsent()
	dc, err := c.acceptControl()
	if err != nil {
		c.log.Debug("webrtc: no control channel", "err", err)
		return // media still flows; the page learns nothing more
	}
	c.controlOpened(liteControl{dc})
	c.readControl(dc)
}

// acceptControl waits for the page's "webdial" data channel; channels
// with other labels are closed.
func (c *call) acceptControl() (*datachannel.DataChannel, error) {
	for {
		dc, err := c.lite.t.AcceptDataChannel(c.lite.life)
		if err != nil {
			return nil, err
		}
		if dc.Config.Label == ControlLabel {
			return dc, nil
		}
		_ = dc.Close()
	}
}

// readControl hands the page's messages to the call until the channel
// ends. A channel that ends while the call is live means the page closed
// its connection (DTLS close_notify or SCTP abort/reset): it is gone.
func (c *call) readControl(dc *datachannel.DataChannel) {
	buf := make([]byte, maxControlMessage)
	for {
		n, _, err := dc.ReadDataChannel(buf)
		switch {
		case err == nil:
			c.onControlMessage(buf[:n])
		case errors.Is(err, io.ErrShortBuffer):
			// Over maxControlMessage: dropped, as on the pion engine.
		default:
			if c.ctx.Err() == nil {
				c.log.Debug("webrtc: control channel ended", "err", err)
				c.markPageGone()
				c.end(reasonPageClosed)
			}
			return
		}
	}
}

// watchConsent ends the call as unreachable when the page has been
// silent (see liveness) for PeerTimeout, which is when pion's engine
// reaches "failed" (half to "disconnected", half more to "failed"): a
// shorter limit would hang up pages that send no audio (on hold) and
// check consent at RFC 7675's ~5 s ± 20% pace, as Firefox does. It polls
// on a timer rather than per packet: the transport counts anyway.
func (c *call) watchConsent() {
	limit := c.g.cfg.Limits.PeerTimeout
	step := max(limit/8, time.Millisecond)
	now := c.g.cfg.Now
	l := c.lite
	live := liveness{alive: now(), packets: l.t.Stats().PacketsIn}
	var check func()
	check = func() {
		if c.ctx.Err() != nil {
			return
		}
		if silent := live.observe(now(), l.t.Stats().PacketsIn, l.t.LastConsent()); silent >= limit {
			c.log.Info("webrtc: page silent", "for", silent)
			c.markPageGone()
			c.end(reasonUnreachable)
			return
		}
		l.mu.Lock()
		l.consent.Reset(step)
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.consent = time.AfterFunc(step, check)
	l.mu.Unlock()
}

// liveness is when the page was last heard from: a valid consent check
// (STUN from its latched address) or any authenticated RTP. Counting RTP
// keeps a page whose consent checks are sparse (RFC 7675 allows about 5 s
// apart) alive while it sends media.
type liveness struct {
	alive   time.Time
	packets uint64 // the transport's PacketsIn at the last observation
}

// observe records the transport's state at now and returns how long the
// page has been silent.
func (l *liveness) observe(now time.Time, packets uint64, lastConsent time.Time) time.Duration {
	if packets != l.packets {
		l.alive, l.packets = now, packets
	}
	if lastConsent.After(l.alive) {
		l.alive = lastConsent
	}
	return now.Sub(l.alive)
}

// liteControl adapts a pion/datachannel channel to controlChannel.
type liteControl struct{ dc *datachannel.DataChannel }

func (l liteControl) SendText(s string) error {
	_, err := l.dc.WriteDataChannel([]byte(s), true)
	return err
}

func (l liteControl) BufferedAmount() uint64 { return l.dc.BufferedAmount() }
