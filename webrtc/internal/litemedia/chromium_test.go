package litemedia

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/webdial/webdial/internal/testpeer"
)

// chromiumPage offers PCMU-capable audio (an oscillator, no microphone)
// and a "webdial" data channel, POSTs the offer to /offer without trickle,
// and reports in window.result what happened.
const chromiumPage = `<!doctype html><script>
window.result = {state: "new", msg: "", rtpIn: 0};
(async () => {
  const pc = new RTCPeerConnection();
  const ac = new AudioContext();
  const osc = ac.createOscillator();
  const dst = ac.createMediaStreamDestination();
  osc.connect(dst); osc.start();
  pc.addTrack(dst.stream.getAudioTracks()[0], dst.stream);
  const dc = pc.createDataChannel("webdial");
  dc.onopen = () => dc.send("hello from chromium");
  dc.onmessage = (e) => { window.result.msg = e.data; };
  pc.onconnectionstatechange = () => {
    window.result.state = pc.connectionState;
    if (pc.connectionState === "connected") window.result.connectedAt = performance.now();
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => { if (pc.iceGatheringState === "complete") r(); else pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") r(); }; });
  const resp = await fetch("/offer", {method: "POST", body: pc.localDescription.sdp});
  window.result.answeredAt = performance.now();
  await pc.setRemoteDescription({type: "answer", sdp: await resp.text()});
  setInterval(async () => {
    (await pc.getStats()).forEach(s => { if (s.type === "inbound-rtp" && s.kind === "audio") window.result.rtpIn = s.packetsReceived; });
  }, 100);
})().catch(e => { window.result.state = "error: " + e; });
</script>`

// TestChromiumInterop runs the transport against headless Chromium: ICE
// (Chromium is the controlling full agent), DTLS with fingerprint check,
// SRTP both ways, and the data channel.
func TestChromiumInterop(t *testing.T) {
	chromium := testpeer.Lookup(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var rtpIn atomic.Int64
	var mu sync.Mutex
	var tr *Transport
	var wg sync.WaitGroup // the gateway side's goroutine, ended by Close
	gotMsg := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/offer" {
			_, _ = io.WriteString(w, chromiumPage)
			return
		}
		offer, _ := io.ReadAll(r.Body)
		c, err := New(string(offer), Config{OnRTP: func([]byte) { rtpIn.Add(1) }})
		if err != nil {
			t.Errorf("New: %v\n%s", err, offer)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		tr = c
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Connect(ctx); err != nil {
				t.Errorf("Connect: %v", err)
				return
			}
			dc, err := c.AcceptDataChannel(ctx)
			if err != nil {
				t.Errorf("AcceptDataChannel: %v", err)
				return
			}
			buf := make([]byte, 1500)
			n, err := dc.Read(buf)
			if err != nil {
				t.Errorf("data channel read: %v", err)
				return
			}
			gotMsg <- string(buf[:n])
			_, _ = dc.WriteDataChannel([]byte("hello from the gateway"), true)
			// 20 ms PCMU towards the page for the rest of the test.
			pkt := append([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 160)...)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for ts := uint32(0); ; ts += 160 {
				pkt[4], pkt[5], pkt[6], pkt[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
				if c.WriteRTP(pkt) != nil {
					return
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}()
		_, _ = io.WriteString(w, c.Answer())
	}))
	defer srv.Close()
	defer func() {
		mu.Lock()
		if tr != nil {
			_ = tr.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	page, cancelPage := chromedp.NewContext(allocCtx)
	defer cancelPage()
	if err := chromedp.Do(page, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("load the page: %v", err)
	}
	type result struct {
		State       string  `json:"state"`
		Msg         string  `json:"msg"`
		RTPIn       int     `json:"rtpIn"`
		AnsweredAt  float64 `json:"answeredAt"`
		ConnectedAt float64 `json:"connectedAt"`
	}
	var res result
	poll := func(what string, done func() bool) {
		t.Helper()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			r, err := chromedp.Run(page, chromedp.Evaluate[result](`window.result`))
			if err != nil {
				t.Fatalf("read the page: %v", err)
			}
			res = r
			if done() {
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("waiting for %s: page %+v, transport got %d RTP", what, res, rtpIn.Load())
			}
		}
	}
	poll("connected", func() bool { return res.State == "connected" })
	t.Logf("chromium: answer applied -> connected in %.0f ms", res.ConnectedAt-res.AnsweredAt)
	select {
	case m := <-gotMsg:
		if m != "hello from chromium" {
			t.Fatalf("gateway got %q on the data channel", m)
		}
	case <-ctx.Done():
		t.Fatal("no data-channel message from chromium")
	}
	poll("the gateway's message", func() bool { return res.Msg == "hello from the gateway" })
	poll("RTP at chromium", func() bool { return res.RTPIn >= 25 })
	tick := time.NewTicker(20 * time.Millisecond) // polls a counter
	defer tick.Stop()
	for rtpIn.Load() < 25 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("transport got %d RTP packets from chromium", rtpIn.Load())
		}
	}
	mu.Lock()
	s := tr.Stats()
	mu.Unlock()
	t.Logf("chromium: page received %d RTP, transport stats %+v", res.RTPIn, s)
}
