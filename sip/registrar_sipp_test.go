package sip

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// runSippRegister runs one sipp UAC scenario from testdata/sipp against ts
// and returns its statistics.
func runSippRegister(t *testing.T, ts *testServer, scenario, user, password string, calls int) testpeer.SippStats {
	t.Helper()
	return runSippRegisterVia(t, ts.udp, scenario, user, password, calls)
}

func runSippRegisterVia(t *testing.T, to *net.UDPAddr, scenario, user, password string, calls int) testpeer.SippStats {
	t.Helper()
	port := testpeer.FreePort(t)
	p := testpeer.Start(t, "sipp", testpeer.Options{
		Args: []string{"-sf", "{{.Dir}}/scenario.xml", to.String(),
			"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-nostdin", "-auth_uri", testDomain,
			"-m", strconv.Itoa(calls), "-r", "20", "-timeout", "20s", "-timeout_error",
			"-trace_stat", "-stf", "{{.Dir}}/stats.csv", "-trace_err", "-error_file", "{{.Dir}}/errors.log"},
		Configs: map[string]string{"scenario.xml": filepath.Join("testdata", "sipp", scenario)},
		Vars:    map[string]any{"Domain": testDomain, "User": user, "Password": password},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	_ = p.Wait(ctx) // sipp exits non-zero when calls failed; the stats tell
	st, err := testpeer.ReadSippStats(filepath.Join(p.Dir, "stats.csv"))
	if err != nil {
		t.Fatalf("sipp stats: %v\n%s", err, p.Output())
	}
	return st
}

func TestRegistrarSippDigestSuccess(t *testing.T) {
	ts := startServer(t, nil)
	st := runSippRegister(t, ts, "registrar_register.xml", testUser, testPassword, 5)
	if st.Successful != 5 || st.Failed != 0 {
		t.Fatalf("sipp stats %+v, want 5 successful", st)
	}
	bs, err := ts.srv.st.Load().locations.Lookup(context.Background(), testUser+"@"+testDomain, time.Now())
	if err != nil || len(bs) != 1 {
		t.Fatalf("bindings after register = %v, %v; want 1", bs, err)
	}
}

func TestRegistrarSippWrongPassword(t *testing.T) {
	ts := startServer(t, nil)
	st := runSippRegister(t, ts, "registrar_register.xml", testUser, "not-the-password", 3)
	if st.Successful != 0 || st.Failed != 3 {
		t.Fatalf("sipp stats %+v, want 3 failed", st)
	}
	if bs, _ := ts.srv.st.Load().locations.Lookup(context.Background(), testUser+"@"+testDomain, time.Now()); len(bs) != 0 {
		t.Fatalf("wrong password created bindings %v", bs)
	}
}

// TestRegistrarSippReplayRejected puts a recording relay between sipp and
// the registrar (an attacker on the path), lets sipp register, then sends
// each captured authenticated REGISTER again, byte for byte, from another
// port: every replay must be refused with 401 stale=true and bind nothing.
func TestRegistrarSippReplayRejected(t *testing.T) {
	ts := startServer(t, nil)
	relay := newRecordingRelay(t, ts.udp)
	st := runSippRegisterVia(t, relay.addr(), "registrar_register.xml", testUser, testPassword, 3)
	if st.Successful != 3 || st.Failed != 0 {
		t.Fatalf("sipp stats %+v, want 3 successful", st)
	}
	captured := relay.authorized()
	if len(captured) != 3 {
		t.Fatalf("captured %d authenticated REGISTERs, want 3", len(captured))
	}
	// Remove the bindings, so a successful replay would be visible.
	if _, err := ts.srv.st.Load().locations.Update(context.Background(), testUser+"@"+testDomain, time.Now(), nil, nil, true, 0); err != nil {
		t.Fatal(err)
	}
	for _, msg := range captured {
		res, err := exchange(t, ts.udp, msg, 2*time.Second)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if status, _ := statusOf(res); !strings.HasPrefix(status, "401") || !strings.Contains(res, "stale=true") {
			t.Fatalf("replayed REGISTER answered:\n%s\nwant 401 with stale=true", res)
		}
	}
	if bs, _ := ts.srv.st.Load().locations.Lookup(context.Background(), testUser+"@"+testDomain, time.Now()); len(bs) != 0 {
		t.Fatalf("replay created bindings %v", bs)
	}
}

// recordingRelay forwards datagrams between one client and the server and
// keeps a copy of every request carrying an Authorization header.
type recordingRelay struct {
	front, back *net.UDPConn
	mu          sync.Mutex
	client      *net.UDPAddr
	captured    []string
}

func newRecordingRelay(t *testing.T, server *net.UDPAddr) *recordingRelay {
	t.Helper()
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.DialUDP("udp", nil, server)
	if err != nil {
		t.Fatal(err)
	}
	r := &recordingRelay{front: front, back: back}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := front.ReadFromUDP(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			r.mu.Lock()
			r.client = from
			if strings.Contains(msg, "\r\nAuthorization:") {
				r.captured = append(r.captured, msg)
			}
			r.mu.Unlock()
			_, _ = back.Write(buf[:n])
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, err := back.Read(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			to := r.client
			r.mu.Unlock()
			if to != nil {
				_, _ = front.WriteToUDP(buf[:n], to)
			}
		}
	}()
	t.Cleanup(func() {
		front.Close()
		back.Close()
		wg.Wait()
	})
	return r
}

func (r *recordingRelay) addr() *net.UDPAddr { return r.front.LocalAddr().(*net.UDPAddr) }

func (r *recordingRelay) authorized() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.captured...)
}
