package sip

import (
	"context"
	"strings"
	"testing"
)

// FuzzDialerChallengeParam: the challenge parser never panics and only
// returns values that were inside the input.
func FuzzDialerChallengeParam(f *testing.F) {
	for _, s := range []string{
		`Digest realm="a", nonce="b", qop="auth,auth-int", stale=true`,
		`Digest realm="a\"b", nonce=x`, `Digest realm="`, `Digest ,,, realm=`, "Digest \t realm = x",
	} {
		f.Add(s, "realm")
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		got, ok := challengeParam(v, name)
		if ok && len(got) > len(v) {
			t.Fatalf("value %q longer than input %q", got, v)
		}
	})
}

// FuzzDialerNewInvite: whatever Target, From and Proxy a caller passes,
// building the INVITE never panics, and an accepted request has exactly
// the header lines the dialer wrote (no injected headers).
func FuzzDialerNewInvite(f *testing.F) {
	d, err := NewDialer(context.Background(), DialerConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.Close() })
	f.Add("sip:bob@127.0.0.1:5090;transport=udp", `"V" <sip:anonymous.x@anonymous.invalid>`, "127.0.0.1:5060")
	f.Add("sip:bob@h", "sip:a@b", "sip:proxy.example;lr")
	f.Add("sip:bob@h\r\nX-Evil: 1", "<sip:a@b>;tag=1\r\nX-Evil: 1", "h:1\r\nX-Evil: 1")
	f.Add("sip:[::1]:5060", `"a\"b" <sip:a@[::1]>`, "[::1]:5060")
	f.Fuzz(func(t *testing.T, target, from, proxy string) {
		inv, err := d.newInvite(DialRequest{Target: target, From: from, Proxy: proxy, SDP: dialerOffer})
		if err != nil {
			return
		}
		msg := inv.req.String()
		head, _, _ := strings.Cut(msg, "\r\n\r\n")
		for _, line := range strings.Split(head, "\r\n")[1:] {
			name, _, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("header line without colon %q in\n%s", line, msg)
			}
			switch strings.TrimSpace(name) {
			case "Route", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact",
				"Content-Type", "Allow", "User-Agent", "Content-Length":
			default:
				t.Fatalf("unexpected header %q in\n%s", name, msg)
			}
		}
	})
}
