package digest

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const sipRealm = "example.com"

func sipHarness(t *testing.T, cfg Config, keys ...[]byte) *harness {
	h := newHarness(t, cfg, sipRealm, keys...)
	h.store.AddPassword("alice", "s3cr3t!")
	return h
}

func register(auth string) Request {
	return Request{Method: "REGISTER", URI: "sip:example.com", Authorization: auth}
}

func TestVerifyEachAlgorithm(t *testing.T) {
	h := sipHarness(t, Config{Algorithms: []Algorithm{SHA512_256, SHA256, MD5}})
	chals := h.srv.Challenges(false, netip.Addr{})
	if len(chals) != 3 {
		t.Fatalf("got %d challenges", len(chals))
	}
	for i, alg := range []string{"SHA-512-256", "SHA-256", "MD5"} {
		if !strings.HasSuffix(chals[i], "algorithm="+alg) {
			t.Errorf("challenge %d = %q, want algorithm %s (most preferred first)", i, chals[i], alg)
		}
		ch := h.srv.Challenges(false, netip.Addr{})[i] // a fresh nonce each: they share one
		u, err := h.srv.Verify(t.Context(), register(h.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)))
		if err != nil || u != "alice" {
			t.Errorf("%s: got %q, %v", alg, u, err)
		}
	}
}

func TestNonceCountAndReplay(t *testing.T) {
	h := sipHarness(t, Config{Algorithms: []Algorithm{MD5}})
	ch := h.challenge(t, 0)
	c1 := oracleCred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 1)
	c2 := oracleCred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 2)
	if _, err := h.srv.Verify(t.Context(), register(c1)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.Verify(t.Context(), register(c1)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed nc=1: %v, want ErrReplay", err)
	}
	if _, err := h.srv.Verify(t.Context(), register(c2)); err != nil {
		t.Fatalf("nc=2: %v", err)
	}
	if _, err := h.srv.Verify(t.Context(), register(c1)); !errors.Is(err, ErrReplay) {
		t.Fatalf("nc going back: %v, want ErrReplay", err)
	}
}

func TestStaleOnlyWithCorrectResponse(t *testing.T) {
	h := sipHarness(t, Config{NonceLifetime: time.Minute})
	ch := h.challenge(t, 0)
	good := h.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)
	bad := h.cred(t, ch, "alice", "wrong", "REGISTER", "sip:example.com", nil)
	h.advance(time.Minute - time.Second)
	if _, err := h.srv.Verify(t.Context(), register(good)); err != nil {
		t.Fatalf("within lifetime: %v", err)
	}
	h.advance(2 * time.Second)
	good2 := oracleCred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 2)
	if _, err := h.srv.Verify(t.Context(), register(good2)); !errors.Is(err, ErrStale) {
		t.Fatalf("expired nonce, right password: %v, want ErrStale", err)
	}
	// The stale signal must not be a password oracle.
	if _, err := h.srv.Verify(t.Context(), register(bad)); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("expired nonce, wrong password: %v, want ErrBadCredentials", err)
	}
	for _, c := range h.srv.Challenges(true, netip.Addr{}) {
		if !strings.Contains(c, "stale=true") {
			t.Fatalf("stale challenge %q", c)
		}
	}
}

func TestRejections(t *testing.T) {
	h := sipHarness(t, Config{})
	other := sipHarness(t, Config{}, []byte(strings.Repeat("k", 32)))
	ch := h.challenge(t, 0) // SHA-256
	md5ch := h.challenge(t, 1)
	okCred := func() string {
		return h.cred(t, h.challenge(t, 0), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)
	}
	tampered := func() string {
		c := okCred()
		i := strings.Index(c, `nonce="`) + len(`nonce="`) + 20
		flip := byte('A')
		if c[i] == 'A' {
			flip = 'B'
		}
		return c[:i] + string(flip) + c[i+1:]
	}
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"missing", register(""), ErrNoCredentials},
		{"not digest", register("Basic YWxpY2U6eA=="), ErrMalformed},
		{"wrong uri", Request{Method: "REGISTER", URI: "sip:example.com;transport=tcp", Authorization: okCred()}, ErrURIMismatch},
		{"wrong method", Request{Method: "INVITE", URI: "sip:example.com", Authorization: okCred()}, ErrBadCredentials},
		{"wrong realm", register(oracleCred(t, strings.Replace(ch, `realm="example.com"`, `realm="evil.com"`, 1), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 1)), ErrWrongRealm},
		{"tampered nonce", register(tampered()), ErrInvalidNonce},
		{"other key nonce", register(h.cred(t, other.challenge(t, 0), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)), ErrInvalidNonce},
		{"foreign nonce", register(oracleCred(t, strings.Replace(ch, `nonce="`, `nonce="x`, 1), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 1)), ErrInvalidNonce},
		{"wrong password", register(h.cred(t, ch, "alice", "nope", "REGISTER", "sip:example.com", nil)), ErrBadCredentials},
		{"unknown user", register(h.cred(t, ch, "mallory", "s3cr3t!", "REGISTER", "sip:example.com", nil)), ErrBadCredentials},
		{"downgrade to SHA-512-256 not offered", register(h.cred(t, strings.Replace(ch, "SHA-256", "SHA-512-256", 1), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)), ErrUnknownAlgorithm},
		{"unknown algorithm", register(strings.Replace(okCred(), "algorithm=SHA-256", "algorithm=SHA-1", 1)), ErrUnknownAlgorithm},
		{"duplicate param", register(okCred() + `, realm="example.com"`), ErrMalformed},
		{"opaque changed", register(strings.Replace(okCred(), `opaque="`, `opaque="x`, 1)), ErrMalformed},
		{"opaque missing", register(strings.Replace(okCred(), `opaque="`, `xopaque="`, 1)), ErrMalformed},
		{"qop missing", register(h.cred(t, strings.Replace(ch, `, qop="auth"`, "", 1), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)), ErrMalformed},
		{"qop not offered", register(h.cred(t, strings.Replace(ch, `qop="auth"`, `qop="auth-int"`, 1), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)), ErrMalformed},
		{"bad nc", register(strings.Replace(okCred(), "nc=00000001", "nc=0000001g", 1)), ErrMalformed},
		{"zero nc", register(strings.Replace(okCred(), "nc=00000001", "nc=00000000", 1)), ErrMalformed},
		{"short response", register(replaceResponse(okCred(), "abcd")), ErrMalformed},
		{"two credentials in one value", register(okCred() + ", " + okCred()), ErrMalformed},
	}
	_ = md5ch
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := h.srv.Verify(t.Context(), tc.req)
			if !errors.Is(err, tc.want) || u != "" {
				t.Fatalf("got %q, %v; want %v", u, err, tc.want)
			}
		})
	}
}

func TestUppercaseResponseAndTolerantSyntax(t *testing.T) {
	h := sipHarness(t, Config{Algorithms: []Algorithm{MD5}})
	c := oracleCredentials(t, h.challenge(t, 0), "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 1)
	hdr := "DIGEST\tUsername=\"alice\" ,REALM=example.com,\r\n nonce=" + c.Nonce + ", uri=\"sip:example.com\", " +
		"response=\"" + strings.ToUpper(c.Response) + "\", algorithm=md5, cnonce=\"0a4f113b\", opaque=" + h.srv.opaque +
		", qop=\"auth\", nc=00000001, ext=\"ignored\""
	if u, err := h.srv.Verify(t.Context(), register(hdr)); err != nil || u != "alice" {
		t.Fatalf("got %q, %v", u, err)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := testKey, []byte(strings.Repeat("n", 32))
	before := sipHarness(t, Config{}, oldKey)
	ch := before.challenge(t, 0)
	after := sipHarness(t, Config{}, newKey, oldKey)
	if _, err := after.srv.Verify(t.Context(), register(after.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil))); err != nil {
		t.Fatalf("nonce of the previous key: %v", err)
	}
	dropped := sipHarness(t, Config{}, newKey)
	if _, err := dropped.srv.Verify(t.Context(), register(dropped.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil))); !errors.Is(err, ErrInvalidNonce) {
		t.Fatalf("nonce of a dropped key: %v", err)
	}
}

func TestFutureNonce(t *testing.T) {
	h := sipHarness(t, Config{})
	h.advance(time.Minute)
	ch := h.challenge(t, 0)
	h.advance(-time.Minute)
	if _, err := h.srv.Verify(t.Context(), register(h.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil))); !errors.Is(err, ErrInvalidNonce) {
		t.Fatalf("nonce from the future: %v", err)
	}
}

func TestBindClientAddr(t *testing.T) {
	h := sipHarness(t, Config{BindClientAddr: true})
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	ch := h.srv.Challenges(false, a)[0]
	cred := h.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)
	r := register(cred)
	r.ClientAddr = b
	if _, err := h.srv.Verify(t.Context(), r); !errors.Is(err, ErrInvalidNonce) {
		t.Fatalf("other address: %v", err)
	}
	r.ClientAddr = netip.MustParseAddr("::ffff:192.0.2.1") // same IP, mapped form
	if _, err := h.srv.Verify(t.Context(), r); err != nil {
		t.Fatalf("same address: %v", err)
	}
}

func TestNoQOPSingleUse(t *testing.T) {
	h := sipHarness(t, Config{AllowNoQOP: true, Algorithms: []Algorithm{MD5}})
	ch := strings.Replace(h.challenge(t, 0), `, qop="auth"`, "", 1)
	cred := h.cred(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil)
	if _, err := h.srv.Verify(t.Context(), register(cred)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.Verify(t.Context(), register(cred)); !errors.Is(err, ErrReplay) {
		t.Fatalf("second use of a no-qop nonce: %v", err)
	}
}

func TestAuthInt(t *testing.T) {
	h := sipHarness(t, Config{QOP: []string{"auth-int"}})
	body := []byte("v=0\r\n")
	ch := h.challenge(t, 0)
	r := Request{Method: "INVITE", URI: "sip:bob@example.com", Body: body,
		Authorization: h.cred(t, ch, "alice", "s3cr3t!", "INVITE", "sip:bob@example.com", body)}
	if _, err := h.srv.Verify(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	r.Authorization = oracleCred(t, ch, "alice", "s3cr3t!", "INVITE", "sip:bob@example.com", body, 2)
	r.Body = []byte("v=1\r\n")
	if _, err := h.srv.Verify(t.Context(), r); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("tampered body: %v", err)
	}
}

func TestUsernameStar(t *testing.T) {
	h := newHarness(t, Config{Algorithms: []Algorithm{SHA512_256}}, "api@example.org")
	h.store.AddPassword("J\u00e4s\u00f8n Doe", "Secret, or not?")
	c := oracleCredentials(t, h.challenge(t, 0), "J\u00e4s\u00f8n Doe", "Secret, or not?", "GET", "/doe.json", nil, 1)
	hdr := strings.Replace(c.String(), "username=\"J\u00e4s\u00f8n Doe\"", `username*=UTF-8''J%C3%A4s%C3%B8n%20Doe`, 1)
	if !strings.Contains(hdr, "username*") {
		t.Fatalf("test setup: %s", hdr)
	}
	if u, err := h.srv.Verify(t.Context(), Request{Method: "GET", URI: "/doe.json", Authorization: hdr}); err != nil || u != "J\u00e4s\u00f8n Doe" {
		t.Fatalf("got %q, %v", u, err)
	}
}

type failingStore struct{}

var errDB = errors.New("db down")

func (failingStore) LookupHA1(context.Context, Lookup) (Credential, error) {
	return Credential{}, errDB
}

func TestStoreErrorPassesThrough(t *testing.T) {
	h := newHarness(t, Config{Credentials: failingStore{}}, sipRealm)
	_, err := h.srv.Verify(t.Context(), register(h.cred(t, h.challenge(t, 0), "alice", "x", "REGISTER", "sip:example.com", nil)))
	if !errors.Is(err, errDB) || errors.Is(err, ErrBadCredentials) {
		t.Fatalf("got %v", err)
	}
}

func TestNewServerConfig(t *testing.T) {
	store := NewMemoryStore("r")
	for name, tc := range map[string]struct {
		cfg  Config
		keys [][]byte
	}{
		"no key":       {Config{Realm: "r", Credentials: store}, nil},
		"short key":    {Config{Realm: "r", Credentials: store}, [][]byte{make([]byte, 31)}},
		"no realm":     {Config{Credentials: store}, [][]byte{testKey}},
		"no store":     {Config{Realm: "r"}, [][]byte{testKey}},
		"bad alg":      {Config{Realm: "r", Credentials: store, Algorithms: []Algorithm{"SHA-1"}}, [][]byte{testKey}},
		"dup alg":      {Config{Realm: "r", Credentials: store, Algorithms: []Algorithm{MD5, "md5"}}, [][]byte{testKey}},
		"bad qop":      {Config{Realm: "r", Credentials: store, QOP: []string{"auth-conf"}}, [][]byte{testKey}},
		"negative ttl": {Config{Realm: "r", Credentials: store, NonceLifetime: -1}, [][]byte{testKey}},
	} {
		if _, err := NewServer(tc.cfg, tc.keys...); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	s, err := NewServer(Config{Realm: "r", Credentials: store}, testKey)
	if err != nil {
		t.Fatal(err)
	}
	ch := s.Challenges(false, netip.Addr{})
	if len(ch) != 2 || !strings.Contains(ch[0], "algorithm=SHA-256") || !strings.Contains(ch[1], "algorithm=MD5") ||
		!strings.Contains(ch[0], `qop="auth"`) {
		t.Fatalf("default challenges: %q", ch)
	}
}

func TestSelectCredentials(t *testing.T) {
	a := `Digest username="a", realm="one", nonce="n", uri="u", response="r"`
	b := `Digest username="a", realm="two", nonce="n", uri="u", response="r"`
	if got := SelectCredentials([]string{a, "Basic x", b}, "two"); got != b {
		t.Fatalf("got %q", got)
	}
	if got := SelectCredentials([]string{a}, "three"); got != "" {
		t.Fatalf("got %q", got)
	}
}

func TestLogsNoSecrets(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := sipHarness(t, Config{Logger: logger, Algorithms: []Algorithm{MD5}})
	ch := h.challenge(t, 0)
	bad := oracleCredentials(t, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, 1)
	for _, r := range []Request{
		{Method: "REGISTER", URI: "sip:other", Authorization: bad.String()},
		{Method: "INVITE", URI: "sip:example.com", Authorization: bad.String()},
	} {
		if _, err := h.srv.Verify(t.Context(), r); err == nil {
			t.Fatal("expected failure")
		}
	}
	out := buf.String()
	if !strings.Contains(out, "digest verification failed") {
		t.Fatalf("nothing logged: %q", out)
	}
	for _, secret := range []string{bad.Response, "s3cr3t!", "aef266ec5edbe0f92f89c67ccd621aa5", string(testKey)} {
		if strings.Contains(out, secret) {
			t.Fatalf("log contains a secret %q: %s", secret, out)
		}
	}
}
