package testpeer_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// TestSippUACAgainstSippUAS runs sipp's built-in UAS and UAC scenarios
// against each other on loopback: it proves the helper finds, starts, waits
// for and stops real peers, and that their statistics can be read.
func TestSippUACAgainstSippUAS(t *testing.T) {
	const calls = 5
	ports := testpeer.FreePorts(t, 3)
	uas := testpeer.Start(t, "sipp", testpeer.Options{
		Args: []string{"-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]),
			"-mp", strconv.Itoa(ports[2]), "-nostdin", "-m", strconv.Itoa(calls)},
		Listen: []string{"udp:" + strconv.Itoa(ports[0])},
	})
	uac := testpeer.Start(t, "sipp", testpeer.Options{
		Args: []string{"-sn", "uac", "127.0.0.1:" + strconv.Itoa(ports[0]),
			"-i", "127.0.0.1", "-p", strconv.Itoa(ports[1]), "-nostdin",
			"-m", strconv.Itoa(calls), "-r", "50", "-timeout", "20s",
			"-trace_stat", "-stf", "{{.Dir}}/stats.csv"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := uac.Wait(ctx); err != nil {
		t.Fatalf("sipp uac: %v\n%s", err, uac.Output())
	}
	st, err := testpeer.ReadSippStats(filepath.Join(uac.Dir, "stats.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Successful != calls || st.Failed != 0 {
		t.Fatalf("sipp uac stats = %+v, want %d successful and 0 failed", st, calls)
	}
	if err := uas.Wait(ctx); err != nil {
		t.Fatalf("sipp uas did not finish its %d calls: %v", calls, err)
	}
}

func TestFreePortsDistinct(t *testing.T) {
	ports := testpeer.FreePorts(t, 8)
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || p > 65535 || seen[p] {
			t.Fatalf("bad or repeated port %d in %v", p, ports)
		}
		seen[p] = true
	}
}

func TestFreePortRunIsBindable(t *testing.T) {
	p := testpeer.FreePortRun(t, 3)
	for q := p; q < p+3; q++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(q)))
		if err != nil {
			t.Fatalf("port %d of the run starting at %d: %v", q, p, err)
		}
		l.Close()
	}
}

func TestReadSippStatsRejectsEmpty(t *testing.T) {
	if _, err := testpeer.ReadSippStats(filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Fatal("missing stats file: want error")
	}
}
