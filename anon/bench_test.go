package anon

import "testing"

func BenchmarkCheck(b *testing.B) {
	p := testPolicy()
	cases := []struct {
		name   string
		class  Class
		target string
	}{
		{"anon-user", Anonymous, "sip:sales@example.com"},
		{"anon-name-addr", Anonymous, `"Sales" <sip:sales@example.com>`},
		{"anon-upper-host", Anonymous, "sip:sales@EXAMPLE.COM"},
		{"anon-deny-foreign", Anonymous, "sip:sales@example.com.evil.net"},
		{"anon-deny-pstn", Anonymous, "sip:+1-900-555-0100@example.com"},
		{"unauth-foreign", Unauthenticated, "sip:bob@sip.partner.example.net"},
		{"auth-tel", Authenticated, "tel:+12125550100"},
		{"auth-tel-separators", Authenticated, "tel:+1-212-555-0100"},
		{"auth-sip-011", Authenticated, "sip:011-44-20-7946-0000@example.com;user=phone"},
		{"auth-deny-premium", Authenticated, "tel:+1-876-555-0100"},
		{"malformed-escape", Anonymous, "sip:sal%65s@example.com"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = p.Check(bc.class, bc.target)
			}
		})
	}
}

func BenchmarkNewIdentity(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewIdentity("Visitor"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsAnonymous(b *testing.B) {
	id, _ := NewIdentity("Visitor")
	s := id.String()
	b.ReportAllocs()
	for b.Loop() {
		if !IsAnonymous(s) {
			b.Fatal("not anonymous")
		}
	}
}
