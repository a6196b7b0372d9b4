package litemedia

import (
	"context"
	"sync"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	pionwebrtc "github.com/pion/webrtc/v4"
)

// testPage is a pion PeerConnection set up like webdial's page (see
// webrtc/internal/pageclient): G.711 + telephone-event, one "webdial" data
// channel, loopback host candidates only, no interceptors.
type testPage struct {
	pc    *pionwebrtc.PeerConnection
	track *pionwebrtc.TrackLocalStaticRTP
	dc    *pionwebrtc.DataChannel
	open  chan struct{}                      // closed when dc opens
	msgs  chan pionwebrtc.DataChannelMessage // messages on dc

	mu       sync.Mutex
	got      [][]byte // payloads received from the gateway
	gotCond  chan struct{}
	recvDone sync.WaitGroup
}

func newTestPage(t *testing.T, se *pionwebrtc.SettingEngine) *testPage {
	t.Helper()
	if se == nil {
		se = &pionwebrtc.SettingEngine{}
	}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]pionwebrtc.NetworkType{pionwebrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	m := &pionwebrtc.MediaEngine{}
	for _, c := range []pionwebrtc.RTPCodecParameters{
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126},
	} {
		if err := m.RegisterCodec(c, pionwebrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	api := pionwebrtc.NewAPI(pionwebrtc.WithMediaEngine(m), pionwebrtc.WithSettingEngine(*se),
		pionwebrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	pc, err := api.NewPeerConnection(pionwebrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPage{pc: pc, gotCond: make(chan struct{}), open: make(chan struct{}), msgs: make(chan pionwebrtc.DataChannelMessage, 16)}
	t.Cleanup(func() { p.close() })
	p.track, err = pionwebrtc.NewTrackLocalStaticRTP(pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMU, ClockRate: 8000}, "audio", "page")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(p.track); err != nil {
		t.Fatal(err)
	}
	if p.dc, err = pc.CreateDataChannel("webdial", nil); err != nil {
		t.Fatal(err)
	}
	p.dc.OnOpen(func() { close(p.open) })
	p.dc.OnMessage(func(m pionwebrtc.DataChannelMessage) {
		select {
		case p.msgs <- m:
		default: // a test that floods the page does not block pion
		}
	})
	pc.OnTrack(func(tr *pionwebrtc.TrackRemote, _ *pionwebrtc.RTPReceiver) {
		p.recvDone.Add(1)
		go func() {
			defer p.recvDone.Done()
			for {
				pkt, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				p.mu.Lock()
				p.got = append(p.got, append([]byte(nil), pkt.Payload...))
				close(p.gotCond)
				p.gotCond = make(chan struct{})
				p.mu.Unlock()
			}
		}()
	})
	return p
}

// offer creates the offer with every candidate gathered (no trickle).
func (p *testPage) offer(ctx context.Context, t *testing.T) string {
	t.Helper()
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := pionwebrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	return p.pc.LocalDescription().SDP
}

func (p *testPage) answer(t *testing.T, sdp string) {
	t.Helper()
	if err := p.pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		t.Fatalf("page refused the answer: %v\n%s", err, sdp)
	}
}

func (p *testPage) send(t *testing.T, seq uint16, payload []byte) {
	t.Helper()
	err := p.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 1}, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
}

// waitReceived waits until the page got n packets and returns them.
func (p *testPage) waitReceived(ctx context.Context, t *testing.T, n int) [][]byte {
	t.Helper()
	for {
		p.mu.Lock()
		if len(p.got) >= n {
			got := p.got
			p.mu.Unlock()
			return got
		}
		ch := p.gotCond
		have := len(p.got)
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("page received %d of %d packets: %v", have, n, ctx.Err())
		}
	}
}

func (p *testPage) close() {
	_ = p.pc.Close()
	p.recvDone.Wait()
}
