package sip

import (
	"context"
	"fmt"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// establish ACKs the 2xx and turns it into a registered Call.
func (d *Dialer) establish(inv *invite, tx sipmsg.ClientTransaction, res *sipmsg.Response) (*Call, error) {
	c := d.newCall(inv.dialogBase, res)
	c.earlySDP = inv.early
	c.remoteSDP = append([]byte(nil), res.Body()...)
	// The INVITE transaction ends here rather than after Timer M (32 s),
	// so memory stays flat under load: 2xx retransmissions (our ACK was
	// lost) and 2xx from other forks reach strayResponse instead.
	tx.Terminate()
	if err := c.sendAck(); err != nil {
		d.releaseFork(inv.dialogBase, res)
		return nil, fmt.Errorf("sip: send ACK: %w", err)
	}
	// The timer exists before the call is visible to a remote BYE, so
	// end() always finds and stops it. It is set under c.mu because a
	// tiny MaxDuration can fire (and end() read it) before this returns.
	c.mu.Lock()
	c.maxTimer = time.AfterFunc(d.cfg.MaxDuration, c.onMaxDuration)
	c.mu.Unlock()
	if !d.addCall(c) {
		c.maxTimer.Stop()
		d.hangupInBackground(c, EndDialerClosed)
		return nil, ErrDialerClosed
	}
	if c.Cause() != EndNone {
		d.removeCall(c) // MaxDuration already fired; end() ran before addCall
	}
	// sipgo v1.7.3 never stops an INVITE client transaction's Timer M,
	// so the terminated transaction, and through it this INVITE and its
	// 2xx, stay reachable for 32 s. Nothing reads them any more (the
	// transaction has left the store; the Call holds copies), so empty
	// them: each answered call then leaves ~1 KB behind, not ~5 KB.
	*inv.req = sipmsg.Request{}
	*res = sipmsg.Response{}
	return c, nil
}

// newCall builds the dialog state of a 2xx (RFC 3261 §12.1.2).
func (d *Dialer) newCall(base dialogBase, res *sipmsg.Response) *Call {
	c := &Call{d: d, dialogBase: base, done: make(chan struct{}), cseq: base.inviteCSeq, answered: time.Now()}
	c.log = d.log.With("call_id", base.callID)
	if to := res.To(); to != nil {
		c.to = sipmsg.HeaderClone(to).(*sipmsg.ToHeader)
		c.remoteTag, _ = to.Params.Get("tag")
	}
	if ct := res.Contact(); ct != nil {
		c.target = *ct.Address.Clone()
	} else if to := res.To(); to != nil {
		c.target = *to.Address.Clone()
	}
	rrs := res.GetHeaders("Record-Route")
	for i := len(rrs) - 1; i >= 0; i-- {
		if rr, ok := rrs[i].(*sipmsg.RecordRouteHeader); ok {
			c.routes = append(c.routes, *rr.Address.Clone())
			continue
		}
		var u sipmsg.Uri
		var params sipmsg.HeaderParams
		if _, err := sipmsg.ParseAddressValue(rrs[i].Value(), &u, &params); err == nil {
			c.routes = append(c.routes, u)
		}
	}
	return c
}

func (c *Call) sendAck() error {
	ack := c.buildRequest(sipmsg.ACK, c.inviteCSeq)
	if err := c.d.cli.WriteRequest(ack, c.d.reqOpt); err != nil {
		return err
	}
	c.ack = ack
	return nil
}

// releaseFork ACKs and then BYEs a 2xx the dialer does not want (a
// second fork, or an answer that raced our CANCEL), so no call leaks.
func (d *Dialer) releaseFork(base dialogBase, res *sipmsg.Response) {
	c := d.newCall(base, res)
	if err := c.sendAck(); err != nil {
		c.log.Debug("ACK of unwanted 2xx failed", "error", err)
	}
	d.hangupInBackground(c, EndLocalHangup)
}

// hangupInBackground BYEs a call that was never registered, unless it
// has already ended (its MaxDuration timer may have fired and sent the
// BYE itself). The caller must itself be tracked (d.wg above zero), so
// this Add is safe.
func (d *Dialer) hangupInBackground(c *Call, cause EndCause) {
	c.mu.Lock()
	if c.cause != EndNone {
		c.mu.Unlock()
		return
	}
	c.cause = cause
	c.mu.Unlock()
	close(c.done)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), closeByeTimeout)
		defer cancel()
		if err := c.sendBye(ctx); err != nil {
			c.log.Debug("BYE of unwanted 2xx failed", "error", err)
		}
	}()
}
