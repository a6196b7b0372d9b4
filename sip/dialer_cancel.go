package sip

import (
	"context"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"
)

// startCancel cancels a pending INVITE in the background (RFC 3261 §9.1).
func (d *Dialer) startCancel(inv *invite, tx sipmsg.ClientTransaction, provisional bool) {
	d.wg.Add(1) // Dial's own tracking keeps the counter above zero
	go func() {
		defer d.wg.Done()
		defer tx.Terminate()
		if !provisional && !d.awaitProvisional(inv, tx) {
			return
		}
		cancelTx, err := d.cli.TransactionRequest(context.Background(), newCancel(inv.req), d.reqOpt)
		if err != nil {
			d.log.Debug("send CANCEL failed", "call_id", inv.callID, "error", err)
			return
		}
		defer cancelTx.Terminate()
		timer := time.NewTimer(finalWait)
		defer timer.Stop()
		closing := d.ctx.Done()
		for {
			select {
			case <-cancelTx.Responses(): // 200 to the CANCEL; keep waiting for 487
			case r := <-tx.Responses():
				if r.IsProvisional() {
					continue
				}
				if r.IsSuccess() {
					d.releaseFork(inv.dialogBase, r)
				}
				return // a 487 has been ACKed by the transaction
			case <-tx.Done():
				return
			case <-timer.C:
				return
			case <-closing:
				// Close waits for this goroutine: give the peer a short
				// while to send 487, so it gets its ACK.
				closing = nil
				timer.Reset(closeByeTimeout)
			}
		}
	}()
}

// awaitProvisional waits (bounded) until CANCEL may be sent; false if
// the INVITE was settled meanwhile (final response or no response). It
// waits even while the Dialer closes (Close waits for it): giving up would
// leave the callee ringing, and an answer unACKed.
func (d *Dialer) awaitProvisional(inv *invite, tx sipmsg.ClientTransaction) bool {
	timer := time.NewTimer(provisionalWait)
	defer timer.Stop()
	select {
	case r := <-tx.Responses():
		if r.IsSuccess() {
			d.releaseFork(inv.dialogBase, r)
		}
		return r.IsProvisional()
	case <-tx.Done():
	case <-timer.C:
	}
	return false
}

// newCancel builds the CANCEL for an INVITE (RFC 3261 §9.1): same
// Request-URI, top Via, From, To, Call-ID, CSeq number and Route.
func newCancel(inv *sipmsg.Request) *sipmsg.Request {
	req := sipmsg.NewRequest(sipmsg.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(sipmsg.HeaderClone(inv.Via()))
	sipmsg.CopyHeaders("Route", inv, req)
	maxFwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sipmsg.HeaderClone(inv.From()))
	req.AppendHeader(sipmsg.HeaderClone(inv.To()))
	req.AppendHeader(sipmsg.HeaderClone(inv.CallID()))
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.CANCEL})
	req.SetTransport(inv.Transport())
	// A CANCEL goes where its INVITE went (RFC 3261 §9.1), NextHop too.
	if dest := inv.MessageData.Destination(); dest != "" {
		req.SetDestination(dest)
	}
	return req
}
