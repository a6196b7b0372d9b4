package digest

import (
	"errors"
	"slices"
	"testing"

	icholy "github.com/icholy/digest"
)

// Each test shows one icholy/digest v1.2.0 parser quirk from
// digest-facts.md §9 and that this package's tokenizer handles the input.
// icholy's behaviour is only logged: the workaround must hold even after
// an upgrade fixes it.

func logIcholyChallenge(t *testing.T, s string) {
	c, err := icholy.ParseChallenge(s)
	if err != nil {
		t.Logf("icholy.ParseChallenge: %v", err)
		return
	}
	t.Logf("icholy.ParseChallenge: realm=%q nonce=%q qop=%q", c.Realm, c.Nonce, c.QOP)
}

func TestQuirkQOPListNotTrimmed(t *testing.T) {
	for _, s := range []string{
		`Digest realm="r", nonce="n", qop="auth, auth-int"`,
		`Digest realm="r", nonce="n", qop="auth , auth-int"`,
		`Digest realm="r", nonce="n", qop=" AUTH-INT ,auth"`,
	} {
		logIcholyChallenge(t, s)
		cs := parseChallenges(s)
		if len(cs) != 1 || !slices.Contains(cs[0].qop, "auth") || !slices.Contains(cs[0].qop, "auth-int") {
			t.Errorf("%s: %+v", s, cs)
		}
	}
	// End to end: the client answers a challenge whose qop list has
	// spaces, which icholy.Digest alone rejects ("unsupported qop").
	c := &Client{Username: "u", Password: "p", cnonce: func() string { return "c" }}
	if _, err := c.Authorize([]string{`Digest realm="r", nonce="n", qop="auth , auth-int"`}, "GET", "/", nil); err != nil {
		t.Fatal(err)
	}
}

func TestQuirkOneChallengePerLine(t *testing.T) {
	s := `Basic realm="b", Digest realm="r", nonce="n1", algorithm=MD5, qop="auth", Negotiate abc==, Digest realm="r", nonce="n2", algorithm=SHA-256`
	logIcholyChallenge(t, s)
	cs := parseChallenges(s)
	if len(cs) != 2 || cs[0].nonce != "n1" || cs[1].nonce != "n2" || cs[1].algorithm != "SHA-256" {
		t.Fatalf("got %+v", cs)
	}
}

func TestQuirkTabsAndFolding(t *testing.T) {
	s := "Digest\trealm=\"r\",\tnonce=\"n\" ,\r\n qop=\"auth\",\t"
	logIcholyChallenge(t, s)
	cs := parseChallenges(s)
	if len(cs) != 1 || cs[0].realm != "r" || cs[0].nonce != "n" {
		t.Fatalf("got %+v", cs)
	}
}

func TestQuirkCaseInsensitiveKeys(t *testing.T) {
	s := `DIGEST Realm="r", NONCE="n", Algorithm=sha-256, QOP="auth", Stale=TRUE`
	logIcholyChallenge(t, s)
	cs := parseChallenges(s)
	if len(cs) != 1 || cs[0].realm != "r" || cs[0].nonce != "n" || !cs[0].stale || cs[0].algorithm != "sha-256" {
		t.Fatalf("got %+v", cs)
	}
	if a, ok := parseAlgorithm(cs[0].algorithm); !ok || a != SHA256 {
		t.Fatalf("algorithm %q", cs[0].algorithm)
	}
}

func TestQuirkUnquotedValues(t *testing.T) {
	s := `Digest realm=r, nonce=7ypf/xlj9XXw+fDP==, qop=auth`
	logIcholyChallenge(t, s)
	cs := parseChallenges(s)
	if len(cs) != 1 || cs[0].nonce != "7ypf/xlj9XXw+fDP==" || cs[0].qop[0] != "auth" {
		t.Fatalf("got %+v", cs)
	}
	var c credentials
	if err := parseCredentials(`Digest username=alice, realm=r, nonce=ab/c=, uri="sip:x", response=ff`, &c); err != nil || c.nonce != "ab/c=" {
		t.Fatalf("credentials: %+v %v", c, err)
	}
}

func TestQuirkDuplicatesRejected(t *testing.T) {
	ch := `Digest realm="r", nonce="n1", nonce="n2"`
	logIcholyChallenge(t, ch) // icholy silently keeps "n2"
	if cs := parseChallenges(ch); len(cs) != 0 {
		t.Fatalf("challenge with duplicate nonce accepted: %+v", cs)
	}
	cr := `Digest username="a", realm="r", nonce="n", uri="/", response="x", Username="b"`
	if ic, err := icholy.ParseCredentials(cr); err == nil {
		t.Logf("icholy.ParseCredentials: username=%q", ic.Username)
	}
	var c credentials
	if err := parseCredentials(cr, &c); !errors.Is(err, ErrMalformed) {
		t.Fatalf("duplicate username (any case) accepted: %v", err)
	}
}

func TestParseCredentialsEscapesAndErrors(t *testing.T) {
	var c credentials
	if err := parseCredentials(`Digest username="a\"b", realm="r", nonce="n", uri="/", response="x"`, &c); err != nil || c.username != `a"b` {
		t.Fatalf("escaped quote: %q %v", c.username, err)
	}
	for _, s := range []string{
		``, `Digest`, `Digest username="a"`, `Digest username="a, realm="r"`,
		`Digest username="a` + "\x01" + `", realm="r", nonce="n", uri="/", response="x"`,
		`Digest username="a"x, realm="r", nonce="n", uri="/", response="x"`,
		`Digest =x, username="a", realm="r", nonce="n", uri="/", response="x"`,
		`Digest username=, realm="r", nonce="n", uri="/", response="x"`,
		`Digest username*=ISO-8859-1''a, realm="r", nonce="n", uri="/", response="x"`,
		`Digest username*=UTF-8''a%4, realm="r", nonce="n", uri="/", response="x"`,
		`Digest username*=UTF-8''%00, realm="r", nonce="n", uri="/", response="x"`, // found by FuzzParseCredentials
		`Digest username*=UTF-8''%FF, realm="r", nonce="n", uri="/", response="x"`,
	} {
		if err := parseCredentials(s, &c); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
}
