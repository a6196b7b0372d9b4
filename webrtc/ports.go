package webrtc

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// bindRTPPair binds an even RTP port and the odd RTCP port after it, in
// [portMin, portMax] or, when both are zero, wherever the OS puts them.
func bindRTPPair(addr netip.Addr, portMin, portMax uint16) (rtpConn, rtcpConn *net.UDPConn, err error) {
	const attempts = 32
	for i := 0; i < attempts; i++ {
		port := 0
		if portMin != 0 {
			span := int(portMax-portMin) + 1
			port = int(portMin) + int(randUint32()%uint32(span))
			port &^= 1
			if port < int(portMin) || port+1 > int(portMax) {
				continue
			}
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
		if err != nil {
			continue
		}
		got := c.LocalAddr().(*net.UDPAddr).Port
		if got%2 != 0 || got == 65535 {
			_ = c.Close()
			continue
		}
		c2, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(got+1))))
		if err != nil {
			_ = c.Close()
			continue
		}
		return c, c2, nil
	}
	return nil, nil, fmt.Errorf("%w: no free rtp port pair on %s", ErrOverloaded, addr)
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

func randID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
