package leanpage

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// local is what the offer says about the page.
type local struct {
	ufrag, pwd  string
	fingerprint string
	addr        netip.AddrPort
	ssrc        uint32
	pcmaOnly    bool
}

// buildOffer is a browser-like JSEP offer: one BUNDLE of an audio section
// (PCMU, PCMA, telephone-event) and the data-channel section, both with
// the page's one host candidate, a=setup:actpass.
func buildOffer(l local) (string, error) {
	sd, err := sdp.NewJSEPSessionDescription(false)
	if err != nil {
		return "", fmt.Errorf("leanpage: offer: %w", err)
	}
	ip := l.addr.Addr().String()
	ipver := "IP4"
	if l.addr.Addr().Is6() {
		ipver = "IP6"
	}
	sd.Origin.AddressType, sd.Origin.UnicastAddress = ipver, ip
	sd.WithValueAttribute("group", "BUNDLE 0 1")
	sd.WithValueAttribute("msid-semantic", " WMS page")
	candidate := fmt.Sprintf("1 1 udp 2130706431 %s %d typ host", ip, l.addr.Port())
	conn := func() *sdp.ConnectionInformation {
		return &sdp.ConnectionInformation{NetworkType: "IN", AddressType: ipver, Address: &sdp.Address{Address: ip}}
	}
	audio := &sdp.MediaDescription{
		MediaName:             sdp.MediaName{Media: "audio", Port: sdp.RangedPort{Value: int(l.addr.Port())}, Protos: []string{"UDP", "TLS", "RTP", "SAVPF"}},
		ConnectionInformation: conn(),
	}
	audio.WithValueAttribute("mid", "0").
		WithICECredentials(l.ufrag, l.pwd).
		WithFingerprint("sha-256", l.fingerprint).
		WithValueAttribute("setup", "actpass").
		WithPropertyAttribute("rtcp-mux").
		WithPropertyAttribute("sendrecv")
	if !l.pcmaOnly {
		audio.WithCodec(0, "PCMU", 8000, 0, "")
	}
	audio.WithCodec(8, "PCMA", 8000, 0, "").
		WithCodec(126, "telephone-event", 8000, 0, "0-15").
		WithValueAttribute("msid", "page audio").
		WithValueAttribute("ssrc", fmt.Sprintf("%d cname:page", l.ssrc)).
		WithValueAttribute("ssrc", fmt.Sprintf("%d msid:page audio", l.ssrc)).
		WithValueAttribute("candidate", candidate).
		WithPropertyAttribute("end-of-candidates")
	data := &sdp.MediaDescription{
		MediaName:             sdp.MediaName{Media: "application", Port: sdp.RangedPort{Value: int(l.addr.Port())}, Protos: []string{"UDP", "DTLS", "SCTP"}, Formats: []string{"webrtc-datachannel"}},
		ConnectionInformation: conn(),
	}
	data.WithValueAttribute("mid", "1").
		WithICECredentials(l.ufrag, l.pwd).
		WithFingerprint("sha-256", l.fingerprint).
		WithValueAttribute("setup", "actpass").
		WithValueAttribute("sctp-port", "5000").
		WithValueAttribute("max-message-size", "262144").
		WithValueAttribute("candidate", candidate).
		WithPropertyAttribute("end-of-candidates")
	sd.WithMedia(audio).WithMedia(data)
	b, err := sd.Marshal()
	if err != nil {
		return "", fmt.Errorf("leanpage: offer: %w", err)
	}
	return string(b), nil
}

// answer is what the client needs from the gateway's SDP answer.
type answer struct {
	ufrag, pwd   string
	fingerprints []litemedia.Fingerprint
	dtlsClient   bool           // a=setup:passive: the page is the DTLS client
	candidate    netip.AddrPort // the host candidate the page checks
	audioPT      uint8
	eventPT      int // -1: no telephone-event
	lite         bool
}

// parseAnswer reads the answer's ICE credentials, fingerprints, DTLS role,
// codec and picks one UDP host candidate of the page's address family,
// preferring a loopback one.
func parseAnswer(raw string, family netip.Addr) (answer, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return answer{}, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	a := answer{eventPT: -1}
	_, a.lite = sd.Attribute("ice-lite")
	session := func(key string) string { v, _ := sd.Attribute(key); return v }
	var setup string
	found := false
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value == 0 {
			continue
		}
		attr := func(key string) string {
			if v, ok := md.Attribute(key); ok {
				return v
			}
			return session(key)
		}
		if a.ufrag == "" {
			a.ufrag, a.pwd, setup = attr("ice-ufrag"), attr("ice-pwd"), attr("setup")
			if fp := attr("fingerprint"); fp != "" {
				f, err := parseFingerprint(fp)
				if err != nil {
					return answer{}, err
				}
				a.fingerprints = append(a.fingerprints, f)
			}
		}
		if md.MediaName.Media == "audio" && !found {
			found = true
			if len(md.MediaName.Formats) == 0 {
				return answer{}, fmt.Errorf("%w: audio without formats", ErrBadAnswer)
			}
			pt, err := strconv.ParseUint(md.MediaName.Formats[0], 10, 7)
			if err != nil {
				return answer{}, fmt.Errorf("%w: payload type %q", ErrBadAnswer, md.MediaName.Formats[0])
			}
			a.audioPT = uint8(pt)
			for _, f := range md.MediaName.Formats {
				pt, err := strconv.ParseUint(f, 10, 7)
				if err != nil {
					continue
				}
				if c, err := sd.GetCodecForPayloadType(uint8(pt)); err == nil && strings.EqualFold(c.Name, "telephone-event") {
					a.eventPT = int(pt)
				}
			}
		}
		for _, at := range md.Attributes {
			if at.Key == "candidate" {
				a.pickCandidate(at.Value, family)
			}
		}
	}
	switch {
	case !found:
		return answer{}, fmt.Errorf("%w: no audio", ErrBadAnswer)
	case a.ufrag == "" || a.pwd == "":
		return answer{}, fmt.Errorf("%w: no ice credentials", ErrBadAnswer)
	case len(a.fingerprints) == 0:
		return answer{}, fmt.Errorf("%w: no fingerprint", ErrBadAnswer)
	case !a.candidate.IsValid():
		return answer{}, fmt.Errorf("%w: no usable udp host candidate", ErrBadAnswer)
	}
	switch setup {
	case "passive":
		a.dtlsClient = true
	case "active":
	default:
		return answer{}, fmt.Errorf("%w: a=setup:%s", ErrBadAnswer, setup)
	}
	return a, nil
}

// pickCandidate keeps a UDP host candidate of the page's family; the
// first loopback one wins over others.
func (a *answer) pickCandidate(v string, family netip.Addr) {
	f := strings.Fields(v)
	if len(f) < 8 || !strings.EqualFold(f[2], "udp") || f[6] != "typ" || f[7] != "host" {
		return
	}
	ip, err := netip.ParseAddr(f[4])
	if err != nil || ip.Is4() != family.Is4() {
		return
	}
	port, err := strconv.ParseUint(f[5], 10, 16)
	if err != nil || port == 0 {
		return
	}
	if !a.candidate.IsValid() || (!a.candidate.Addr().IsLoopback() && ip.IsLoopback()) {
		a.candidate = netip.AddrPortFrom(ip, uint16(port))
	}
}
