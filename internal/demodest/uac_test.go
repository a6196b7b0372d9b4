package demodest

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
)

// testUAC is a minimal SIP caller with its own RTP socket, used to call a
// Destination over real loopback sockets.
type testUAC struct {
	t        *testing.T
	dialogUA *sipgo.DialogUA
	sipAddr  string
	rtpConn  *net.UDPConn
	byes     chan *sip.Request
	sess     atomic.Pointer[sipgo.DialogClientSession]

	rtpIn   atomic.Uint64
	loudest atomic.Int64 // largest decoded |sample| received
}

func newTestUAC(t *testing.T) *testUAC {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quiet)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	u := &testUAC{
		t:       t,
		sipAddr: conn.LocalAddr().String(),
		rtpConn: rtpConn,
		byes:    make(chan *sip.Request, 4),
		dialogUA: &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{
			Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: port},
		}},
	}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if s := u.sess.Load(); s != nil {
			_ = s.ReadBye(req, tx)
		}
		u.byes <- req
	})
	go func() { _ = srv.ServeUDP(conn) }()
	go u.readRTP()
	t.Cleanup(func() {
		srv.Close()
		ua.Close()
		conn.Close()
		rtpConn.Close()
	})
	return u
}

func (u *testUAC) offer() []byte {
	port := u.rtpConn.LocalAddr().(*net.UDPAddr).Port
	return fmt.Appendf(nil, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n", port)
}

// call invites target and returns the answer's RTP address.
func (u *testUAC) call(ctx context.Context, target string, sdp []byte) (*sipgo.DialogClientSession, offer, error) {
	var uri sip.Uri
	if err := sip.ParseUri(target, &uri); err != nil {
		return nil, offer{}, err
	}
	sess, err := u.dialogUA.Invite(ctx, uri, sdp, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		return nil, offer{}, err
	}
	u.sess.Store(sess)
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		return sess, offer{}, err
	}
	if err := sess.Ack(ctx); err != nil {
		return sess, offer{}, err
	}
	ans, err := parseOffer(sess.InviteResponse.Body())
	return sess, ans, err
}

func (u *testUAC) readRTP() {
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, err := u.rtpConn.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		u.rtpIn.Add(1)
		for _, b := range p.Payload {
			v := int64(decodeULaw(b))
			if p.PayloadType == payloadPCMA {
				v = int64(decodeALaw(b))
			}
			v = max(v, -v)
			for {
				old := u.loudest.Load()
				if v <= old || u.loudest.CompareAndSwap(old, v) {
					break
				}
			}
		}
	}
}

// sendAudio sends n 20 ms PCMU frames of a 1 kHz tone to dst, unpaced: the
// destination buffers what it echoes.
func (u *testUAC) sendAudio(dst *net.UDPAddr, n int) {
	u.t.Helper()
	hdr := rtp.Header{Version: 2, PayloadType: payloadPCMU, SSRC: 0x1234, SequenceNumber: 1, Timestamp: 1000}
	payload := make([]byte, frameSamples)
	for i := range payload {
		payload[i] = encodeULaw([]int16{0, 7000, 10000, 7000, 0, -7000, -10000, -7000}[i%8])
	}
	for range n {
		b, _ := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
		if _, err := u.rtpConn.WriteToUDP(b, dst); err != nil {
			u.t.Fatal(err)
		}
		hdr.SequenceNumber++
		hdr.Timestamp += frameSamples
	}
}

// sendDigit sends one RFC 4733 event as a real phone does: three progress
// packets and three end packets, all with the event's start timestamp.
func (u *testUAC) sendDigit(dst *net.UDPAddr, event byte, seq uint16, ts uint32) {
	u.t.Helper()
	for i := range 6 {
		p := make([]byte, 4)
		p[0] = event
		p[1] = 10 // volume
		if i >= 3 {
			p[1] |= 0x80
		}
		binary.BigEndian.PutUint16(p[2:], uint16(160*(i+1)))
		hdr := rtp.Header{Version: 2, PayloadType: 101, SSRC: 0x1234, SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == 0}
		b, _ := (&rtp.Packet{Header: hdr, Payload: p}).Marshal()
		if _, err := u.rtpConn.WriteToUDP(b, dst); err != nil {
			u.t.Fatal(err)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
