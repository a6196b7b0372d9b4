package digest

import (
	"bytes"
	"io"
	"net/netip"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	icholy "github.com/icholy/digest"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

// harness is a Server with an injected clock and an in-memory store.
type harness struct {
	srv   *Server
	store *MemoryStore
	clock *atomic.Int64 // unix nanoseconds
}

func newHarness(t testing.TB, cfg Config, realm string, keys ...[]byte) *harness {
	t.Helper()
	h := &harness{store: NewMemoryStore(realm), clock: new(atomic.Int64)}
	h.clock.Store(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).UnixNano())
	cfg.Realm = realm
	if cfg.Credentials == nil {
		cfg.Credentials = h.store
	}
	cfg.Now = func() time.Time { return time.Unix(0, h.clock.Load()) }
	if len(keys) == 0 {
		keys = [][]byte{testKey}
	}
	srv, err := NewServer(cfg, keys...)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h
}

func (h *harness) advance(d time.Duration) { h.clock.Add(int64(d)) }

func (h *harness) challenge(t testing.TB, i int) string {
	t.Helper()
	return h.srv.Challenges(false, netipZero)[i]
}

// cred answers chal with icholy/digest, the independent oracle.
func (h *harness) cred(t testing.TB, chal, user, pass, method, uri string, body []byte) string {
	t.Helper()
	return oracleCred(t, chal, user, pass, method, uri, body, 1)
}

func oracleCred(t testing.TB, chal, user, pass, method, uri string, body []byte, nc int) string {
	t.Helper()
	c := oracleCredentials(t, chal, user, pass, method, uri, body, nc)
	return c.String()
}

func oracleCredentials(t testing.TB, chal, user, pass, method, uri string, body []byte, nc int) *icholy.Credentials {
	t.Helper()
	ch, err := icholy.ParseChallenge(chal)
	if err != nil {
		t.Fatalf("icholy cannot parse our challenge %q: %v", chal, err)
	}
	c, err := icholy.Digest(ch, icholy.Options{
		Method: method, URI: uri, Username: user, Password: pass, Count: nc, Cnonce: "0a4f113b",
		GetBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var responseRE = regexp.MustCompile(`response="[^"]*"`)

func replaceResponse(hdr, resp string) string {
	return responseRE.ReplaceAllString(hdr, `response="`+resp+`"`)
}

var netipZero netip.Addr
