package webrtc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/webdial/webdial/sip"
)

// hangupTimeout bounds the BYE of a call being torn down.
const hangupTimeout = 5 * time.Second

// call is one bridged call: the page's peer connection, the relay and the
// SIP leg. run owns its life; end may be called from anywhere.
type call struct {
	g              *Gateway
	id             string
	origin, client string
	log            *slog.Logger

	pc    *pionwebrtc.PeerConnection // nil with Config.ICELite
	lite  *liteMedia                 // nil without Config.ICELite
	relay *relay

	ctx    context.Context // cancelled by end
	cancel context.CancelFunc

	mu            sync.Mutex
	dc            controlChannel
	state, reason string // last state sent to the page
	endReason     string
	connected     bool
	leg           sipCall

	dcOpen, pcGone      chan struct{} // closed once each
	dcOnce, goneOnce    sync.Once
	peerTimer, maxTimer *time.Timer
	finished            chan struct{} // closed once everything is released
}

// end asks the call to finish; the first reason wins.
func (c *call) end(reason string) {
	c.mu.Lock()
	if c.endReason == "" {
		c.endReason = reason
	}
	c.mu.Unlock()
	c.cancel()
}

// startTimers bounds the wait for the page and the call's duration.
func (c *call) startTimers() {
	lim := c.g.cfg.Limits
	c.peerTimer = time.AfterFunc(lim.PeerTimeout, func() {
		c.mu.Lock()
		connected := c.connected
		c.mu.Unlock()
		if !connected {
			c.end(reasonNotConnected)
		}
	})
	c.maxTimer = time.AfterFunc(lim.MaxDuration, func() { c.end("max duration") })
}

// pcHooks follows the page's peer connection.
func (c *call) pcHooks() {
	c.pc.OnConnectionStateChange(func(s pionwebrtc.PeerConnectionState) {
		switch s {
		case pionwebrtc.PeerConnectionStateConnected:
			c.mu.Lock()
			c.connected = true
			c.mu.Unlock()
		case pionwebrtc.PeerConnectionStateFailed:
			c.markPageGone()
			c.end(reasonUnreachable)
		case pionwebrtc.PeerConnectionStateClosed:
			c.markPageGone()
			c.end(reasonPageClosed)
		}
	})
	c.pc.OnTrack(func(t *pionwebrtc.TrackRemote, _ *pionwebrtc.RTPReceiver) {
		if t.Kind() == pionwebrtc.RTPCodecTypeAudio {
			c.relay.goTrack(t)
		}
	})
	c.pc.OnDataChannel(c.attachControl)
}

func (c *call) onProgress(status int, sdp []byte) {
	if len(sdp) > 0 {
		if m, err := parseSIPAnswer(sdp, c.relay.sipCodecPT); err == nil {
			c.relay.setSIPMedia(m)
			c.setState(StateEarly, "")
			return
		}
	}
	if status == 180 || status == 183 {
		c.setState(StateRinging, "")
	}
}

// run places the SIP leg and holds the call until either side ends it.
func (c *call) run(req dialRequest) {
	defer c.teardown()
	c.setState(StateTrying, "")
	ringCtx, cancel := context.WithTimeout(c.ctx, c.g.cfg.Limits.RingTimeout)
	req.OnProgress = c.onProgress
	leg, err := c.g.dialer.dial(ringCtx, req)
	ringErr := ringCtx.Err()
	cancel()
	if err != nil {
		c.end(dialFailure(err, ringErr, c.ctx.Err()))
		c.log.Info("webrtc: sip leg failed", "err", err)
		return
	}
	c.mu.Lock()
	c.leg = leg
	c.mu.Unlock()
	m, err := parseSIPAnswer(leg.RemoteSDP(), c.relay.sipCodecPT)
	if err != nil {
		c.log.Warn("webrtc: sip answer refused", "err", err)
		c.end("unusable sip answer")
		return
	}
	c.relay.setSIPMedia(m)
	c.setState(StateAnswered, "")
	select {
	case <-leg.Done():
		c.end(leg.Reason())
	case <-c.ctx.Done():
	}
}

func dialFailure(err, ringErr, callErr error) string {
	var ce *sip.CallError
	switch {
	case callErr != nil:
		return "" // end already has the reason
	case errors.As(err, &ce):
		return fmt.Sprintf("rejected: %d %s", ce.StatusCode, ce.Reason)
	case errors.Is(err, sip.ErrRingTimeout), ringErr != nil:
		return "no answer"
	case errors.Is(err, sip.ErrAuthFailed):
		return "sip authentication failed"
	default:
		return "sip unreachable"
	}
}

func (c *call) teardown() {
	c.peerTimer.Stop()
	c.maxTimer.Stop()
	c.mu.Lock()
	leg, reason := c.leg, c.endReason
	c.mu.Unlock()
	if leg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), hangupTimeout)
		if err := leg.Hangup(ctx); err != nil {
			c.log.Info("webrtc: bye failed", "err", err)
		}
		cancel()
	}
	c.awaitControl()
	c.setState(StateEnded, reason)
	c.mu.Lock()
	c.state = StateEnded
	c.mu.Unlock()
	if !c.pageGone(reason) {
		c.flushControl() // make sure the page learns why
	}
	c.closePage()
	c.relay.close()
	c.g.remove(c)
	c.log.Info("webrtc: call ended", "reason", reason,
		"to_sip", c.relay.toSIP.Load(), "to_page", c.relay.toPage.Load())
	close(c.finished)
}

// awaitControl waits, for a call that ended before the page's control
// channel opened (rejected, unreachable), until the page can be told why.
func (c *call) awaitControl() {
	c.mu.Lock()
	dc, reason := c.dc, c.endReason
	c.mu.Unlock()
	// Nobody to tell when the page itself is gone or hung up.
	if dc != nil || c.g.ctx.Err() != nil || c.pageGone(reason) {
		return
	}
	t := time.NewTimer(min(c.g.cfg.Limits.PeerTimeout, 5*time.Second))
	defer t.Stop()
	select {
	case <-c.dcOpen:
	case <-c.pcGone:
	case <-t.C:
	}
}

// Reasons for which the page needs no "ended" message: it hung up by
// DELETE (the 204 tells it) or it is gone.
const (
	reasonDelete       = "page hangup"
	reasonControl      = "page hangup (control channel)"
	reasonPageClosed   = "page closed"
	reasonUnreachable  = "page unreachable"
	reasonNotConnected = "page did not connect"
)

// closePage closes the page's transport, whichever engine it is, and waits
// for the goroutines the call started on it.
func (c *call) closePage() {
	if c.pc != nil {
		_ = c.pc.Close()
	}
	if c.lite != nil {
		c.lite.close()
	}
}

// markPageGone records that the page's transport is gone, for
// awaitControl; safe to call more than once.
func (c *call) markPageGone() { c.goneOnce.Do(func() { close(c.pcGone) }) }

func (c *call) pageGone(reason string) bool {
	switch reason {
	case reasonDelete, reasonPageClosed, reasonUnreachable, reasonNotConnected:
		return true
	}
	return false
}
