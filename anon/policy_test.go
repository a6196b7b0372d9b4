package anon

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckTable(t *testing.T) {
	p := testPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tc := range checkCases {
		d, err := p.Check(tc.class, tc.target)
		if tc.err == nil {
			if err != nil {
				t.Errorf("Check(%v, %q): unexpected error %v", tc.class, tc.target, err)
				continue
			}
			if got := d.String(); got != tc.want {
				t.Errorf("Check(%v, %q) = %q, want %q", tc.class, tc.target, got, tc.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Check(%v, %q) = %q, want error %v", tc.class, tc.target, d, tc.err)
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("Check(%v, %q): error %v, want %v", tc.class, tc.target, err, tc.err)
		}
		if d != (Destination{}) {
			t.Errorf("Check(%v, %q): non-zero Destination %+v with error", tc.class, tc.target, d)
		}
		checkErrorFamily(t, tc.target, err)
	}
	if len(checkCases) < 100 {
		t.Fatalf("only %d table cases", len(checkCases))
	}
}

// checkErrorFamily asserts that err is exactly one of a denial or a parse
// rejection, and that nothing from the target leaks into its text or phrase.
func checkErrorFamily(t *testing.T, target string, err error) {
	t.Helper()
	denied, malformed := errors.Is(err, ErrDenied), errors.Is(err, ErrMalformed)
	if denied == malformed {
		t.Errorf("%q: error %v: denied=%v malformed=%v, want exactly one", target, err, denied, malformed)
	}
	var de *DeniedError
	if denied != errors.As(err, &de) {
		t.Errorf("%q: denial %v is not a *DeniedError", target, err)
	}
	phrase := ReasonPhrase(err)
	if phrase == "" || strings.ContainsAny(phrase, "\r\n") {
		t.Errorf("%q: bad reason phrase %q", target, phrase)
	}
	for _, leak := range []string{"evil", "secret", "example", "sales"} {
		if strings.Contains(err.Error(), leak) || strings.Contains(phrase, leak) {
			t.Errorf("%q: error text %q / phrase %q echoes input", target, err, phrase)
		}
	}
}

func TestZeroPolicyDeniesEverything(t *testing.T) {
	var nilPolicy *Policy
	for _, p := range []*Policy{nilPolicy, {}, {PSTNPrefixes: []string{"+1"}}} {
		for _, class := range []Class{Anonymous, Unauthenticated, Authenticated} {
			for _, target := range []string{"sip:sales@example.com", "sip:bob@example.net", "tel:+12125550100"} {
				_, err := p.Check(class, target)
				if !errors.Is(err, ErrNotConfigured) || !errors.Is(err, ErrDenied) {
					t.Errorf("%+v.Check(%v, %q) = %v, want ErrNotConfigured", p, class, target, err)
				}
			}
		}
	}
}

func TestPSTNNeedsPrefixes(t *testing.T) {
	p := &Policy{Domains: []string{"example.com"}}
	if _, err := p.Check(Authenticated, "tel:+12125550100"); !errors.Is(err, ErrPSTN) {
		t.Fatalf("no PSTNPrefixes: got %v, want ErrPSTN", err)
	}
}

func TestDeniedPrefixes(t *testing.T) {
	base := Policy{Domains: []string{"example.com"}, PSTNPrefixes: []string{"+1", "+44"}}

	extra := base
	extra.DeniedPrefixes = []string{"+1 212 555"}
	if _, err := extra.Check(Authenticated, "tel:+1-212-555-0100"); !errors.Is(err, ErrPremiumRate) {
		t.Errorf("extra deny: %v", err)
	}
	if _, err := extra.Check(Authenticated, "tel:+1-900-555-0100"); !errors.Is(err, ErrPremiumRate) {
		t.Errorf("defaults must still apply when DeniedPrefixes is set: %v", err)
	}

	replaced := base
	replaced.ReplaceDefaultDeniedPrefixes = true
	replaced.DeniedPrefixes = nil
	for _, p := range DefaultDeniedPrefixes() {
		if p != "+4470" {
			replaced.DeniedPrefixes = append(replaced.DeniedPrefixes, p)
		}
	}
	if d, err := replaced.Check(Authenticated, "tel:+447012345678"); err != nil || d.Number != "+447012345678" {
		t.Errorf("replaced defaults without +4470: %v %v", d, err)
	}
	if _, err := replaced.Check(Authenticated, "tel:+449098790000"); !errors.Is(err, ErrPremiumRate) {
		t.Errorf("replaced defaults keep +449: %v", err)
	}

	// A prefix without '+' or with separators still denies.
	sloppy := base
	sloppy.DeniedPrefixes = []string{"44-20"}
	if _, err := sloppy.Check(Authenticated, "tel:+442079460000"); !errors.Is(err, ErrPremiumRate) {
		t.Errorf("sloppy deny prefix: %v", err)
	}
	// An allow prefix without digits never matches.
	wild := Policy{Domains: []string{"example.com"}, PSTNPrefixes: []string{"+", "", "+x"}}
	if _, err := wild.Check(Authenticated, "tel:+442079460000"); !errors.Is(err, ErrPrefixNotAllowed) {
		t.Errorf("digitless allow prefix matched: %v", err)
	}
	if wild.Validate() == nil {
		t.Errorf("Validate accepted digitless prefixes")
	}
}

func TestMaxExtensionDigits(t *testing.T) {
	cases := []struct {
		max    int
		target string
		pstn   bool
	}{
		{0, "sip:123456@example.com", false},
		{0, "sip:1234567@example.com", true},
		{-3, "sip:1234567@example.com", true},
		{4, "sip:1234@example.com", false},
		{4, "sip:12345@example.com", true},
		{99, "sip:123456789012345@example.com", false},
	}
	for _, tc := range cases {
		p := &Policy{Domains: []string{"example.com"}, MaxExtensionDigits: tc.max}
		_, err := p.Check(Anonymous, tc.target)
		if gotPSTN := errors.Is(err, ErrPSTN); gotPSTN != tc.pstn || (!tc.pstn && err != nil) {
			t.Errorf("max %d %q: err %v, want pstn=%v", tc.max, tc.target, err, tc.pstn)
		}
	}
	p := &Policy{Domains: []string{"example.com"}, MaxExtensionDigits: 99}
	if _, err := p.Check(Anonymous, "sip:1234567890123456@example.com"); !errors.Is(err, ErrPSTN) {
		t.Errorf("16 digits must be PSTN even with MaxExtensionDigits 99: %v", err)
	}
}

func TestDomainCase(t *testing.T) {
	p := &Policy{Domains: []string{"Example.COM"}}
	d, err := p.Check(Anonymous, "sip:sales@EXAMPLE.com")
	if err != nil || d.Host != "example.com" {
		t.Fatalf("got %+v, %v", d, err)
	}
	if p.Validate() == nil {
		t.Errorf("Validate accepted an uppercase domain")
	}
	for _, bad := range []string{"example.com.", "192.0.2.1", "example.com:5060", ""} {
		if (&Policy{Domains: []string{bad}}).Validate() == nil {
			t.Errorf("Validate accepted domain %q", bad)
		}
	}
	trailing := &Policy{Domains: []string{"example.com."}}
	if _, err := trailing.Check(Anonymous, "sip:sales@example.com"); !errors.Is(err, ErrForeignDomain) {
		t.Errorf("trailing-dot domain matched: %v", err)
	}
}

// TestRoundTrip is the property test: every allowed result, re-serialised,
// is allowed again with the same class, yields the same Destination, and
// for Anonymous has a host in Domains.
func TestRoundTrip(t *testing.T) {
	p := testPolicy()
	allowed := 0
	for _, tc := range checkCases {
		d, err := p.Check(tc.class, tc.target)
		if err != nil {
			continue
		}
		allowed++
		assertAllowedInvariant(t, p, tc.class, tc.target, d)
	}
	if allowed < 30 {
		t.Fatalf("only %d allowed cases exercised", allowed)
	}
}

func assertAllowedInvariant(t *testing.T, p *Policy, class Class, target string, d Destination) {
	t.Helper()
	again, err := p.Check(class, d.String())
	if err != nil {
		t.Errorf("%q -> %q: re-check failed: %v", target, d, err)
		return
	}
	if again != d {
		t.Errorf("%q -> %+v -> %+v: not idempotent", target, d, again)
	}
	if class == Anonymous {
		if d.PSTN || !inDomains(p, d.Host) || (d.Scheme != "sip" && d.Scheme != "sips") {
			t.Errorf("Anonymous allowed %q -> %+v", target, d)
		}
	}
	if class != Authenticated && d.PSTN {
		t.Errorf("%v allowed PSTN %q -> %+v", class, target, d)
	}
	if d.PSTN && (len(d.Number) < 4 || d.Number[0] != '+') {
		t.Errorf("%q: PSTN number %q not international", target, d.Number)
	}
}

func inDomains(p *Policy, host string) bool {
	for _, d := range p.Domains {
		if host == d {
			return true
		}
	}
	return false
}

func TestDeniedErrorText(t *testing.T) {
	_, err := testPolicy().Check(Anonymous, "sip:secret-target@evil.net")
	var de *DeniedError
	if !errors.As(err, &de) {
		t.Fatalf("want *DeniedError, got %T %v", err, err)
	}
	if de.Class != Anonymous || de.Target != "sip:secret-target@evil.net" || de.Reason != ErrForeignDomain {
		t.Errorf("DeniedError fields: %+v", de)
	}
	if got := err.Error(); got != "anon: destination outside the site's domains (caller class anonymous)" {
		t.Errorf("Error() = %q", got)
	}
	if ReasonPhrase(err) != "Foreign Domain" || ReasonPhrase(errors.New("x")) != "Forbidden" {
		t.Errorf("ReasonPhrase: %q", ReasonPhrase(err))
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{Anonymous: "anonymous", Unauthenticated: "unauthenticated",
		Authenticated: "authenticated", 0: "Class(0)", 7: "Class(7)"} {
		if got := c.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

// TestDefaultDeniedSwitch keeps isDefaultDenied in step with the documented
// list: every listed prefix is denied, and on many numbers the switch
// agrees with a plain scan of the list.
func TestDefaultDeniedSwitch(t *testing.T) {
	list := DefaultDeniedPrefixes()
	if len(list) < 40 {
		t.Fatalf("default list has %d entries", len(list))
	}
	for _, prefix := range list {
		if !validPrefix(prefix) || !isDefaultDenied(prefix+"5550100") {
			t.Errorf("listed prefix %q not denied by the switch", prefix)
		}
	}
	scan := func(number string) bool {
		for _, prefix := range list {
			if hasNumberPrefix(number, prefix) {
				return true
			}
		}
		return false
	}
	// Every 5-digit start (the longest prefix has 5 digits), at every
	// length from 1 to 5 significant digits.
	for n := 0; n < 100_000; n++ {
		digits := []byte("000005550100")
		for i, v := 4, n; i >= 0; i, v = i-1, v/10 {
			digits[i] = byte('0' + v%10)
		}
		for _, k := range []int{0, 1, 2, 3, 4} {
			number := "+" + string(digits[k:])
			if isDefaultDenied(number) != scan(number) {
				t.Fatalf("switch and list disagree on %q", number)
			}
		}
	}
	if isDefaultDenied("+1") || isDefaultDenied("+") || isDefaultDenied("") {
		t.Errorf("short numbers matched")
	}
}
