package anon

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCheck asserts that Check never panics, that every error belongs to
// exactly one family, and that whatever it allows obeys the class rules
// checked independently here: above all, an Anonymous caller never gets a
// host outside Domains nor a number.
func FuzzCheck(f *testing.F) {
	for _, tc := range checkCases {
		f.Add(tc.target)
	}
	id, _ := NewIdentity("Visitor")
	f.Add(id.String())
	f.Add("sip:+1-212-555-0100@EXAMPLE.COM;user=phone")
	f.Add(`"a\"b" <sips:x@pbx.example.org;user=ip>`)

	p := testPolicy()
	denied := DefaultDeniedPrefixes()
	f.Fuzz(func(t *testing.T, target string) {
		for _, class := range []Class{0, Anonymous, Unauthenticated, Authenticated} {
			d, err := p.Check(class, target)
			if err != nil {
				if d != (Destination{}) {
					t.Fatalf("%v %q: destination %+v with error %v", class, target, d, err)
				}
				if errors.Is(err, ErrDenied) == errors.Is(err, ErrMalformed) {
					t.Fatalf("%v %q: error %v in neither or both families", class, target, err)
				}
				if strings.ContainsAny(err.Error()+ReasonPhrase(err), "\r\n") {
					t.Fatalf("%v %q: CR/LF in error", class, target)
				}
				continue
			}
			if class == 0 {
				t.Fatalf("zero class allowed %q", target)
			}
			if class == Anonymous {
				if d.PSTN || d.Number != "" || !inDomains(p, d.Host) || (d.Scheme != "sip" && d.Scheme != "sips") {
					t.Fatalf("Anonymous allowed %q -> %+v", target, d)
				}
				// Independently of the parser: the target's last '@' must be
				// followed by exactly that host, up to ';', '>' or the end.
				low := strings.ToLower(target)
				rest := low[strings.LastIndexByte(low, '@')+1:]
				if end := strings.IndexAny(rest, ";>"); end >= 0 {
					rest = rest[:end]
				}
				if rest != d.Host {
					t.Fatalf("Anonymous allowed %q with host %q, but the target says %q", target, d.Host, rest)
				}
			}
			if class != Authenticated && d.PSTN {
				t.Fatalf("%v allowed PSTN %q -> %+v", class, target, d)
			}
			s := d.String()
			if strings.ContainsAny(s, " \t\r\n%?<>\"[]") || len(s) > MaxTargetLength+16 {
				t.Fatalf("%q -> unsafe serialisation %q", target, s)
			}
			if d.PSTN {
				if !strings.HasPrefix(d.Number, "+") || len(d.Number) > 16 {
					t.Fatalf("%q -> number %q", target, d.Number)
				}
				for _, prefix := range denied {
					if strings.HasPrefix(d.Number, prefix) {
						t.Fatalf("%q -> denied prefix %q allowed", target, prefix)
					}
				}
			}
			assertAllowedInvariant(t, p, class, target, d)
		}
		if IsAnonymous(target) {
			if _, err := p.Check(Anonymous, target); err == nil {
				t.Fatalf("anonymous identity %q is callable", target)
			}
		}
	})
}
