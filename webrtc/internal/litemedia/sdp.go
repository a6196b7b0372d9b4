package litemedia

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// offer is what the transport needs from the page's SDP offer.
type offer struct {
	ufrag, pwd   string
	fingerprints []Fingerprint
	sections     []section // every m-line, in order
	codecPT      uint8     // G.711 payload type chosen for the answer
	codecName    string    // "PCMU" or "PCMA"
	eventPT      int       // telephone-event payload type, -1 if not offered
}

// section is one m-line of the offer and whether the answer accepts it.
type section struct {
	media     string
	mid       string
	protos    []string
	formats   []string
	direction string // the answer's direction for an accepted audio section
	accepted  bool
}

// answerDirection is the answer's direction for an offered one (RFC 3264
// §6.1); "" for an attribute that is not a direction.
func answerDirection(offered string) string {
	switch offered {
	case "sendrecv", "inactive":
		return offered
	case "sendonly":
		return "recvonly"
	case "recvonly":
		return "sendonly"
	}
	return ""
}

// parseOffer extracts ICE credentials, fingerprints and the first G.711
// audio section of a JSEP offer. The audio section and a data-channel
// section are accepted only in the offer's BUNDLE group, because the
// transport has a single socket; anything else is rejected (port 0).
func parseOffer(raw string) (offer, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return offer{}, fmt.Errorf("%w: %w", ErrBadOffer, err)
	}
	o := offer{eventPT: -1}
	bundle := map[string]bool{}
	for _, a := range sd.Attributes {
		if a.Key == "group" {
			if rest, ok := strings.CutPrefix(a.Value, "BUNDLE "); ok {
				for _, mid := range strings.Fields(rest) {
					bundle[mid] = true
				}
			}
		}
	}
	session := func(key string) string { v, _ := sd.Attribute(key); return v }
	audioFound := false
	for _, md := range sd.MediaDescriptions {
		s := section{media: md.MediaName.Media, protos: md.MediaName.Protos, formats: md.MediaName.Formats}
		s.mid, _ = md.Attribute("mid")
		media := func(key string) string {
			if v, ok := md.Attribute(key); ok {
				return v
			}
			return session(key)
		}
		usable := md.MediaName.Port.Value != 0 && s.mid != "" && (bundle[s.mid] || len(sd.MediaDescriptions) == 1)
		switch {
		case usable && s.media == "audio" && !audioFound:
			if err := o.pickCodec(&sd, md); err != nil {
				return offer{}, err
			}
			if _, ok := md.Attribute("rtcp-mux"); !ok {
				return offer{}, fmt.Errorf("%w: audio without rtcp-mux", ErrBadOffer)
			}
			s.direction = "sendrecv"
			for _, a := range md.Attributes {
				if d := answerDirection(a.Key); d != "" {
					s.direction = d
				}
			}
			audioFound, s.accepted = true, true
		case usable && s.media == "application" && len(s.formats) == 1 && s.formats[0] == "webrtc-datachannel":
			s.accepted = true
		}
		if s.accepted {
			if err := o.takeTransport(media); err != nil {
				return offer{}, err
			}
		}
		o.sections = append(o.sections, s)
	}
	if !audioFound {
		return offer{}, ErrNoAudio
	}
	return o, nil
}

// pickCodec chooses PCMU, else PCMA, with the offer's payload type numbers.
func (o *offer) pickCodec(sd *sdp.SessionDescription, md *sdp.MediaDescription) error {
	pcma := -1
	for _, f := range md.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		name := ""
		if c, err := sd.GetCodecForPayloadType(uint8(pt)); err == nil {
			name = strings.ToUpper(c.Name)
			if c.ClockRate != 8000 {
				continue
			}
		} else if pt == 0 || pt == 8 { // static payload types need no rtpmap
			name = map[uint64]string{0: "PCMU", 8: "PCMA"}[pt]
		}
		switch name {
		case "PCMU":
			if o.codecName == "" {
				o.codecPT, o.codecName = uint8(pt), "PCMU"
			}
		case "PCMA":
			if pcma < 0 {
				pcma = int(pt)
			}
		case "TELEPHONE-EVENT":
			if o.eventPT < 0 {
				o.eventPT = int(pt)
			}
		}
	}
	if o.codecName == "" && pcma >= 0 {
		o.codecPT, o.codecName = uint8(pcma), "PCMA"
	}
	if o.codecName == "" {
		return ErrNoAudio
	}
	return nil
}

// takeTransport reads the bundle's ICE and DTLS parameters (media level,
// else session level) and checks that the page will be the DTLS client.
func (o *offer) takeTransport(attr func(string) string) error {
	if o.ufrag != "" {
		return nil // BUNDLE: the first accepted section's parameters rule
	}
	o.ufrag, o.pwd = attr("ice-ufrag"), attr("ice-pwd")
	if o.ufrag == "" || len(o.pwd) < 22 { // RFC 8839 §5.4: pwd has 22 to 256 characters
		return fmt.Errorf("%w: ice credentials", ErrBadOffer)
	}
	switch setup := attr("setup"); setup {
	case "actpass", "active", "":
	default: // we would have to be the DTLS client
		return fmt.Errorf("%w: a=setup:%s", ErrBadOffer, setup)
	}
	fp := attr("fingerprint")
	if fp == "" {
		return fmt.Errorf("%w: no fingerprint", ErrBadOffer)
	}
	f, err := ParseFingerprint(fp)
	if err != nil {
		return err
	}
	o.fingerprints = append(o.fingerprints, f)
	return nil
}

// local is what the answer says about this side.
type local struct {
	ufrag, pwd  string
	fingerprint string
	addr        netip.AddrPort
	ssrc        uint32
}

// buildAnswer is the JSEP answer of an ICE-lite, DTLS-passive endpoint
// with one host candidate.
func buildAnswer(o offer, l local) (string, error) {
	sd, err := sdp.NewJSEPSessionDescription(false)
	if err != nil {
		return "", fmt.Errorf("litemedia: answer: %w", err)
	}
	ipver := "IP4"
	if l.addr.Addr().Is6() {
		ipver = "IP6"
	}
	sd.Origin.AddressType, sd.Origin.UnicastAddress = ipver, l.addr.Addr().String()
	var mids []string
	for _, s := range o.sections {
		if s.accepted {
			mids = append(mids, s.mid)
		}
	}
	sd.WithValueAttribute("group", "BUNDLE "+strings.Join(mids, " "))
	sd.WithPropertyAttribute("ice-lite")
	candidate := fmt.Sprintf("1 1 udp 2130706431 %s %d typ host", l.addr.Addr(), l.addr.Port())
	for _, s := range o.sections {
		md := &sdp.MediaDescription{
			MediaName: sdp.MediaName{Media: s.media, Port: sdp.RangedPort{Value: int(l.addr.Port())}, Protos: s.protos},
			ConnectionInformation: &sdp.ConnectionInformation{
				NetworkType: "IN", AddressType: ipver, Address: &sdp.Address{Address: l.addr.Addr().String()},
			},
		}
		if !s.accepted {
			md.MediaName.Port.Value, md.MediaName.Formats = 0, s.formats
			if s.mid != "" {
				md.WithValueAttribute("mid", s.mid)
			}
			sd.WithMedia(md)
			continue
		}
		md.WithValueAttribute("mid", s.mid).
			WithICECredentials(l.ufrag, l.pwd).
			WithFingerprint("sha-256", l.fingerprint).
			WithValueAttribute("setup", "passive")
		if s.media == "audio" {
			md.WithCodec(o.codecPT, o.codecName, 8000, 0, "")
			if o.eventPT >= 0 {
				md.WithCodec(uint8(o.eventPT), "telephone-event", 8000, 0, "0-15")
			}
			md.WithPropertyAttribute("rtcp-mux").WithPropertyAttribute(s.direction).
				WithValueAttribute("msid", "webdial audio").
				WithValueAttribute("ssrc", fmt.Sprintf("%d cname:webdial", l.ssrc)).
				WithValueAttribute("ssrc", fmt.Sprintf("%d msid:webdial audio", l.ssrc))
		} else {
			md.MediaName.Formats = s.formats
			md.WithValueAttribute("sctp-port", "5000").WithValueAttribute("max-message-size", "262144")
		}
		md.WithValueAttribute("candidate", candidate).WithPropertyAttribute("end-of-candidates")
		sd.WithMedia(md)
	}
	b, err := sd.Marshal()
	if err != nil {
		return "", fmt.Errorf("litemedia: answer: %w", err)
	}
	return string(b), nil
}
