package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/webdial/webdial/internal/testpeer"
)

// artifactsEnv names a directory where the end-to-end test keeps its
// screenshot; if unset, the test's temporary directory.
const artifactsEnv = "WEBDIAL_ARTIFACTS"

// TestBrowserCallEndToEnd drives the real page in headless Chromium with a
// fake microphone: Call, "in call", RTP at the demo destination, audio back
// at the page's level meter, a DTMF key at the destination, hang up, BYE.
func TestBrowserCallEndToEnd(t *testing.T) {
	chromium := testpeer.Lookup(t, "chromium")
	a := startApp(t, config{Demo: true, Destination: demoDestination})
	browserCall(t, chromium, a, "clicktocall-in-call.png", false)
}

// TestBrowserCallEndToEndLite is the same call with the gateway's ICE-lite
// engines: Chromium, a full ICE agent, must find the gateway's one host
// candidate, pass its fingerprint check and carry SRTP and the data
// channel, both with a socket per call and with one for all calls.
func TestBrowserCallEndToEndLite(t *testing.T) {
	chromium := testpeer.Lookup(t, "chromium")
	for _, media := range []string{"lite", "lite-shared"} {
		t.Run(media, func(t *testing.T) {
			a := startApp(t, config{Demo: true, Destination: demoDestination, Media: media})
			browserCall(t, chromium, a, "clicktocall-in-call-"+media+".png", false)
		})
	}
}

// browserCall loads a's page in a fresh headless Chromium and makes one
// call to a's demo destination, checking every step. The page hangs up,
// or with remoteHangup the destination does (it is closed).
func browserCall(t *testing.T, chromium string, a *app, shotName string, remoteHangup bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(480, 760),
		// A beeping fake microphone, granted without a prompt.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		// The only interface may be lo: without this Chromium gathers no
		// ICE candidate at all (the gateway gathers loopback too).
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	page, cancelPage := chromedp.NewContext(allocCtx)
	defer cancelPage()

	// pageState reports the page's words, for failure messages.
	pageState := func() string {
		s, err := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("status").textContent.trim()`))
		if err != nil {
			return "(unreadable: " + err.Error() + ")"
		}
		return s
	}
	waitPage := func(what, predicate string, timeout time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(page, chromedp.Poll[chromedp.Void](predicate,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
			t.Fatalf("page never got %s (%v); page says %q; demo stats %+v", what, err, pageState(), a.Demo.Stats())
		}
	}

	if err := chromedp.Do(page,
		chromedp.Navigate(a.URL),
		chromedp.WaitVisible(chromedp.CSS("#call")),
	); err != nil {
		t.Fatalf("load the page: %v", err)
	}
	// Record every state the page shows, to check the words in order.
	if _, err := chromedp.Run(page, chromedp.Evaluate[chromedp.Void](`
		window.seenStates = [];
		new MutationObserver(() => {
			const s = document.getElementById("state").textContent;
			if (window.seenStates[window.seenStates.length - 1] !== s) window.seenStates.push(s);
		}).observe(document.getElementById("state"), { childList: true, characterData: true, subtree: true });`)); err != nil {
		t.Fatalf("install the state recorder: %v", err)
	}
	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#call"))); err != nil {
		t.Fatalf("press Call: %v", err)
	}
	waitPage(`"in call"`, `document.body.dataset.state === "incall" && document.getElementById("state").textContent === "in call"`, 30*time.Second)

	waitFor(t, "RTP from the browser at the demo destination", 20*time.Second, func() bool {
		return a.Demo.Stats().RTPReceived >= 25
	})
	waitPage("incoming audio on the level meter", `Number(document.getElementById("level").dataset.peak) > 5`, 20*time.Second)
	peak, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("level").dataset.peak`))
	timer, _ := chromedp.Run(page, chromedp.Evaluate[string](`document.getElementById("timer").textContent`))
	t.Logf("in call: page level peak %s/1000, timer %s, demo stats %+v, gateway %+v", peak, timer, a.Demo.Stats(), a.Gateway.Stats())

	shot, err := chromedp.Run(page, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv(artifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shotPath := filepath.Join(dir, shotName)
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the in-call page: %s (%d bytes)", shotPath, len(shot))

	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#mute"))); err != nil {
		t.Fatalf("press Mute: %v", err)
	}
	waitPage("mute on", `document.getElementById("mute").getAttribute("aria-pressed") === "true"`, 5*time.Second)
	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#mute"))); err != nil {
		t.Fatalf("press Unmute: %v", err)
	}
	waitPage("mute off", `document.getElementById("mute").getAttribute("aria-pressed") === "false"`, 5*time.Second)

	if err := chromedp.Do(page, chromedp.Click(chromedp.CSS(`#keypad button[data-digit="5"]`))); err != nil {
		t.Fatalf("press 5: %v", err)
	}
	waitFor(t, "DTMF 5 at the demo destination", 10*time.Second, func() bool {
		return strings.Contains(a.Demo.Stats().Digits, "5")
	})

	if remoteHangup {
		if err := a.Demo.Close(); err != nil {
			t.Fatal(err)
		}
		waitPage(`"ended"`, `document.body.dataset.state === "ended"`, 10*time.Second)
		if st := a.Demo.Stats(); st.ByeSent != 1 || st.Active != 0 {
			t.Fatalf("demo stats %+v after Close: want one BYE sent", st)
		}
		if got := pageState(); !strings.Contains(got, "the other side hung up") {
			t.Errorf("page says %q after the destination hung up", got)
		}
	} else {
		if err := chromedp.Do(page, chromedp.Click(chromedp.CSS("#call"))); err != nil {
			t.Fatalf("press Hang up: %v", err)
		}
		waitPage(`"ended"`, `document.body.dataset.state === "ended"`, 10*time.Second)
		waitFor(t, "the SIP BYE at the demo destination", 10*time.Second, func() bool {
			st := a.Demo.Stats()
			return st.ByeReceived == 1 && st.Active == 0
		})
		if got := pageState(); !strings.Contains(got, "you hung up") {
			t.Errorf("page says %q after hang-up", got)
		}
	}
	if st := a.Demo.Stats(); st.Calls != 1 || st.Digits != "5" {
		t.Errorf("demo stats %+v: want one call and the digit 5", st)
	}
	// Every state the page showed, in order.
	states, err := chromedp.Run(page, chromedp.Evaluate[[]string](`window.seenStates`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page states: %q", states)
	if want := []string{"connecting…", "ringing…", "in call"}; !inOrder(states, want) {
		t.Errorf("page states %q do not include %q in order", states, want)
	}
}

// inOrder reports whether want appears in got as a subsequence.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
