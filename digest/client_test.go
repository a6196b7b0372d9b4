package digest

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

func paramOf(t *testing.T, hdr, key string) string {
	t.Helper()
	var c credentials
	if err := parseCredentials(hdr, &c); err != nil {
		t.Fatalf("our parser rejects the client's output %q: %v", hdr, err)
	}
	bit, dst, _ := c.field(key)
	if bit == cpUserhash {
		if c.userhash {
			return "true"
		}
		return ""
	}
	return *dst
}

func TestClientRFC7616PicksStrongest(t *testing.T) {
	const rest = `realm="http-auth@example.org", qop="auth, auth-int", nonce="` + rfc7616N + `", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	md5ch := `Digest ` + rest + `, algorithm=MD5`
	shach := `Digest ` + rest + `, algorithm=SHA-256`
	c := &Client{Username: "Mufasa", Password: "Circle of Life", cnonce: func() string { return rfc7616CN }}
	// MD5 listed first (or reordered by an attacker): SHA-256 still wins.
	hdr, err := c.Authorize([]string{md5ch, shach}, "GET", "/dir/index.html", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := paramOf(t, hdr, "response"); got != "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" {
		t.Fatalf("SHA-256 response %s in %s", got, hdr)
	}
	if paramOf(t, hdr, "qop") != "auth" || paramOf(t, hdr, "opaque") != "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS" {
		t.Fatalf("header %s", hdr)
	}
	md5only := &Client{Username: "Mufasa", Password: "Circle of Life", cnonce: func() string { return rfc7616CN }}
	hdr, err = md5only.Authorize([]string{md5ch}, "GET", "/dir/index.html", nil)
	if err != nil || paramOf(t, hdr, "response") != "8ca523f5e9506fed4657c9700eebdbec" {
		t.Fatalf("MD5: %s %v", hdr, err)
	}
	noMD5 := &Client{Username: "Mufasa", Password: "x", Algorithms: []Algorithm{SHA256}}
	if _, err := noMD5.Authorize([]string{md5ch}, "GET", "/", nil); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("MD5 refused by policy: %v", err)
	}
}

func TestClientUserhashSHA512_256(t *testing.T) {
	ch := `Digest realm="api@example.org", qop="auth", algorithm=SHA-512-256, nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", ` +
		`opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true`
	c := &Client{Username: "J\u00e4s\u00f8n Doe", Password: "Secret, or not?", cnonce: func() string { return "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v" }}
	hdr, err := c.Authorize([]string{ch}, "GET", "/doe.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := paramOf(t, hdr, "username"); got != "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b" {
		t.Errorf("userhash %s", got)
	}
	if got := paramOf(t, hdr, "response"); got != "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5" {
		t.Errorf("response %s", got)
	}
	if paramOf(t, hdr, "userhash") != "true" {
		t.Errorf("userhash flag missing: %s", hdr)
	}
}

func TestClientSIPNonceCountAndURI(t *testing.T) {
	ch := `Digest realm="example.com", nonce="` + sipNonce + `", qop="auth", algorithm=MD5`
	c := &Client{Username: "alice", HA1: map[Algorithm]string{MD5: "aef266ec5edbe0f92f89c67ccd621aa5"}, cnonce: func() string { return "0a4f113b" }}
	want := []string{"3dbfdced3ce3fb19a1ea4723d5dd798e", "5e936f016c5507b622cf727e606fc225"}
	for i, w := range want {
		hdr, err := c.Authorize([]string{ch}, "REGISTER", "sip:example.com", nil)
		if err != nil || paramOf(t, hdr, "response") != w || paramOf(t, hdr, "nc") != "0000000"+string(rune('1'+i)) {
			t.Fatalf("request %d: %s %v", i+1, hdr, err)
		}
	}
	c2 := &Client{Username: "alice", Password: "s3cr3t!", cnonce: func() string { return "0a4f113b" }}
	hdr, err := c2.Authorize([]string{ch}, "REGISTER", "sip:example.com;transport=tcp", nil)
	if err != nil || paramOf(t, hdr, "response") != "2f22c7ca9793ef90638475761e3ef063" || paramOf(t, hdr, "uri") != "sip:example.com;transport=tcp" {
		t.Fatalf("uri with params: %s %v", hdr, err)
	}
	c3 := &Client{Username: "alice", Password: "s3cr3t!", cnonce: func() string { return "0a4f113b" }}
	hdr, err = c3.Authorize([]string{strings.Replace(ch, `qop="auth"`, `qop="auth-int"`, 1)}, "REGISTER", "sip:example.com", nil)
	if err != nil || paramOf(t, hdr, "response") != "045d48c7b86b014627ae76b314b91e69" {
		t.Fatalf("auth-int: %s %v", hdr, err)
	}
}

func TestClientRealmFilter(t *testing.T) {
	c := &Client{Username: "alice", Password: "p", Realm: "example.com"}
	if _, err := c.Authorize([]string{`Digest realm="evil.example", nonce="n", qop="auth"`}, "BYE", "sip:x", nil); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("foreign realm answered: %v", err)
	}
	if _, err := c.Authorize([]string{`Basic realm="example.com"`}, "BYE", "sip:x", nil); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("basic answered: %v", err)
	}
}

// TestClientServerRoundTrip runs Client against Server for each algorithm,
// including a stale re-challenge, and concurrently.
func TestClientServerRoundTrip(t *testing.T) {
	h := sipHarness(t, Config{Algorithms: []Algorithm{SHA512_256, SHA256, MD5}, NonceLifetime: time.Minute})
	for _, alg := range []Algorithm{SHA512_256, SHA256, MD5} {
		c := &Client{Username: "alice", Password: "s3cr3t!", Algorithms: []Algorithm{alg}}
		chals := h.srv.Challenges(false, netip.Addr{})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				hdr, err := c.Authorize(chals, "REGISTER", "sip:example.com", nil)
				if err == nil {
					_, err = h.srv.Verify(t.Context(), register(hdr))
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
		}
	}
	c := &Client{Username: "alice", Password: "s3cr3t!"}
	chals := h.srv.Challenges(false, netip.Addr{})
	h.advance(2 * time.Minute)
	hdr, _ := c.Authorize(chals, "REGISTER", "sip:example.com", nil)
	if _, err := h.srv.Verify(t.Context(), register(hdr)); !errors.Is(err, ErrStale) {
		t.Fatalf("want stale: %v", err)
	}
	hdr, _ = c.Authorize(h.srv.Challenges(true, netip.Addr{}), "REGISTER", "sip:example.com", nil)
	if u, err := h.srv.Verify(t.Context(), register(hdr)); err != nil || u != "alice" {
		t.Fatalf("after stale: %q %v", u, err)
	}
}
