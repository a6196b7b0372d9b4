// Package pageclient is a pion WebRTC peer that behaves like a webdial
// page: it opens the "webdial" control channel, offers G.711 audio, POSTs
// the offer WHIP-style and follows the call. Tests and the load generator
// use it; it is not part of the public API.
package pageclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/webdial/webdial/webrtc/internal/pagemsg"
)

// Options says whom to call and how.
type Options struct {
	URL    string // gateway endpoint
	Origin string // Origin header; empty: none
	Token  string // bearer token; empty: no Authorization header
	Query  url.Values
	// PCMA offers PCMA only instead of PCMU and PCMA.
	PCMA bool
	// OnRTP is called for every RTP packet from the gateway, on the
	// receive goroutine; pkt is reused afterwards.
	OnRTP func(pkt []byte)
	// HTTP is the client for POST and DELETE; nil: a default client.
	HTTP *http.Client
	// SkipAnswer leaves the answer unapplied (a page that never connects).
	SkipAnswer bool
	// ICEPortMin/Max bound the client's ICE ports (0: any).
	ICEPortMin, ICEPortMax uint16
}

// StatusError is a non-201 answer to the POST.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("pageclient: http %d", e.Code) }

// Message is a control-channel message.
type Message = pagemsg.Message

// Client is one page-side call.
type Client struct {
	PC       *pionwebrtc.PeerConnection
	track    *rawTrack
	DC       *pionwebrtc.DataChannel
	Location string
	Link     []string

	opts   Options
	dcOpen chan struct{}
	mu     sync.Mutex
	msgs   pagemsg.Log
	recvWG sync.WaitGroup
	seq    uint16
	ts     uint32
	hdr    rtp.Header
}

// Dial makes the peer connection, POSTs the offer and applies the answer.
func Dial(ctx context.Context, o Options) (*Client, error) {
	var se pionwebrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]pionwebrtc.NetworkType{pionwebrtc.NetworkTypeUDP4})
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	if o.ICEPortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(o.ICEPortMin, o.ICEPortMax); err != nil {
			return nil, err
		}
	}
	m := &pionwebrtc.MediaEngine{}
	codecs := []pionwebrtc.RTPCodecParameters{
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: pionwebrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: "audio/telephone-event", ClockRate: 8000, SDPFmtpLine: "0-15"}, PayloadType: 126},
	}
	if o.PCMA {
		codecs = codecs[1:]
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c, pionwebrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	api := pionwebrtc.NewAPI(pionwebrtc.WithMediaEngine(m), pionwebrtc.WithSettingEngine(se),
		pionwebrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	pc, err := api.NewPeerConnection(pionwebrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c := &Client{PC: pc, opts: o, dcOpen: make(chan struct{})}
	fail := func(err error) (*Client, error) {
		_ = pc.Close()
		return nil, err
	}
	c.track = &rawTrack{}
	if _, err := pc.AddTrack(c.track); err != nil {
		return fail(err)
	}
	c.DC, err = pc.CreateDataChannel("webdial", nil)
	if err != nil {
		return fail(err)
	}
	c.DC.OnOpen(func() { close(c.dcOpen) })
	c.DC.OnMessage(func(msg pionwebrtc.DataChannelMessage) { c.msgs.AddJSON(msg.Data) })
	pc.OnTrack(func(t *pionwebrtc.TrackRemote, _ *pionwebrtc.RTPReceiver) {
		c.recvWG.Add(1)
		go func() {
			defer c.recvWG.Done()
			buf := make([]byte, 1500)
			for {
				n, _, err := t.Read(buf)
				if err != nil {
					return
				}
				if o.OnRTP != nil {
					o.OnRTP(buf[:n])
				}
			}
		}()
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := pionwebrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	u := o.URL
	if len(o.Query) > 0 {
		u += "?" + o.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewBufferString(pc.LocalDescription().SDP))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	if o.Origin != "" {
		req.Header.Set("Origin", o.Origin)
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	hc := o.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if err != nil {
		return fail(err)
	}
	if resp.StatusCode != http.StatusCreated {
		return fail(&StatusError{Code: resp.StatusCode})
	}
	loc, err := resp.Location()
	if err != nil {
		return fail(err)
	}
	c.Location = loc.String()
	c.Link = resp.Header.Values("Link")
	if o.SkipAnswer {
		return c, nil
	}
	if err := pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return fail(err)
	}
	return c, nil
}

// WaitOpen waits for the control channel.
func (c *Client) WaitOpen(ctx context.Context) error {
	select {
	case <-c.dcOpen:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitState waits until the gateway sent the given state and returns that
// message.
func (c *Client) WaitState(ctx context.Context, state string) (Message, error) {
	return c.msgs.WaitState(ctx, state, nil, nil)
}

// Messages returns the control messages received so far.
func (c *Client) Messages() []Message { return c.msgs.Messages() }

// Send sends a control message.
func (c *Client) Send(m Message) error {
	b, _ := json.Marshal(m)
	return c.DC.SendText(string(b))
}

// WriteAudio sends one 20 ms G.711 packet with the given payload. It is
// not safe for concurrent use.
func (c *Client) WriteAudio(payload []byte) error {
	c.seq++
	c.ts += 160
	c.hdr = rtp.Header{SequenceNumber: c.seq, Timestamp: c.ts}
	return c.track.write(false, &c.hdr, payload)
}

// WriteEvent sends one RFC 4733 telephone-event packet, as a browser's
// RTCDTMFSender would.
func (c *Client) WriteEvent(payload []byte, marker bool) error {
	c.seq++
	c.hdr = rtp.Header{SequenceNumber: c.seq, Timestamp: c.ts, Marker: marker}
	return c.track.write(true, &c.hdr, payload)
}

// Hangup DELETEs the call resource.
func (c *Client) Hangup(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.Location, nil)
	if err != nil {
		return err
	}
	if c.opts.Origin != "" {
		req.Header.Set("Origin", c.opts.Origin)
	}
	hc := c.opts.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return &StatusError{Code: resp.StatusCode}
	}
	return nil
}

// Close closes the peer connection and waits for the receive loop.
func (c *Client) Close() error {
	err := c.PC.Close()
	c.recvWG.Wait()
	return err
}

// ErrClosed is returned by waits on a closed client.
var ErrClosed = errors.New("pageclient: closed")

// ConnectedWithin waits for the peer connection to connect.
func (c *Client) ConnectedWithin(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		switch c.PC.ConnectionState() {
		case pionwebrtc.PeerConnectionStateConnected:
			return nil
		case pionwebrtc.PeerConnectionStateFailed, pionwebrtc.PeerConnectionStateClosed:
			return ErrClosed
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
