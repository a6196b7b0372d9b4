package webrtc

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Static payload types of the G.711 codecs (RFC 3551).
const (
	ptPCMU = 0
	ptPCMA = 8
	// ptTelephoneEvent is what the gateway offers to the SIP side.
	ptTelephoneEvent = 101
	// ptNone marks a payload type that is dropped by the relay.
	ptNone = 0xff
)

// buildSIPOffer returns the SDP offered to the SIP network: one audio
// stream at addr:port with the codec the page is sending (so nothing is
// ever transcoded) and telephone-event.
func buildSIPOffer(addr netip.Addr, port int, codecPT uint8, sessionID uint64) []byte {
	ipver := "IP4"
	if addr.Is6() && !addr.Is4In6() {
		ipver = "IP6"
	}
	codecName := "PCMU"
	if codecPT == ptPCMA {
		codecName = "PCMA"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=webdial %d %d IN %s %s\r\ns=webdial\r\n", sessionID, sessionID, ipver, addr.Unmap())
	fmt.Fprintf(&b, "c=IN %s %s\r\nt=0 0\r\n", ipver, addr.Unmap())
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %d %d\r\n", port, codecPT, ptTelephoneEvent)
	fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", codecPT, codecName)
	fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", ptTelephoneEvent, ptTelephoneEvent)
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}

// sipMedia is what the relay needs from the SIP side's SDP.
type sipMedia struct {
	// Remote is where the SIP side wants RTP (c= and m= port).
	Remote netip.AddrPort
	// CodecPT is the payload type the SIP side uses for the page's codec.
	CodecPT uint8
	// EventPT is its telephone-event payload type, ptNone if absent.
	EventPT uint8
	// Inactive is set when the stream is a=inactive or port 0.
	Inactive bool
}

// parseSIPAnswer extracts the first audio stream of a SIP answer (or early
// media SDP) and checks that it carries the codec we offered.
func parseSIPAnswer(raw []byte, codecPT uint8) (sipMedia, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(raw)); err != nil {
		return sipMedia{}, fmt.Errorf("%w: %v", ErrSIPAnswer, err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		m := sipMedia{CodecPT: ptNone, EventPT: ptNone}
		conn := md.ConnectionInformation
		if conn == nil {
			conn = sd.ConnectionInformation
		}
		if conn == nil || conn.Address == nil {
			return sipMedia{}, fmt.Errorf("%w: no c= line", ErrSIPAnswer)
		}
		ip, err := netip.ParseAddr(conn.Address.Address)
		if err != nil {
			return sipMedia{}, fmt.Errorf("%w: c= %q is not an IP address", ErrSIPAnswer, conn.Address.Address)
		}
		port := md.MediaName.Port.Value
		if port < 0 || port > 65535 {
			return sipMedia{}, fmt.Errorf("%w: bad port", ErrSIPAnswer)
		}
		m.Remote = netip.AddrPortFrom(ip.Unmap(), uint16(port))
		m.Inactive = port == 0 || ip.IsUnspecified()
		names := map[uint8]string{ptPCMU: "pcmu", ptPCMA: "pcma"}
		for _, a := range md.Attributes {
			switch a.Key {
			case "rtpmap":
				num, enc, ok := strings.Cut(a.Value, " ")
				pt, err := strconv.ParseUint(num, 10, 7)
				if ok && err == nil {
					name, _, _ := strings.Cut(enc, "/")
					names[uint8(pt)] = strings.ToLower(name)
				}
			case "inactive":
				m.Inactive = true
			}
		}
		want := "pcmu"
		if codecPT == ptPCMA {
			want = "pcma"
		}
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 7)
			if err != nil {
				continue
			}
			switch names[uint8(pt)] {
			case want:
				if m.CodecPT == ptNone {
					m.CodecPT = uint8(pt)
				}
			case "telephone-event":
				if m.EventPT == ptNone {
					m.EventPT = uint8(pt)
				}
			}
		}
		if m.CodecPT == ptNone {
			return sipMedia{}, fmt.Errorf("%w: codec %s not accepted", ErrSIPAnswer, strings.ToUpper(want))
		}
		return m, nil
	}
	return sipMedia{}, fmt.Errorf("%w: no audio stream", ErrSIPAnswer)
}
