package webrtc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	pionwebrtc "github.com/pion/webrtc/v4"
)

const mimeTelephoneEvent = "audio/telephone-event"

// newSettingEngine turns the Config's ICE settings into pion's.
func newSettingEngine(cfg *Config) (pionwebrtc.SettingEngine, error) {
	var se pionwebrtc.SettingEngine
	se.LoggerFactory = pionLogs{cfg.Logger}
	se.SetIncludeLoopbackCandidate(!cfg.ExcludeLoopback)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]pionwebrtc.NetworkType{pionwebrtc.NetworkTypeUDP4, pionwebrtc.NetworkTypeUDP6})
	if cfg.ICEPortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(cfg.ICEPortMin, cfg.ICEPortMax); err != nil {
			return se, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	if len(cfg.ICEHostIPs) > 0 {
		se.SetNAT1To1IPs(cfg.ICEHostIPs, pionwebrtc.ICECandidateTypeHost)
	}
	// ICE declares the page disconnected after half the PeerTimeout of
	// silence and failed after the other half; the gateway hangs up on
	// failed, so the SIP leg ends within PeerTimeout.
	half := cfg.Limits.PeerTimeout / 2
	se.SetICETimeouts(half, half, min(2*time.Second, half/3))
	return se, nil
}

// pickCodec chooses the G.711 codec for a call from the page's offer:
// PCMU if offered, else PCMA. The same codec is the only one offered to the
// SIP side, so media is never transcoded.
func pickCodec(offer string) (uint8, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		names := map[uint64]string{ptPCMU: "pcmu/8000", ptPCMA: "pcma/8000"}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			num, enc, _ := strings.Cut(a.Value, " ")
			if pt, err := strconv.ParseUint(num, 10, 7); err == nil {
				names[pt] = strings.ToLower(enc)
			}
		}
		var pcma bool
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			switch names[pt] {
			case "pcmu/8000", "pcmu/8000/1":
				return ptPCMU, nil
			case "pcma/8000", "pcma/8000/1":
				pcma = true
			}
		}
		if pcma {
			return ptPCMA, nil
		}
		return 0, fmt.Errorf("%w: no PCMU or PCMA in the audio stream", ErrBadOffer)
	}
	return 0, fmt.Errorf("%w: no audio stream", ErrBadOffer)
}

// newAPI builds the pion API for one call: exactly one G.711 codec and
// telephone-event, and an empty interceptor registry (no NACK, no RTCP
// reports, no TWCC: they cost CPU and goroutines and do nothing for G.711).
func newAPI(se pionwebrtc.SettingEngine, codecPT uint8) (*pionwebrtc.API, error) {
	m := &pionwebrtc.MediaEngine{}
	mime := pionwebrtc.MimeTypePCMU
	if codecPT == ptPCMA {
		mime = pionwebrtc.MimeTypePCMA
	}
	codecs := []pionwebrtc.RTPCodecParameters{
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: mime, ClockRate: 8000}, PayloadType: pionwebrtc.PayloadType(codecPT)},
		{RTPCodecCapability: pionwebrtc.RTPCodecCapability{MimeType: mimeTelephoneEvent, ClockRate: 8000, SDPFmtpLine: "0-16"}, PayloadType: ptTelephoneEvent},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c, pionwebrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	return pionwebrtc.NewAPI(
		pionwebrtc.WithMediaEngine(m),
		pionwebrtc.WithSettingEngine(se),
		pionwebrtc.WithInterceptorRegistry(&interceptor.Registry{}),
	), nil
}

// sipTrack is the page-bound track fed from the SIP side. It is a bare
// TrackLocal so the relay writes headers it already holds straight into
// SRTP, without pion's per-packet unmarshalling in TrackLocalStaticRTP.
type sipTrack struct {
	r *relay
}

var _ pionwebrtc.TrackLocal = (*sipTrack)(nil)

func (t *sipTrack) Bind(ctx pionwebrtc.TrackLocalContext) (pionwebrtc.RTPCodecParameters, error) {
	var chosen *pionwebrtc.RTPCodecParameters
	params := ctx.CodecParameters()
	for i, c := range params {
		switch {
		case strings.EqualFold(c.MimeType, mimeTelephoneEvent) && c.ClockRate == 8000:
			t.r.pageEventPT = uint8(c.PayloadType)
		case chosen == nil && (strings.EqualFold(c.MimeType, pionwebrtc.MimeTypePCMU) || strings.EqualFold(c.MimeType, pionwebrtc.MimeTypePCMA)):
			chosen = &params[i]
		}
	}
	if chosen == nil {
		return pionwebrtc.RTPCodecParameters{}, pionwebrtc.ErrUnsupportedCodec
	}
	t.r.pageCodecPT = uint8(chosen.PayloadType)
	t.r.out.Store(&pageOut{w: ctx.WriteStream(), ssrc: uint32(ctx.SSRC())})
	return *chosen, nil
}

func (t *sipTrack) Unbind(pionwebrtc.TrackLocalContext) error {
	t.r.out.Store(nil)
	return nil
}

func (t *sipTrack) ID() string                    { return "audio" }
func (t *sipTrack) RID() string                   { return "" }
func (t *sipTrack) StreamID() string              { return "webdial" }
func (t *sipTrack) Kind() pionwebrtc.RTPCodecType { return pionwebrtc.RTPCodecTypeAudio }
