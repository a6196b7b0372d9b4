package anon

import (
	"errors"
	"testing"
)

// TestCombinations builds targets from parts (users x hosts x parameters x
// framings) and checks the class invariants on every one that is allowed,
// and that the classes nest: what a lower class may reach, a higher class
// may reach too, with the same Destination.
func TestCombinations(t *testing.T) {
	users := []string{"sales", "Sales.Team", "100", "1-00", "123456", "1234567", "+12125550100",
		"+1-900-555-0100", "011-44-20-7946-0000", "0044-20-7946-0000", "911", "118118", "a123",
		"1800FLOWERS", "sales+eu", "(212)555-0100", "+1(876)555-0100", "5550100;phone-context=+1212"}
	hosts := []string{"example.com", "EXAMPLE.COM", "pbx.example.org", "example.net",
		"example.com.evil.net", "localhost", "xn--bcher-kva.example", "xn--pple-43d.com", "127.0.0.1"}
	params := []string{"", ";user=phone", ";user=ip", ";maddr=evil.net", ":5060"}
	frames := []func(string) string{
		func(u string) string { return u },
		func(u string) string { return "<" + u + ">" },
		func(u string) string { return `"Visitor \"x\"" <` + u + ">" },
	}
	p := testPolicy()
	allowed := map[Class]int{}
	for _, scheme := range []string{"sip:", "sips:"} {
		for _, user := range users {
			for _, host := range hosts {
				for _, param := range params {
					for _, frame := range frames {
						target := frame(scheme + user + "@" + host + param)
						var prev *Destination
						for _, class := range []Class{Anonymous, Unauthenticated, Authenticated} {
							d, err := p.Check(class, target)
							if prev != nil && (err != nil || d != *prev) {
								t.Fatalf("%q allowed below %v but not for it: %v %v", target, class, d, err)
							}
							if err != nil {
								if errors.Is(err, ErrDenied) == errors.Is(err, ErrMalformed) {
									t.Fatalf("%v %q: error %v in neither or both families", class, target, err)
								}
								continue
							}
							allowed[class]++
							prev = &d
							assertAllowedInvariant(t, p, class, target, d)
						}
					}
				}
			}
		}
	}
	for _, class := range []Class{Anonymous, Unauthenticated, Authenticated} {
		if allowed[class] == 0 {
			t.Errorf("no %v target allowed: the test exercises nothing", class)
		}
	}
	if !(allowed[Anonymous] < allowed[Unauthenticated] && allowed[Unauthenticated] < allowed[Authenticated]) {
		t.Errorf("classes not strictly nested: %v", allowed)
	}
}
