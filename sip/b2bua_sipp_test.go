package sip

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/internal/testpeer"
)

// startB2BUA runs a Server with a Dialer for its outbound legs.
func startB2BUA(t *testing.T, mutate func(*Server)) *testServer {
	t.Helper()
	d, err := NewDialer(context.Background(), DialerConfig{Logger: srvTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return startServer(t, func(s *Server) {
		s.Dialer = d
		if mutate != nil {
			mutate(s)
		}
	})
}

// b2buaUAS is a sipp callee with a message trace.
type b2buaUAS struct {
	peer *testpeer.Peer
	port int
}

// startB2BUAUAS starts sipp as callee: scenario "" is sipp's built-in uas
// (answers, waits for BYE); it echoes RTP.
func startB2BUAUAS(t *testing.T, scenario string, calls int) *b2buaUAS {
	t.Helper()
	ports := []int{testpeer.FreePort(t), freeMediaBase(t)}
	args := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-mp", strconv.Itoa(ports[1]), "-rtp_echo",
		"-nostdin", "-m", strconv.Itoa(calls), "-timeout", "30s",
		"-trace_stat", "-stf", "{{.Dir}}/stats.csv", "-trace_msg", "-message_file", "{{.Dir}}/messages.log"}
	opts := testpeer.Options{Vars: map[string]any{"Hold": 300}, Listen: []string{"udp:" + strconv.Itoa(ports[0])}}
	if scenario == "" {
		args = append([]string{"-sn", "uas"}, args...)
	} else {
		args = append([]string{"-sf", "{{.Dir}}/scenario.xml"}, args...)
		opts.Configs = map[string]string{"scenario.xml": filepath.Join("testdata", "sipp", scenario)}
	}
	opts.Args = args
	return &b2buaUAS{peer: testpeer.Start(t, "sipp", opts), port: ports[0]}
}

func (u *b2buaUAS) messages() string {
	b, _ := os.ReadFile(filepath.Join(u.peer.Dir, "messages.log"))
	return string(b)
}

// wait waits for the callee to finish its calls and returns its stats.
func (u *b2buaUAS) wait(t *testing.T) testpeer.SippStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := u.peer.Wait(ctx); err != nil {
		t.Fatalf("sipp callee: %v\n%s", err, u.peer.Output())
	}
	st, err := testpeer.ReadSippStats(filepath.Join(u.peer.Dir, "stats.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// runB2BUAUAC runs one sipp caller scenario against the server.
func runB2BUAUAC(t *testing.T, ts *testServer, scenario, target string, calls int) testpeer.SippStats {
	t.Helper()
	return runB2BUAUACVars(t, ts, scenario, map[string]any{"Target": target}, calls)
}

func runB2BUAUACVars(t *testing.T, ts *testServer, scenario string, vars map[string]any, calls int) testpeer.SippStats {
	t.Helper()
	if _, ok := vars["Hold"]; !ok {
		vars["Hold"] = 300
	}
	ports := []int{testpeer.FreePort(t), freeMediaBase(t)}
	p := testpeer.Start(t, "sipp", testpeer.Options{
		Args: []string{"-sf", "{{.Dir}}/scenario.xml", ts.udp.String(),
			"-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]), "-mp", strconv.Itoa(ports[1]), "-nostdin",
			"-m", strconv.Itoa(calls), "-r", "10", "-timeout", "30s", "-timeout_error",
			"-trace_stat", "-stf", "{{.Dir}}/stats.csv"},
		Configs: map[string]string{"scenario.xml": filepath.Join("testdata", "sipp", scenario)},
		Vars:    vars,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	_ = p.Wait(ctx)
	st, err := testpeer.ReadSippStats(filepath.Join(p.Dir, "stats.csv"))
	if err != nil {
		t.Fatalf("sipp caller stats: %v\n%s", err, p.Output())
	}
	if st.Failed != 0 {
		t.Logf("sipp caller output:\n%s", p.Output())
	}
	return st
}

// bindBob registers bob@example.com at the callee's address directly in
// the location store (REGISTER itself is covered by the registrar tests).
func bindBob(t *testing.T, ts *testServer, port int) {
	t.Helper()
	now := time.Now()
	_, err := ts.srv.st.Load().locations.Update(context.Background(), "bob@"+testDomain, now,
		[]Binding{{Contact: "sip:bob@127.0.0.1:" + strconv.Itoa(port), Expires: now.Add(time.Hour),
			Source: "udp:127.0.0.1:" + strconv.Itoa(port)}}, nil, false, 0)
	if err != nil {
		t.Fatal(err)
	}
}

// waitRecord waits until a record with event ev was emitted.
func waitRecord(t *testing.T, ts *testServer, ev RecordEvent) CallRecord {
	t.Helper()
	var found CallRecord
	if !pollUntil(10*time.Second, func() bool {
		for _, r := range ts.Records() {
			if r.Event == ev {
				found = r
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no %s record; records: %+v", ev, ts.Records())
	}
	return found
}

func TestB2BUASippAnonymousCallerHangsUp(t *testing.T) {
	ts := startB2BUA(t, nil)
	uas := startB2BUAUAS(t, "", 1)
	bindBob(t, ts, uas.port)
	st := runB2BUAUAC(t, ts, "b2bua_uac_anon.xml", "sip:bob@"+testDomain, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v, want 1 successful", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v, want 1 successful", ust)
	}
	end := waitRecord(t, ts, RecordEnd)
	if end.Cause != CauseCallerHangup || end.Class != anon.Anonymous || end.Status != 200 {
		t.Fatalf("end record %+v, want caller hangup of an anonymous answered call", end)
	}
	msgs := uas.messages()
	if strings.Contains(msgs, "P-Asserted-Identity") || strings.Contains(msgs, "ceo@example.com") {
		t.Fatalf("caller's identity header reached the callee:\n%s", msgs)
	}
	if !strings.Contains(msgs, "Max-Forwards: 69") {
		t.Fatalf("callee did not see the caller's Max-Forwards (70) minus one:\n%s", msgs)
	}
	if !strings.Contains(msgs, "anonymous.abcdefghijklmnop@anonymous.invalid") {
		t.Fatalf("callee did not see the anonymous identity as From:\n%s", msgs)
	}
}

func TestB2BUASippCalleeHangsUp(t *testing.T) {
	ts := startB2BUA(t, nil)
	uas := startB2BUAUAS(t, "b2bua_uas_bye.xml", 1)
	bindBob(t, ts, uas.port)
	st := runB2BUAUAC(t, ts, "b2bua_uac_anon_wait_bye.xml", "sip:bob@"+testDomain, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v, want 1 successful", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v, want 1 successful", ust)
	}
	if end := waitRecord(t, ts, RecordEnd); end.Cause != CauseCalleeHangup {
		t.Fatalf("end record %+v, want callee hangup", end)
	}
}

func TestB2BUASippDeniedTargets(t *testing.T) {
	for _, target := range []string{"tel:+15551234567", "sip:carol@thirdparty.example.net"} {
		t.Run(target, func(t *testing.T) {
			ts := startB2BUA(t, nil)
			uas := startB2BUAUAS(t, "", 1)
			bindBob(t, ts, uas.port)
			st := runB2BUAUAC(t, ts, "b2bua_uac_denied.xml", target, 1)
			if st.Successful != 1 || st.Failed != 0 {
				t.Fatalf("caller stats %+v, want 1 successful (403)", st)
			}
			if msgs := uas.messages(); strings.Contains(msgs, "INVITE") {
				t.Fatalf("callee saw a request:\n%s", msgs)
			}
			if recs := ts.Records(); len(recs) != 0 {
				t.Fatalf("denied call produced records %+v", recs)
			}
		})
	}
}

func TestB2BUASippCallerCancels(t *testing.T) {
	ts := startB2BUA(t, nil)
	uas := startB2BUAUAS(t, "b2bua_uas_ring.xml", 1)
	bindBob(t, ts, uas.port)
	st := runB2BUAUAC(t, ts, "b2bua_uac_cancel.xml", "sip:bob@"+testDomain, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v, want 1 successful", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v: the CANCEL did not reach it", ust)
	}
	if end := waitRecord(t, ts, RecordEnd); end.Cause != CauseCancelled {
		t.Fatalf("end record %+v, want cancelled", end)
	}
}

func TestB2BUASippRingTimeout(t *testing.T) {
	ts := startB2BUA(t, func(s *Server) { s.Limits.RingTimeout = time.Second })
	uas := startB2BUAUAS(t, "b2bua_uas_ring.xml", 1)
	bindBob(t, ts, uas.port)
	st := runB2BUAUACVars(t, ts, "b2bua_uac_expect.xml", map[string]any{"Target": "sip:bob@" + testDomain, "Code": 408}, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v, want 1 successful (408)", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v: no CANCEL after the ring timeout", ust)
	}
	if end := waitRecord(t, ts, RecordEnd); end.Cause != CauseRingTimeout || end.Status != 408 {
		t.Fatalf("end record %+v, want ring timeout", end)
	}
}

func TestB2BUASippMaxDuration(t *testing.T) {
	ts := startB2BUA(t, func(s *Server) { s.Limits.MaxDuration = time.Second })
	uas := startB2BUAUAS(t, "", 1) // built-in uas: answers, waits for BYE
	bindBob(t, ts, uas.port)
	st := runB2BUAUAC(t, ts, "b2bua_uac_anon_wait_bye.xml", "sip:bob@"+testDomain, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v: no BYE at max duration", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v: no BYE at max duration", ust)
	}
	end := waitRecord(t, ts, RecordEnd)
	if end.Cause != CauseMaxDuration || end.Duration < time.Second {
		t.Fatalf("end record %+v, want max duration after >= 1 s", end)
	}
}

// freeMediaBase returns a port p with p..p+3 free on 127.0.0.1 for UDP:
// sipp binds audio RTP/RTCP at -mp and video at -mp+2.
func freeMediaBase(t *testing.T) int {
	t.Helper()
	for range 100 {
		p := testpeer.FreePort(t)
		if p > 65531 {
			continue
		}
		ok := true
		var held []net.PacketConn
		for i := range 4 {
			c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no 4 consecutive free UDP ports")
	return 0
}

// TestB2BUASippContactElsewhereReachesSource: bob's contact names a
// premium-rate number at a third-party host, as a stolen password lets an
// attacker register; the anonymous call still reaches only the device
// that registered (the binding's source), never that host.
func TestB2BUASippContactElsewhereReachesSource(t *testing.T) {
	ts := startB2BUA(t, nil)
	uas := startB2BUAUAS(t, "", 1)
	const elsewhere = "sip:+19005550100@192.0.2.1:5060" // TEST-NET-1
	now := time.Now()
	_, err := ts.srv.st.Load().locations.Update(context.Background(), "bob@"+testDomain, now,
		[]Binding{{Contact: elsewhere, Expires: now.Add(time.Hour), Source: "udp:127.0.0.1:" + strconv.Itoa(uas.port)}}, nil, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := runB2BUAUAC(t, ts, "b2bua_uac_anon.xml", "sip:bob@"+testDomain, 1)
	if st.Successful != 1 || st.Failed != 0 {
		t.Fatalf("caller stats %+v, want 1 successful", st)
	}
	if ust := uas.wait(t); ust.Successful != 1 {
		t.Fatalf("callee stats %+v, want 1 successful", ust)
	}
	if msgs := uas.messages(); !strings.Contains(msgs, "INVITE "+elsewhere+" SIP/2.0") {
		t.Fatalf("the registering device did not get the INVITE for its contact:\n%s", msgs)
	}
}
