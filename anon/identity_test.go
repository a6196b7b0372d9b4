package anon

import (
	"errors"
	"strings"
	"testing"
)

func TestNewIdentityFormat(t *testing.T) {
	id, err := NewIdentity(`Web "visitor" \ 1`)
	if err != nil {
		t.Fatal(err)
	}
	if !validAnonymousUser(id.User) {
		t.Fatalf("bad user %q", id.User)
	}
	if want := "sip:" + id.User + "@anonymous.invalid"; id.URI() != want {
		t.Errorf("URI() = %q, want %q", id.URI(), want)
	}
	if want := `"Web \"visitor\" \\ 1" <` + id.URI() + ">"; id.String() != want {
		t.Errorf("String() = %q, want %q", id.String(), want)
	}
	for _, s := range []string{id.URI(), id.String()} {
		if !IsAnonymous(s) {
			t.Errorf("IsAnonymous(%q) = false", s)
		}
	}
	// The name-addr form is a valid target and is in no one's Domains.
	if _, err := testPolicy().Check(Anonymous, id.String()); !errors.Is(err, ErrForeignDomain) {
		t.Errorf("calling an anonymous identity: %v", err)
	}
	plain, _ := NewIdentity("")
	if plain.String() != "<"+plain.URI()+">" {
		t.Errorf("String() without display name = %q", plain.String())
	}
	if (Identity{}).URI() != "" || (Identity{}).String() != "" {
		t.Errorf("zero Identity must serialise to empty")
	}
	bad := Identity{DisplayName: "a\r\nb", User: id.User}
	if bad.String() != "<"+id.URI()+">" {
		t.Errorf("unsafe display name emitted: %q", bad.String())
	}
}

func TestNewIdentityDisplayName(t *testing.T) {
	good := []string{"", "Sales", "Zoë Müller", "日本語", strings.Repeat("a", 64)}
	for _, name := range good {
		if _, err := NewIdentity(name); err != nil {
			t.Errorf("NewIdentity(%q): %v", name, err)
		}
	}
	bad := []string{"a\x00b", "a\rb", "a\nb", "tab\there", "del\x7f", "c1\u0085", "\xff\xfe",
		"rlo\u202egnp.exe", "iso\u2066x", "ls\u2028x", strings.Repeat("a", 65)}
	for _, name := range bad {
		if _, err := NewIdentity(name); !errors.Is(err, ErrDisplayName) || !errors.Is(err, ErrMalformed) {
			t.Errorf("NewIdentity(%q) = %v, want ErrDisplayName", name, err)
		}
	}
}

func TestNewIdentityUnique(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	seen := make(map[string]struct{}, n)
	var counts [256]int
	for i := 0; i < n; i++ {
		id, err := NewIdentity("")
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[id.User]; dup {
			t.Fatalf("duplicate identity %q after %d draws", id.User, i)
		}
		seen[id.User] = struct{}{}
		if !validAnonymousUser(id.User) {
			t.Fatalf("bad user %q", id.User)
		}
		for j := len(anonymousUserPrefix); j < len(id.User); j++ {
			counts[id.User[j]]++
		}
	}
	// Every one of the 32 symbols must appear at roughly 1/32 of the time;
	// a broken encoder (stuck bits) fails this by a wide margin.
	total := n * randomLength
	for _, c := range []byte(randomAlphabet) {
		if got, want := counts[c], total/32; got < want*9/10 || got > want*11/10 {
			t.Errorf("symbol %q: %d of %d, want about %d", c, got, total, want)
		}
	}
}

func TestIsAnonymous(t *testing.T) {
	const u = "anonymous.abcdefghijklmn23"
	good := []string{
		"sip:" + u + "@anonymous.invalid",
		"sips:" + u + "@anonymous.invalid",
		"SIP:" + u + "@Anonymous.INVALID",
		"<sip:" + u + "@anonymous.invalid>",
		`"Visitor" <sip:` + u + "@anonymous.invalid>",
		"Visitor <sip:" + u + "@anonymous.invalid>",
	}
	for _, s := range good {
		if !IsAnonymous(s) {
			t.Errorf("IsAnonymous(%q) = false", s)
		}
	}
	bad := []string{
		"",
		"sip:anonymous.12345@anonymous.invalid", // OnSIP-style, not ours
		"sip:anonymous.abcdefghijklmn2@anonymous.invalid",        // too short
		"sip:anonymous.abcdefghijklmn234@anonymous.invalid",      // too long
		"sip:anonymous.abcdefghijklmn01@anonymous.invalid",       // 0 and 1 not in alphabet
		"sip:anonymous.ABCDEFGHIJKLMN23@anonymous.invalid",       // uppercase random part
		"sip:Anonymous.abcdefghijklmn23@anonymous.invalid",       // prefix case
		"sip:" + u + "@anonymous.invalid.evil.net",               // look-alike host
		"sip:" + u + "@evil.anonymous.invalid",                   // subdomain
		"sip:" + u + "@anonymous.invalid.",                       // trailing dot
		"sip:" + u + "@anonymous.invalid;user=phone",             // parameters
		"sip:" + u + "@anonymous.invalid;maddr=evil.net",         // parameters
		"sip:" + u + "@anonymous.invalid:5060",                   // port
		"sip:" + u + "@anonymous.invalid?Route=x",                // headers
		"sip:" + u + ":pw@anonymous.invalid",                     // password
		"sip:" + u + ";phone-context=+1@anonymous.invalid",       // user params
		"sip:anonymous.abcdefghijklmn%32%33@anonymous.invalid",   // escapes
		"tel:+12125550100",                                       // tel
		"sip:sales@example.com",                                  // ordinary
		"<sip:" + u + "@anonymous.invalid>;tag=1",                // trailing junk
		"sip:" + u + "@anonymous.invalid\r\n",                    // control
		"anonymous.abcdefghijklmn23@anonymous.invalid",           // no scheme
		"sip:" + u + "@" + strings.Repeat("a", 300) + ".invalid", // too long
	}
	for _, s := range bad {
		if IsAnonymous(s) {
			t.Errorf("IsAnonymous(%q) = true", s)
		}
	}
}
