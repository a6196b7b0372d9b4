package sip

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// sipgoUDPSources is the size of sipgo's UDP connection pool: one entry per
// remote address it has seen (sipgo issue #150), kept until the listener
// closes.
func (ts *testServer) sipgoUDPSources() int {
	return ts.srv.st.Load().ua.TransportLayer().Pool("udp").Size()
}

// rejectedInvite sends an anonymous INVITE to a tel: URI from a fresh
// socket, reads the 403 and ACKs it, as a well-behaved caller would.
func rejectedInvite(t *testing.T, ts *testServer, i int) {
	t.Helper()
	c := dialServer(t, ts)
	defer c.Close()
	msg := inviteMsg(c.LocalAddr(), anonFrom, "tel:+15551234567", 1000+i)
	res := finalResponse(t, c, msg)
	wantStatus(t, res, "403")
	toLine := ""
	for _, l := range strings.Split(res, "\r\n") {
		if strings.HasPrefix(l, "To: ") {
			toLine = l
		}
	}
	via := strings.Split(strings.Split(msg, "\r\n")[1], ";rport")[0]
	ack := fmt.Sprintf("ACK tel:+15551234567 SIP/2.0\r\n%s;rport\r\nFrom: <%s>;tag=caller%d\r\n%s\r\nCall-ID: inv-%d@test\r\nCSeq: %d ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		via, anonFrom, 1000+i, toLine, 1000+i, 1000+i)
	if _, err := c.Write([]byte(ack)); err != nil {
		t.Fatal(err)
	}
}

// TestServerResourcesAfterLoad checks that goroutines, open descriptors and
// heap return to their starting level after a burst of bridged calls, a
// REGISTER load from many source ports and rejected INVITEs from many
// source ports, and measures sipgo's per-source map (issue #150).
func TestServerResourcesAfterLoad(t *testing.T) {
	const calls, registrations, invites = 20, 1000, 300
	// One sipp caller places every call: lift the per-source cap (10).
	ts := startB2BUA(t, func(s *Server) { s.Limits.MaxCallsPerSource = -1 })
	uas := startB2BUAUAS(t, "", calls+1)
	bindBob(t, ts, uas.port)
	// Warm up every path once, then take the baseline.
	if st := runB2BUAUAC(t, ts, "b2bua_uac_anon.xml", "sip:bob@"+testDomain, 1); st.Successful != 1 {
		t.Fatalf("warm-up call: %+v", st)
	}
	newRegClient(t, ts, testUser, testPassword).send(testUser, "Contact: <sip:alice@192.0.2.1:5060>")
	rejectedInvite(t, ts, 0)
	waitGoroutinesAtMost(t, runtime.NumGoroutine()) // settle
	runtime.Gosched()
	baseG, baseFD, baseHeap, basePool := runtime.NumGoroutine(), openFDs(t), heapInuse(), ts.sipgoUDPSources()

	if st := runB2BUAUAC(t, ts, "b2bua_uac_anon.xml", "sip:bob@"+testDomain, calls); st.Successful != calls {
		t.Fatalf("burst: %+v", st)
	}
	afterCalls := ts.sipgoUDPSources()
	dc := newRegClient(t, ts, testUser, testPassword).dc
	for i := range registrations {
		c, err := net.DialUDP("udp", nil, ts.udp)
		if err != nil {
			t.Fatal(err)
		}
		r := &regClient{t: t, c: c, callID: fmt.Sprintf("load-%d@test", i), dc: dc}
		wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "200")
		c.Close()
	}
	afterRegs := ts.sipgoUDPSources()
	for i := range invites {
		rejectedInvite(t, ts, i+1)
	}
	afterInvites := ts.sipgoUDPSources()

	waitGoroutinesAtMost(t, baseG+2)
	pollUntil(20*time.Second, func() bool { return openFDs(t) <= baseFD+2 }) // asserted below
	fd, heap := openFDs(t), heapInuse()
	t.Logf("goroutines %d -> %d, fds %d -> %d, heap in use %.1f -> %.1f MiB", baseG, runtime.NumGoroutine(), baseFD, fd, float64(baseHeap)/(1<<20), float64(heap)/(1<<20))
	t.Logf("sipgo UDP source map: %d at baseline, %d after %d calls, %d after %d REGISTER flows from new ports, %d after %d rejected INVITEs from new ports",
		basePool, afterCalls, calls, afterRegs, registrations, afterInvites, invites)
	if fd > baseFD+2 {
		t.Errorf("open fds %d, baseline %d", fd, baseFD)
	}
	if heap > baseHeap+8<<20 {
		t.Errorf("heap in use %d, baseline %d", heap, baseHeap)
	}
	if afterRegs != afterCalls {
		t.Errorf("REGISTERs from %d new ports grew sipgo's source map %d -> %d", registrations, afterCalls, afterRegs)
	}
	if n := ts.srv.st.Load().passed.size(); n > calls+2 {
		t.Errorf("%d calls still passed to sipgo", n)
	}
	if afterInvites-afterRegs > 10 {
		t.Errorf("rejected INVITEs from %d new ports grew sipgo's source map %d -> %d", invites, afterRegs, afterInvites)
	}
	if n := ts.srv.st.Load().dlgs.count(); n != 0 {
		t.Errorf("%d bridged calls still tracked", n)
	}
	if n := ts.srv.st.Load().calls.active(); n != 0 {
		t.Errorf("%d call slots still held", n)
	}
}
