package sip

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// allowMethods is the Allow header value of the dialer's user agent.
const allowMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS"

// EndCause says why a [Call] ended.
type EndCause int

// End causes reported by [Call.Cause].
const (
	// EndNone: the call has not ended.
	EndNone EndCause = iota
	// EndLocalHangup: Hangup was called (BYE sent).
	EndLocalHangup
	// EndRemoteHangup: the peer sent BYE.
	EndRemoteHangup
	// EndMaxDuration: DialerConfig.MaxDuration elapsed (BYE sent).
	EndMaxDuration
	// EndDialerClosed: Dialer.Close ended the call (BYE sent).
	EndDialerClosed
)

func (c EndCause) String() string {
	switch c {
	case EndNone:
		return "active"
	case EndLocalHangup:
		return "local hangup"
	case EndRemoteHangup:
		return "remote hangup"
	case EndMaxDuration:
		return "max duration"
	case EndDialerClosed:
		return "dialer closed"
	}
	return fmt.Sprintf("EndCause(%d)", int(c))
}

// Progress is a provisional response (101-199) to the INVITE.
type Progress struct {
	StatusCode int    // e.g. 180, 183
	Reason     string // reason phrase as received
	// SDP is the early session description of a 183 (or 180) that
	// carried one; nil otherwise.
	SDP []byte
}

// Call is an answered outbound call returned by [Dialer.Dial]. Its
// methods are safe for concurrent use. A Call holds no goroutine of its
// own: it ends on Hangup, a BYE from the peer, MaxDuration or
// Dialer.Close, and Done is closed then.
type Call struct {
	d   *Dialer
	log *slog.Logger

	dialogBase
	remoteTag string
	remoteSDP []byte
	earlySDP  []byte
	// dialog state for in-dialog requests (RFC 3261 §12.1.2)
	to     *sipmsg.ToHeader
	target sipmsg.Uri
	routes []sipmsg.Uri
	ack    *sipmsg.Request // as sent; retransmitted on a 2xx repeat

	answered time.Time // when the 2xx arrived
	done     chan struct{}
	maxTimer *time.Timer

	mu    sync.Mutex
	cseq  uint32
	cause EndCause
}

// CallID returns the SIP Call-ID of the call.
func (c *Call) CallID() string { return c.callID }

// RemoteSDP returns the answer SDP of the 2xx response (a copy).
func (c *Call) RemoteSDP() []byte { return append([]byte(nil), c.remoteSDP...) }

// EarlySDP returns the last early SDP received in a provisional
// response (a copy), or nil.
func (c *Call) EarlySDP() []byte { return append([]byte(nil), c.earlySDP...) }

// Done is closed when the call has ended, for any cause.
func (c *Call) Done() <-chan struct{} { return c.done }

// Cause returns why the call ended, or EndNone while it is up.
func (c *Call) Cause() EndCause {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// Hangup ends the call with BYE and waits (bounded by ctx) for the
// peer's response. It is idempotent: after the call has ended for any
// reason it returns nil without sending anything. The call counts as
// ended (Done closed) even if the BYE fails; the error says why.
func (c *Call) Hangup(ctx context.Context) error {
	return c.hangup(ctx, EndLocalHangup)
}

func (c *Call) hangup(ctx context.Context, cause EndCause) error {
	if !c.end(cause) {
		return nil
	}
	return c.sendBye(ctx)
}

// end marks the call ended once; false if it had already ended.
func (c *Call) end(cause EndCause) bool {
	c.mu.Lock()
	if c.cause != EndNone {
		c.mu.Unlock()
		return false
	}
	c.cause = cause
	timer := c.maxTimer
	c.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	c.d.removeCall(c)
	close(c.done)
	c.log.Info("call ended", "cause", cause.String(), "duration", time.Since(c.answered).Round(time.Millisecond))
	return true
}

// onMaxDuration runs on the MaxDuration timer's goroutine.
func (c *Call) onMaxDuration() {
	if !c.d.track() {
		return // Close is ending the call
	}
	defer c.d.wg.Done()
	ctx, cancel := context.WithTimeout(c.d.ctx, closeByeTimeout)
	defer cancel()
	if err := c.hangup(ctx, EndMaxDuration); err != nil {
		c.log.Warn("BYE after max duration failed", "error", err)
	}
}

// newRequest builds an in-dialog request (RFC 3261 §12.2.1.1).
func (c *Call) newRequest(method sipmsg.RequestMethod) *sipmsg.Request {
	c.mu.Lock()
	c.cseq++
	seq := c.cseq
	c.mu.Unlock()
	return c.buildRequest(method, seq)
}

func (c *Call) buildRequest(method sipmsg.RequestMethod, seq uint32) *sipmsg.Request {
	req := sipmsg.NewRequest(method, *c.target.Clone())
	for _, r := range c.routes {
		req.AppendHeader(&sipmsg.RouteHeader{Address: *r.Clone()})
	}
	maxFwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sipmsg.HeaderClone(c.from))
	req.AppendHeader(sipmsg.HeaderClone(c.to))
	callID := sipmsg.CallIDHeader(c.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: seq, MethodName: method})
	if method != sipmsg.ACK {
		req.AppendHeader(c.d.contact())
	}
	req.AppendHeader(sipmsg.NewHeader("User-Agent", c.d.cfg.UserAgent))
	req.SetTransport(c.transport)
	if c.nextHop != "" && len(c.routes) == 0 {
		req.SetDestination(c.nextHop)
	}
	return req
}

func (c *Call) sendBye(ctx context.Context) error {
	bye := c.newRequest(sipmsg.BYE)
	// Sent even if ctx is already done (the call is over for us either
	// way); ctx bounds only the wait for the response.
	tx, err := c.d.cli.TransactionRequest(context.WithoutCancel(ctx), bye, c.d.reqOpt)
	if err != nil {
		return fmt.Errorf("sip: send BYE: %w", err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if !res.IsSuccess() {
				return fmt.Errorf("sip: BYE answered %d %s", res.StatusCode, res.Reason)
			}
			return nil
		case <-tx.Done():
			return fmt.Errorf("sip: BYE: %w", tx.Err())
		case <-ctx.Done():
			return fmt.Errorf("sip: BYE: %w", ctx.Err())
		}
	}
}

// on2xxRetransmission re-sends the ACK for a repeated 2xx of our dialog,
// and ACKs then releases (BYE) a 2xx from another fork.
func (c *Call) on2xxRetransmission(res *sipmsg.Response) {
	tag := ""
	if to := res.To(); to != nil {
		tag, _ = to.Params.Get("tag")
	}
	if tag == c.remoteTag {
		if err := c.d.cli.WriteRequest(c.ack.Clone(), c.d.reqOpt); err != nil {
			c.log.Debug("ACK retransmission failed", "error", err)
		}
		return
	}
	if !c.d.track() {
		return // closing: the peer's 2xx times out on its side
	}
	defer c.d.wg.Done()
	c.d.releaseFork(c.dialogBase, res)
}
