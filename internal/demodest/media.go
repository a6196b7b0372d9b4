package demodest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
)

const (
	// echoGain is how loud the caller hears themselves.
	echoGain = 0.7
	// maxEchoSamples bounds the echo buffer (one second) so a sender that
	// outpaces the 20 ms clock cannot grow it.
	maxEchoSamples = sampleRate
	// maxRTPSize is the largest datagram read; G.711 at 20 ms is 172 bytes.
	maxRTPSize = 1500
)

// media is one call's RTP session: it sends the chime mixed with the echo
// every 20 ms and reads what the caller sends.
type media struct {
	conn   *net.UDPConn
	codec  codec
	dtmfPT int // -1: the offer had no telephone-event
	dest   *Destination
	callID string

	mu     sync.Mutex
	remote netip.AddrPort
	echo   []int16 // decoded caller audio waiting to be echoed
	// lastDTMF is the RTP timestamp of the last DTMF event seen: RFC 4733
	// repeats an event in several packets that share one timestamp.
	lastDTMF    uint32
	seenDTMF    bool
	latchedPeer bool
}

func newMedia(conn *net.UDPConn, o offer, d *Destination, callID string) *media {
	dtmfPT := -1
	if o.hasDTMF {
		dtmfPT = o.dtmfPT
	}
	return &media{conn: conn, codec: o.codec, dtmfPT: dtmfPT, dest: d, callID: callID, remote: o.remote}
}

// run sends and receives until ctx is done, then returns after both loops
// stopped. The caller closes conn afterwards.
func (m *media) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { m.receive(ctx) })
	m.send(ctx)
	// Unblock the reader.
	_ = m.conn.SetReadDeadline(time.Now())
	wg.Wait()
}

func (m *media) send(ctx context.Context) {
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	hdr := rtp.Header{
		Version:        2,
		PayloadType:    m.codec.payloadType,
		SequenceNumber: binary.BigEndian.Uint16(seed[0:2]),
		Timestamp:      binary.BigEndian.Uint32(seed[2:6]),
		SSRC:           binary.BigEndian.Uint32(seed[4:8]) | 1,
		Marker:         true,
	}
	var (
		c       chime
		pcm     = make([]float64, frameSamples)
		payload = make([]byte, frameSamples)
		buf     = make([]byte, 0, 12+frameSamples)
	)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		clear(pcm)
		if !m.dest.cfg.Quiet {
			c.next(pcm)
		}
		m.mu.Lock()
		n := min(len(m.echo), frameSamples)
		for i := range n {
			pcm[i] += echoGain * float64(m.echo[i])
		}
		m.echo = m.echo[:copy(m.echo, m.echo[n:])]
		remote := m.remote
		m.mu.Unlock()
		for i, v := range pcm {
			payload[i] = m.codec.encode(clamp16(v))
		}
		pkt := rtp.Packet{Header: hdr, Payload: payload}
		out, err := pkt.Header.MarshalTo(buf[:12])
		if err != nil {
			continue
		}
		buf = append(buf[:out], payload...)
		if _, err := m.conn.WriteToUDPAddrPort(buf, remote); err == nil {
			m.dest.rtpSent.Add(1)
		}
		hdr.Marker = false
		hdr.SequenceNumber++
		hdr.Timestamp += frameSamples
	}
}

func (m *media) receive(ctx context.Context) {
	buf := make([]byte, maxRTPSize)
	var pkt rtp.Packet
	for ctx.Err() == nil {
		n, from, err := m.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return
			}
			continue
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.Version != 2 {
			continue
		}
		m.dest.rtpReceived.Add(1)
		m.mu.Lock()
		// Symmetric RTP: answer where the caller's packets come from, which
		// is where a NAT or a relay expects them.
		if !m.latchedPeer && from != m.remote {
			m.remote = from
		}
		m.latchedPeer = true
		m.mu.Unlock()
		switch {
		case int(pkt.PayloadType) == m.dtmfPT:
			m.onTelephoneEvent(pkt.Timestamp, pkt.Payload)
		case pkt.PayloadType == m.codec.payloadType:
			m.mu.Lock()
			for _, b := range pkt.Payload {
				if len(m.echo) >= maxEchoSamples {
					break
				}
				m.echo = append(m.echo, m.codec.decode(b))
			}
			m.mu.Unlock()
		}
	}
}

// onTelephoneEvent handles one RFC 4733 payload: event(8) E|R|volume(8)
// duration(16). An event is reported once, on its first packet.
func (m *media) onTelephoneEvent(ts uint32, p []byte) {
	if len(p) < 4 {
		return
	}
	digit, ok := eventDigit(p[0])
	if !ok {
		return
	}
	m.mu.Lock()
	isNew := !m.seenDTMF || ts != m.lastDTMF
	m.lastDTMF, m.seenDTMF = ts, true
	m.mu.Unlock()
	if isNew {
		m.dest.recordDigit(m.callID, digit)
	}
}

// eventDigit maps RFC 4733 DTMF event codes 0-15 to their keys.
func eventDigit(ev byte) (rune, bool) {
	const keys = "0123456789*#ABCD"
	if int(ev) >= len(keys) {
		return 0, false
	}
	return rune(keys[ev]), true
}
