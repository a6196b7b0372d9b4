package litemedia

import (
	"context"
	"fmt"

	"github.com/pion/datachannel"
	"github.com/pion/dtls/v3"
	"github.com/pion/logging"
	"github.com/pion/sctp"
)

// sctpMTU is pion/webrtc's outbound SCTP packet size: it leaves room for
// DTLS, UDP and IP headers under a 1280-byte IPv6 minimum path MTU.
const sctpMTU = 1200

// maxMessageSize is what the answer advertises (a=max-message-size) and
// the association enforces.
const maxMessageSize = 262144

// hasDataChannel reports whether the answer accepted a data-channel
// section, i.e. whether the page will start SCTP over DTLS.
func (o offer) hasDataChannel() bool {
	for _, s := range o.sections {
		if s.accepted && s.media == "application" {
			return true
		}
	}
	return false
}

// runSCTP starts the SCTP association over the DTLS connection once the
// handshake is done. WebRTC endpoints both send INIT (RFC 8841 §9.3, as
// pion/webrtc does with sctp.Client on both sides); the association
// survives the collision. It runs on its own goroutine because SCTP setup
// is not needed for media and must not delay Connect.
func (t *Transport) runSCTP(conn *dtls.Conn) {
	defer t.wg.Done()
	assoc, err := sctp.ClientContext(t.life,
		sctp.WithNetConn(conn),
		sctp.WithMTU(sctpMTU),
		sctp.WithMaxMessageSize(maxMessageSize),
		sctp.WithLoggerFactory(quietLogs()),
	)
	if err != nil {
		t.sctpErr = fmt.Errorf("litemedia: sctp: %w", err)
		close(t.sctpReady)
		return
	}
	t.mu.Lock()
	select {
	case <-t.closed:
		t.mu.Unlock()
		_ = assoc.Close()
		t.sctpErr = ErrClosed
		close(t.sctpReady)
		return
	default:
	}
	t.assoc = assoc
	t.mu.Unlock()
	close(t.sctpReady)
}

// AcceptDataChannel waits for the page to open a data channel (pion's
// datachannel handles the DCEP open handshake) and returns it. It fails
// with ctx's error, with ErrClosed after Close, or if the association
// could not be set up. A channel accepted after ctx ended is closed.
func (t *Transport) AcceptDataChannel(ctx context.Context) (*datachannel.DataChannel, error) {
	select {
	case <-t.sctpReady:
	case <-t.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if t.sctpErr != nil {
		return nil, t.sctpErr
	}
	type result struct {
		dc  *datachannel.DataChannel
		err error
	}
	ch := make(chan result)
	gone := make(chan struct{}) // closed when the caller stopped waiting
	t.mu.Lock()
	select {
	case <-t.closed:
		t.mu.Unlock()
		return nil, ErrClosed
	default:
	}
	t.wg.Add(1) // under mu: Close waits for it after closing the association
	t.mu.Unlock()
	go func() {
		defer t.wg.Done()
		// Accept blocks on the association; Close unblocks it.
		dc, err := datachannel.Accept(t.assoc, &datachannel.Config{LoggerFactory: quietLogs()})
		select {
		case ch <- result{dc, err}:
		case <-gone:
			if err == nil {
				_ = dc.Close()
			}
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			select {
			case <-t.closed:
				return nil, ErrClosed
			default:
			}
			return nil, fmt.Errorf("litemedia: data channel: %w", r.err)
		}
		return r.dc, nil
	case <-ctx.Done():
		close(gone)
		return nil, ctx.Err()
	}
}

// quietLogs silences pion's own loggers: the transport reports what
// matters through its errors, and pion logs per-peer noise (an SCTP INIT
// the page gave up on, for example) at error level.
func quietLogs() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	return f
}
