package litemedia

import (
	"context"
	"regexp"
	"runtime"
	"testing"
	"time"
)

func replaceFingerprint(t *testing.T, sdp, fp string) string {
	t.Helper()
	re := regexp.MustCompile(`a=fingerprint:sha-256 [0-9A-F:]+`)
	if !re.MatchString(sdp) {
		t.Fatal("offer has no sha-256 fingerprint")
	}
	return re.ReplaceAllString(sdp, "a=fingerprint:sha-256 "+fp)
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for runtime.NumGoroutine() > n {
		select {
		case <-tick.C:
		case <-ctx.Done():
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want <= %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
	}
}
