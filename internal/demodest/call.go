package demodest

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// byeTimeout bounds one BYE transaction.
const byeTimeout = 3 * time.Second

func respond(req *sip.Request, tx sip.ServerTransaction, status int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, status, reason, nil))
}

// onInvite runs one call from INVITE to its end; sipgo calls it on its own
// goroutine and keeps the INVITE transaction while it runs.
func (d *Destination) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if req.Recipient.User != d.cfg.User {
		respond(req, tx, sip.StatusNotFound, "Not Found")
		return
	}
	o, err := parseOffer(req.Body())
	if err != nil {
		d.log.Info("demodest: refusing offer", "err", err)
		respond(req, tx, sip.StatusNotAcceptableHere, "Not Acceptable Here")
		return
	}
	ok, status, reason := d.reserve()
	if !ok {
		respond(req, tx, status, reason)
		return
	}
	id := ""
	defer func() { d.release(id) }()

	dlg, err := d.dialogUA.ReadInvite(req, tx)
	if err != nil {
		respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	defer dlg.Close()
	id = dlg.ID
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	from := ""
	if h := req.From(); h != nil {
		from = h.Address.String()
	}

	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: d.addr.Addr().AsSlice()})
	if err != nil {
		_ = dlg.Respond(sip.StatusServiceUnavailable, "Service Unavailable", nil)
		return
	}
	defer rtpConn.Close()

	d.mu.Lock()
	d.active[id] = dlg
	d.mu.Unlock()

	_ = dlg.Respond(sip.StatusTrying, "Trying", nil)
	if err := dlg.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		return
	}
	if d.cfg.RingFor > 0 {
		t := time.NewTimer(d.cfg.RingFor)
		select {
		case <-t.C:
		case <-dlg.Context().Done(): // CANCEL
			t.Stop()
			return
		case <-d.ctx.Done():
			t.Stop()
			_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
			return
		}
	}

	local := rtpConn.LocalAddr().(*net.UDPAddr).AddrPort()
	answer := answerSDP(local, o, time.Now().UnixNano()&0x7fffffffffff)
	// RespondSDP returns once the ACK arrived (or after 64*T1 without one).
	if err := dlg.RespondSDP(answer); err != nil {
		d.log.Info("demodest: answer not acknowledged", "call_id", callID, "err", err)
		if !errors.Is(err, sip.ErrTransactionCanceled) {
			d.hangup(dlg, callID, from, ReasonFailed)
		}
		return
	}
	d.mu.Lock()
	d.answered++
	d.mu.Unlock()
	d.log.Info("demodest: answered", "call_id", callID, "from", from, "codec", o.codec.name, "remote_rtp", o.remote)
	d.emit(Event{Type: EventAnswered, CallID: callID, From: from})

	mediaCtx, stopMedia := context.WithCancel(d.ctx)
	m := newMedia(rtpConn, o, d, callID)
	mediaDone := make(chan struct{})
	go func() { m.run(mediaCtx); close(mediaDone) }()
	defer func() { stopMedia(); <-mediaDone }()

	limit := time.NewTimer(d.cfg.MaxDuration)
	defer limit.Stop()
	select {
	case <-dlg.Context().Done():
		d.log.Info("demodest: caller hung up", "call_id", callID)
		d.emit(Event{Type: EventEnded, CallID: callID, From: from, Reason: ReasonRemoteBye})
	case <-limit.C:
		d.hangup(dlg, callID, from, ReasonMaxDuration)
	case <-d.ctx.Done():
		d.hangup(dlg, callID, from, ReasonClosed)
	}
}

// hangup sends BYE and reports the end of the call.
func (d *Destination) hangup(dlg *sipgo.DialogServerSession, callID, from, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := dlg.Bye(ctx); err != nil {
		d.log.Info("demodest: bye failed", "call_id", callID, "err", err)
	} else {
		d.mu.Lock()
		d.byeSent++
		d.mu.Unlock()
	}
	d.log.Info("demodest: hung up", "call_id", callID, "reason", reason)
	d.emit(Event{Type: EventEnded, CallID: callID, From: from, Reason: reason})
}
