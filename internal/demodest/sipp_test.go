package demodest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// TestSippCaller has sipp's built-in UAC scenario call the destination
// with RTP echo on: sipp sends our audio back, so packets flow both ways
// through a SIP stack that is not sipgo. sipp hangs up after 1.5 s.
func TestSippCaller(t *testing.T) {
	d, events := startDestination(t, Config{})
	ports := testpeer.FreePorts(t, 2)
	p := testpeer.Start(t, "sipp", testpeer.Options{Args: []string{
		"-sn", "uac", "-s", "demo", d.Addr().String(),
		"-i", "127.0.0.1", "-p", fmt.Sprint(ports[0]),
		"-mi", "127.0.0.1", "-mp", fmt.Sprint(ports[1]), "-rtp_echo",
		"-m", "1", "-d", "1500", "-timeout", "20", "-nostdin",
		"-trace_stat", "-stf", "{{.Dir}}/stats.csv",
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("sipp: %v\n%s", err, p.Output())
	}
	if e := nextEvent(t, events, EventEnded); e.Reason != ReasonRemoteBye {
		t.Fatalf("ended with %q", e.Reason)
	}
	// The call ends (sipgo's ReadBye) a moment before onBye counts the BYE.
	waitFor(t, "the BYE counted", 5*time.Second, func() bool { return d.Stats().ByeReceived == 1 })
	st := d.Stats()
	if st.Calls != 1 || st.ByeReceived != 1 || st.RTPSent == 0 || st.RTPReceived == 0 {
		t.Fatalf("stats %+v", st)
	}
	ss, err := testpeer.ReadSippStats(filepath.Join(p.Dir, "stats.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if ss.Successful != 1 || ss.Failed != 0 {
		t.Fatalf("sipp stats %+v", ss)
	}
	t.Logf("sipp call: destination sent %d RTP packets, got %d echoed back", st.RTPSent, st.RTPReceived)
}
