package sip

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/digest"
)

// TestDialerProxyThenUASChallenge: an outbound proxy asks for
// Proxy-Authorization (407), then the callee asks for Authorization (401).
// Both track digest nonce counts, as RFC 7616 §3.4 lets a server do and
// webdial's own digest.Server does: a credential sent again with the same
// nonce and count is a replay. The third INVITE must carry both answers,
// the proxy's with a fresh count, and reach the callee (486 here).
func TestDialerProxyThenUASChallenge(t *testing.T) {
	newAuth := func(realm string) *digest.Server {
		store := digest.NewMemoryStore(realm)
		store.AddPassword("trunkuser", "trunk-secret")
		s, err := digest.NewServer(digest.Config{Realm: realm, Credentials: store, Algorithms: []digest.Algorithm{digest.MD5}},
			[]byte("0123456789abcdef0123456789abcdef-"+realm))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	proxy, uas := newAuth("proxy.test"), newAuth("uas.test")

	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		c, err := d.Dial(ctx, DialRequest{Target: "sip:svc@" + p.conn.LocalAddr().String(), SDP: dialerOffer,
			Username: "trunkuser", Password: "trunk-secret"})
		if c != nil {
			c.Hangup(ctx)
		}
		errc <- err
	}()

	peer := netip.MustParseAddr("127.0.0.1")
	verify := func(s *digest.Server, invite, header string) error {
		uri := strings.Fields(firstLine(invite))[1]
		_, err := s.Verify(ctx, digest.Request{Method: "INVITE", URI: uri, Authorization: header, ClientAddr: peer})
		return err
	}
	challenge := func(s *digest.Server, err error, name string) string {
		stale := errors.Is(err, digest.ErrReplay) || errors.Is(err, digest.ErrStale)
		var b strings.Builder
		for _, c := range s.Challenges(stale, peer) {
			b.WriteString(name + ": " + c + "\r\n")
		}
		return b.String()
	}
	var log []string
	for i := 1; ; i++ {
		if i > maxInviteAttempts {
			t.Fatalf("more than %d INVITEs: %v", maxInviteAttempts, log)
		}
		invite := p.expect("INVITE ")
		if err := verify(proxy, invite, header(invite, "Proxy-Authorization")); err != nil {
			log = append(log, "407: "+err.Error())
			p.respond(invite, "407 Proxy Authentication Required", "p", challenge(proxy, err, "Proxy-Authenticate"), "")
			p.expect("ACK ")
			continue
		}
		if err := verify(uas, invite, header(invite, "Authorization")); err != nil {
			log = append(log, "401: "+err.Error())
			p.respond(invite, "401 Unauthorized", "u", challenge(uas, err, "WWW-Authenticate"), "")
			p.expect("ACK ")
			continue
		}
		p.respond(invite, "486 Busy Here", "u", "", "")
		p.expect("ACK ")
		if i != 3 {
			t.Errorf("callee reached with INVITE %d, want 3 (407, 401, then both answered): %v", i, log)
		}
		break
	}
	if err := <-errc; !errors.Is(err, ErrBusy) {
		t.Fatalf("Dial error = %v, want ErrBusy from the callee; challenges: %v", err, log)
	}
}
