package webrtc

import (
	"context"

	"github.com/webdial/webdial/sip"
)

// sipDialer is the SIP side as the gateway needs it; *sip.Dialer is adapted
// to it, and the package's own tests may put a lighter one in its place.
type sipDialer interface {
	dial(ctx context.Context, r dialRequest) (sipCall, error)
}

type dialRequest struct {
	Target, From, Proxy, Username, Password string
	SDP                                     []byte
	// OnProgress reports provisional responses (180, 183 with SDP).
	OnProgress func(status int, sdp []byte)
}

type sipCall interface {
	RemoteSDP() []byte
	Hangup(ctx context.Context) error
	Done() <-chan struct{}
	// Reason says why the call ended, for the page.
	Reason() string
}

// dialerAdapter places calls with webdial's sip.Dialer.
type dialerAdapter struct{ d *sip.Dialer }

func (a dialerAdapter) dial(ctx context.Context, r dialRequest) (sipCall, error) {
	req := sip.DialRequest{
		Target: r.Target, From: r.From, Proxy: r.Proxy,
		Username: r.Username, Password: r.Password, SDP: r.SDP,
	}
	if r.OnProgress != nil {
		req.OnProgress = func(p sip.Progress) { r.OnProgress(p.StatusCode, p.SDP) }
	}
	c, err := a.d.Dial(ctx, req)
	if err != nil {
		return nil, err
	}
	return sipCallAdapter{c}, nil
}

type sipCallAdapter struct{ *sip.Call }

func (c sipCallAdapter) Reason() string {
	switch c.Cause() {
	case sip.EndRemoteHangup:
		return "remote hangup"
	case sip.EndMaxDuration:
		return "max duration"
	case sip.EndDialerClosed:
		return "shutdown"
	case sip.EndLocalHangup:
		return "hangup"
	}
	return c.Cause().String()
}
