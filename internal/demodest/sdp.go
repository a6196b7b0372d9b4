package demodest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxSDPSize bounds the offers this toy parser looks at.
const maxSDPSize = 16 << 10

// offer is what the destination needs from an SDP offer: where to send RTP,
// which G.711 law to use and the telephone-event payload type (-1: none).
type offer struct {
	remote  netip.AddrPort
	codec   codec
	dtmfPT  int
	hasDTMF bool
}

// parseOffer reads the first audio stream of an SDP offer and picks the
// first PCMU or PCMA format in the offerer's order of preference.
func parseOffer(body []byte) (offer, error) {
	if len(body) == 0 || len(body) > maxSDPSize {
		return offer{}, fmt.Errorf("%w: size %d", ErrSDP, len(body))
	}
	var (
		sessionAddr, mediaAddr string
		port                   = -1
		formats                []string
		rtpmap                 = map[string]string{}
		inAudio, seenAudio     bool
	)
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, "=")
		if !ok || len(key) != 1 {
			continue
		}
		switch key {
		case "m":
			inAudio = false
			f := strings.Fields(val)
			if seenAudio || len(f) < 4 || f[0] != "audio" {
				continue
			}
			seenAudio, inAudio = true, true
			if f[2] != "RTP/AVP" && f[2] != "RTP/AVPF" {
				return offer{}, fmt.Errorf("%w: transport %q is not plain RTP", ErrSDP, f[2])
			}
			p, err := strconv.Atoi(f[1])
			if err != nil || p <= 0 || p > 65535 {
				return offer{}, fmt.Errorf("%w: bad port %q", ErrSDP, f[1])
			}
			port, formats = p, f[3:]
		case "c":
			f := strings.Fields(val)
			if len(f) != 3 || f[0] != "IN" {
				return offer{}, fmt.Errorf("%w: bad connection line", ErrSDP)
			}
			if inAudio {
				mediaAddr = f[2]
			} else if !seenAudio {
				sessionAddr = f[2]
			}
		case "a":
			if !inAudio {
				continue
			}
			if rest, ok := strings.CutPrefix(val, "rtpmap:"); ok {
				pt, enc, _ := strings.Cut(rest, " ")
				rtpmap[pt] = strings.ToLower(strings.TrimSpace(enc))
			}
		}
	}
	if !seenAudio {
		return offer{}, fmt.Errorf("%w: no audio stream", ErrSDP)
	}
	host := mediaAddr
	if host == "" {
		host = sessionAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return offer{}, fmt.Errorf("%w: connection address %q", ErrSDP, host)
	}
	o := offer{remote: netip.AddrPortFrom(ip.Unmap(), uint16(port)), dtmfPT: -1}
	found := false
	for _, f := range formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		enc := rtpmap[f]
		switch {
		case !found && (n == payloadPCMU && enc == "" || enc == "pcmu/8000" || enc == "pcmu/8000/1"):
			o.codec, _ = codecFor(payloadPCMU)
			o.codec.payloadType = uint8(n)
			found = true
		case !found && (n == payloadPCMA && enc == "" || enc == "pcma/8000" || enc == "pcma/8000/1"):
			o.codec, _ = codecFor(payloadPCMA)
			o.codec.payloadType = uint8(n)
			found = true
		case !o.hasDTMF && enc == "telephone-event/8000":
			o.dtmfPT, o.hasDTMF = n, true
		}
	}
	if !found {
		return offer{}, fmt.Errorf("%w: neither PCMU nor PCMA offered", ErrSDP)
	}
	return o, nil
}

// answerSDP builds the answer: the chosen law, telephone-event with the
// offer's payload type when offered, 20 ms packets, sendrecv.
func answerSDP(local netip.AddrPort, o offer, sessionID int64) []byte {
	ipVer := "IP4"
	if local.Addr().Is6() {
		ipVer = "IP6"
	}
	ip := local.Addr().String()
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=- %d %d IN %s %s\r\ns=webdial demo destination\r\n", sessionID, sessionID, ipVer, ip)
	fmt.Fprintf(&b, "c=IN %s %s\r\nt=0 0\r\n", ipVer, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP %d", local.Port(), o.codec.payloadType)
	if o.hasDTMF {
		fmt.Fprintf(&b, " %d", o.dtmfPT)
	}
	fmt.Fprintf(&b, "\r\na=rtpmap:%d %s/8000\r\n", o.codec.payloadType, o.codec.name)
	if o.hasDTMF {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", o.dtmfPT, o.dtmfPT)
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}
