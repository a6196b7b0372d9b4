//go:build unix

package main

import (
	"context"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pionwebrtc "github.com/pion/webrtc/v4"
)

// pionRelay relays with a bare pion PeerConnection, set up as the webdial
// gateway sets it up (no interceptors, loopback host candidates, no mDNS):
// TrackRemote.Read -> sendto, and recvfrom -> TrackLocalStaticRTP.Write.
type pionRelay struct {
	api  *pionwebrtc.API
	echo netip.AddrPort
	st   *counters
}

func newPionRelay(echo netip.AddrPort, st *counters) (*pionRelay, error) {
	var se pionwebrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]pionwebrtc.NetworkType{pionwebrtc.NetworkTypeUDP4})
	// One host candidate, like the lite transport's.
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	m := &pionwebrtc.MediaEngine{}
	for _, c := range []pionwebrtc.RTPCodecParameters{
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126},
	} {
		if err := m.RegisterCodec(c, pionwebrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	api := pionwebrtc.NewAPI(pionwebrtc.WithMediaEngine(m), pionwebrtc.WithSettingEngine(se),
		pionwebrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	return &pionRelay{api: api, echo: echo, st: st}, nil
}

type pionCall struct {
	pc  *pionwebrtc.PeerConnection
	sip *net.UDPConn
	wg  sync.WaitGroup
}

func (r *pionRelay) newCall(offer string) (string, io.Closer, error) {
	sip, err := sipSocket()
	if err != nil {
		return "", nil, err
	}
	pc, err := r.api.NewPeerConnection(pionwebrtc.Configuration{})
	if err != nil {
		_ = sip.Close()
		return "", nil, err
	}
	c := &pionCall{pc: pc, sip: sip}
	fail := func(err error) (string, io.Closer, error) {
		_ = c.Close()
		return "", nil, err
	}
	track, err := pionwebrtc.NewTrackLocalStaticRTP(pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMU, ClockRate: 8000}, "audio", "webdial")
	if err != nil {
		return fail(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		return fail(err)
	}
	// The page's control channel, read and ignored (pion reads it on its
	// own goroutine and calls back).
	pc.OnDataChannel(func(dc *pionwebrtc.DataChannel) { dc.OnMessage(func(pionwebrtc.DataChannelMessage) {}) })
	pc.OnTrack(func(tr *pionwebrtc.TrackRemote, _ *pionwebrtc.RTPReceiver) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			buf := make([]byte, 1500)
			for {
				n, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				if _, err := sip.WriteToUDPAddrPort(buf[:n], r.echo); err == nil {
					r.st.toSIP.Add(1)
				}
			}
		}()
	})
	if err := pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := pionwebrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, _, err := sip.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if _, err := track.Write(buf[:n]); err == nil {
				r.st.toPage.Add(1)
			}
		}
	}()
	return pc.LocalDescription().SDP, c, nil
}

func (c *pionCall) Close() error {
	err := c.pc.Close()
	_ = c.sip.Close()
	c.wg.Wait()
	return err
}
