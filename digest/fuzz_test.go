package digest

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	icholy "github.com/icholy/digest"
)

var fuzzSeeds = []string{
	`Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
	`Digest username="a\"b", realm=r, nonce=ab/c=, uri="sip:x;transport=tcp", response=ff, userhash=true`,
	`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="api@example.org", nonce="n", uri="/doe.json", response="x"`,
	"DIGEST\tUsername=\"alice\" ,REALM=example.com,\r\n nonce=x, uri=\"u\", response=\"r\",,",
	`Digest realm="r", nonce="n1", algorithm=MD5, qop="auth, auth-int", Basic realm="b", Digest realm="r2", nonce="n2", stale=TRUE`,
}

// FuzzParseCredentials: no panics, invariants on accepted input, a
// round trip through icholy's formatter, and agreement with icholy's
// parser where both accept and icholy's case-sensitivity cannot differ.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c credentials
		if parseCredentials(s, &c) != nil {
			return
		}
		const required = cpRealm | cpNonce | cpURI | cpResponse
		if c.present&required != required || c.present&(cpUsername|cpUsernameStar) == 0 {
			t.Fatalf("accepted without required parameters: %q", s)
		}
		all := c.username + c.realm + c.nonce + c.uri + c.cnonce + c.opaque + c.response
		if !utf8.ValidString(s) || strings.ContainsAny(all, "\"\\") || strings.ContainsFunc(all, func(r rune) bool { return !strconv.IsPrint(r) }) {
			return // icholy formats with strconv.Quote, whose escapes differ from quoted-string
		}
		// Round trip: format with icholy, parse again with ours.
		ic := icholy.Credentials{Username: c.username, Realm: c.realm, Nonce: c.nonce, URI: c.uri, Response: c.response, Cnonce: c.cnonce, Opaque: c.opaque}
		var c2 credentials
		if err := parseCredentials(ic.String(), &c2); err != nil {
			t.Fatalf("round trip of %q: %v (%q)", s, err, ic.String())
		}
		if c2.username != c.username || c2.realm != c.realm || c2.nonce != c.nonce || c2.uri != c.uri || c2.response != c.response {
			t.Fatalf("round trip changed fields: %+v vs %+v", c, c2)
		}
		if strings.ToLower(s) != s {
			return
		}
		if o, err := icholy.ParseCredentials(s); err == nil {
			if o.Username != c.username || o.Realm != c.realm || o.Nonce != c.nonce || o.URI != c.uri || o.Response != c.response {
				t.Fatalf("icholy disagrees on %q:\n icholy %+v\n ours %+v", s, o, c)
			}
		}
	})
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(`Digest realm="r", nonce="n", qop="auth , auth-int", algorithm=sha-256, userhash=true`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseChallenges(s) {
			if c.realm == "" || c.nonce == "" {
				t.Fatalf("challenge without realm or nonce from %q", s)
			}
			for _, q := range c.qop {
				if q == "" || q != strings.TrimSpace(q) {
					t.Fatalf("untrimmed qop %q", q)
				}
			}
		}
	})
}

// FuzzVerify feeds arbitrary Authorization values (seeded with valid ones
// for every algorithm) to a Server. Whatever it accepts must be a
// correct answer for the real user, as computed independently by
// icholy/digest: no input may authenticate without the password.
func FuzzVerify(f *testing.F) {
	h := newHarness(f, Config{Algorithms: []Algorithm{SHA512_256, SHA256, MD5}, QOP: []string{"auth", "auth-int"}, AllowNoQOP: true}, sipRealm)
	h.store.AddPassword("alice", "s3cr3t!")
	chals := h.srv.Challenges(false, netip.Addr{})
	for i, ch := range chals {
		for nc := 1; nc <= 2; nc++ {
			f.Add(oracleCred(f, ch, "alice", "s3cr3t!", "REGISTER", "sip:example.com", nil, nc), "REGISTER", "sip:example.com")
		}
		noQOP := strings.Replace(ch, `, qop="auth,auth-int"`, "", 1)
		f.Add(oracleCred(f, noQOP, "alice", "s3cr3t!", "INVITE", "sip:bob@example.com", nil, 1), "INVITE", "sip:bob@example.com")
		f.Add(oracleCred(f, ch, "mallory", "x", "REGISTER", "sip:example.com", nil, i+1), "REGISTER", "sip:example.com")
	}
	f.Fuzz(func(t *testing.T, auth, method, uri string) {
		user, err := h.srv.Verify(t.Context(), Request{Method: method, URI: uri, Authorization: auth})
		if err != nil {
			if user != "" {
				t.Fatalf("user %q returned with error %v", user, err)
			}
			return
		}
		var c credentials
		if perr := parseCredentials(auth, &c); perr != nil {
			t.Fatalf("accepted unparsable %q", auth)
		}
		alg, _ := parseAlgorithm(c.algorithm)
		var qop []string
		if c.qop != "" {
			qop = []string{strings.ToLower(c.qop)}
		}
		nc := 0
		if n, ok := parseNC(c.nc); ok {
			nc = int(n)
		}
		name := "alice"
		o, oerr := icholy.Digest(&icholy.Challenge{Realm: c.realm, Nonce: c.nonce, Algorithm: string(alg), QOP: qop},
			icholy.Options{Method: method, URI: c.uri, Username: name, Password: "s3cr3t!", Count: nc, Cnonce: c.cnonce})
		if oerr != nil {
			t.Fatalf("oracle: %v", oerr)
		}
		if user != "alice" || !strings.EqualFold(o.Response, c.response) || c.uri != uri {
			t.Fatalf("accepted %q for %q, oracle response %s", auth, user, o.Response)
		}
	})
}

// FuzzDecodeNonce checks the hand-written nonce decoder against
// encoding/base64 in strict mode: same acceptance, same bytes.
func FuzzDecodeNonce(f *testing.F) {
	f.Add("AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi-RuVzAV_LpGxyCInlow")
	f.Add("AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi-RuVzAV_LpGxyCInlox") // unused bits set
	f.Add("AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi+RuVzAV/LpGxyCInlow") // std alphabet
	f.Add(strings.Repeat("_", nonceLen))
	f.Fuzz(func(t *testing.T, s string) {
		var got [nonceRawLen]byte
		ok := decodeNonce(&got, s)
		want, err := base64.RawURLEncoding.Strict().DecodeString(s)
		wantOK := err == nil && len(want) == nonceRawLen && !strings.ContainsAny(s, "\r\n")
		if ok != wantOK {
			t.Fatalf("decodeNonce(%q) ok=%v, encoding/base64 ok=%v (%v)", s, ok, wantOK, err)
		}
		if ok && string(got[:]) != string(want) {
			t.Fatalf("decodeNonce(%q) = %x, want %x", s, got, want)
		}
	})
}

// FuzzParseNC checks the table-driven nc parser against strconv.
func FuzzParseNC(f *testing.F) {
	for _, s := range []string{"00000001", "ffffffff", "FFFFFFFF", "00000000", "0000000g", "+0000001", "0x000001", "1", "000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseNC(s)
		want, err := strconv.ParseUint(s, 16, 32)
		wantOK := len(s) == 8 && err == nil && want != 0
		if ok != wantOK || (ok && uint64(got) != want) {
			t.Fatalf("parseNC(%q) = %d, %v; strconv: %d, %v", s, got, ok, want, err)
		}
	})
}

// FuzzConstantTimeEqual checks the word-wise compare against bytes.Equal.
func FuzzConstantTimeEqual(f *testing.F) {
	f.Add([]byte("0339291fb628b89939a89e7299065796"), []byte("0339291fb628b89939a89e7299065797"))
	f.Add([]byte("abc"), []byte("abc"))
	f.Add([]byte("0339291fb628b89939a89e7299065796582db27b75f12eced309d9a315989673"), []byte("1339291fb628b89939a89e7299065796582db27b75f12eced309d9a315989673"))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		if got, want := constantTimeEqual(x, y), bytes.Equal(x, y); got != want {
			t.Fatalf("constantTimeEqual(%q, %q) = %v", x, y, got)
		}
		if !constantTimeEqual(x, x) {
			t.Fatalf("constantTimeEqual(%q, itself) = false", x)
		}
		for i := range x { // every position counts, whichever word it is in
			z := bytes.Clone(x)
			z[i] ^= 0x80
			if constantTimeEqual(x, z) {
				t.Fatalf("constantTimeEqual(%q, %q) = true", x, z)
			}
		}
	})
}

// FuzzParseCredentialsMatchesReference checks the credentials parser
// against the previous, byte-at-a-time version (credentials_ref_test.go):
// the same inputs accepted, the same fields returned.
func FuzzParseCredentialsMatchesReference(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add(benchCred)
	f.Add(`Digest username="a", realm="r", nonce="n", uri="u", response="x", uſername="b"`)
	f.Add(`Digest username="a", realm="r\"", nonce="n", uri="u", response="x", cnonce="` + "\x01" + `"`)
	f.Add(`Digest username="a" , realm = "r", nonce="n", uri="u", response="x", Digest x=y`)
	f.Add(`Digest a b=c, username="a", realm="r", nonce="n", uri="u", response="x"`)
	f.Fuzz(func(t *testing.T, s string) {
		var got, want credentials
		err := parseCredentials(s, &got)
		werr := parseCredentialsRef(s, &want)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: parser err %v, reference err %v", s, err, werr)
		}
		if err == nil && got != want {
			t.Fatalf("%q: parser %+v, reference %+v", s, got, want)
		}
	})
}
