package demodest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emiago/sipgo"
)

func startDestination(t *testing.T, cfg Config) (*Destination, chan Event) {
	t.Helper()
	events := make(chan Event, 64)
	cfg.OnEvent = func(e Event) {
		select {
		case events <- e:
		default:
		}
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; !errors.Is(err, context.Canceled) && !errors.Is(err, ErrClosed) {
			t.Errorf("Run: %v", err)
		}
	})
	return d, events
}

func nextEvent(t *testing.T, events <-chan Event, want EventType) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			if e.Type == want {
				return e
			}
		case <-deadline:
			t.Fatalf("no %v event", want)
		}
	}
}

func TestCallAudioDTMFAndRemoteBye(t *testing.T) {
	d, events := startDestination(t, Config{})
	u := newTestUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	sess, ans, err := u.call(ctx, d.URI(), u.offer())
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	if ans.codec.name != "PCMU" || !ans.hasDTMF || ans.dtmfPT != 101 {
		t.Fatalf("answer chose %s dtmf=%v/%d, want PCMU with telephone-event 101", ans.codec.name, ans.hasDTMF, ans.dtmfPT)
	}
	if !ans.remote.Addr().IsLoopback() {
		t.Fatalf("answer RTP address %v is not loopback", ans.remote)
	}
	nextEvent(t, events, EventAnswered)

	dst := net.UDPAddrFromAddrPort(ans.remote)
	u.sendAudio(dst, 50)
	u.sendDigit(dst, 5, 100, 90000)
	u.sendDigit(dst, 11, 110, 91000) // '#'

	for _, want := range []rune{'5', '#'} {
		if e := nextEvent(t, events, EventDigit); e.Digit != want {
			t.Fatalf("digit %q, want %q", e.Digit, want)
		}
	}
	waitFor(t, "destination to count the caller's 62 packets", 5*time.Second, func() bool {
		return d.Stats().RTPReceived >= 62
	})
	waitFor(t, "audio from the destination", 5*time.Second, func() bool {
		return u.rtpIn.Load() >= 10 && u.loudest.Load() > 1000
	})

	if err := sess.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	if e := nextEvent(t, events, EventEnded); e.Reason != ReasonRemoteBye {
		t.Fatalf("ended with %q, want %q", e.Reason, ReasonRemoteBye)
	}
	// sipgo's ReadBye answers 200 and ends the dialog before onBye can
	// count the BYE, so the call may be released a moment before.
	waitFor(t, "call to be released and the BYE counted", 5*time.Second, func() bool {
		st := d.Stats()
		return st.Active == 0 && st.ByeReceived == 1
	})
	st := d.Stats()
	if st.Calls != 1 || st.ByeReceived != 1 || st.Digits != "5#" || st.RTPSent == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseSendsBye(t *testing.T) {
	d, events := startDestination(t, Config{User: "echo"})
	u := newTestUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, _, err := u.call(ctx, d.URI(), u.offer()); err != nil {
		t.Fatalf("call: %v", err)
	}
	nextEvent(t, events, EventAnswered)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-u.byes:
	case <-ctx.Done():
		t.Fatal("caller got no BYE")
	}
	if e := nextEvent(t, events, EventEnded); e.Reason != ReasonClosed {
		t.Fatalf("ended with %q, want %q", e.Reason, ReasonClosed)
	}
	if st := d.Stats(); st.ByeSent != 1 || st.Active != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRejects(t *testing.T) {
	d, _ := startDestination(t, Config{})
	u := newTestUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	wrongUser := "sip:someone@" + d.Addr().String()
	if _, _, err := u.call(ctx, wrongUser, u.offer()); !isStatus(err, 404) {
		t.Fatalf("wrong user: %v, want 404", err)
	}
	opus := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n")
	if _, _, err := u.call(ctx, d.URI(), opus); !isStatus(err, 488) {
		t.Fatalf("opus-only offer: %v, want 488", err)
	}
}

func TestMaxCallsAndRinging(t *testing.T) {
	d, events := startDestination(t, Config{MaxCalls: 1, RingFor: 50 * time.Millisecond})
	u1, u2 := newTestUAC(t), newTestUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, _, err := u1.call(ctx, d.URI(), u1.offer())
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	nextEvent(t, events, EventAnswered)
	if _, _, err := u2.call(ctx, d.URI(), u2.offer()); !isStatus(err, 486) {
		t.Fatalf("second call: %v, want 486", err)
	}
	_ = sess.Bye(ctx)
	nextEvent(t, events, EventEnded)
}

func isStatus(err error, code int) bool {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		return de.Res.StatusCode == code
	}
	var dv sipgo.ErrDialogResponse
	return errors.As(err, &dv) && dv.Res.StatusCode == code
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Addr: "0.0.0.0:0"},
		{Addr: "nonsense"},
		{User: "a@b"},
		{MaxCalls: -1},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

// With the chime off, what comes back is the caller's own audio: silence
// until the caller sends a tone, then the tone.
func TestEcho(t *testing.T) {
	d, events := startDestination(t, Config{Quiet: true})
	u := newTestUAC(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	sess, ans, err := u.call(ctx, d.URI(), u.offer())
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	nextEvent(t, events, EventAnswered)
	waitFor(t, "packets from the destination", 5*time.Second, func() bool { return u.rtpIn.Load() >= 10 })
	if l := u.loudest.Load(); l > 8 {
		t.Fatalf("quiet destination sent audio of level %d before hearing anything", l)
	}
	u.sendAudio(net.UDPAddrFromAddrPort(ans.remote), 25)
	waitFor(t, "the echo of the caller's tone", 5*time.Second, func() bool { return u.loudest.Load() > 5000 })
	_ = sess.Bye(ctx)
	nextEvent(t, events, EventEnded)
}
