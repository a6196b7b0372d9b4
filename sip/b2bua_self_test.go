package sip

import (
	"net/netip"
	"testing"
)

// TestIsSelfIPv6: a target naming this server's (or its dialer's) own
// IPv6 socket would loop exactly like an IPv4 one. sipgo keeps the
// brackets of an IPv6 reference in Uri.Host ("[::1]"), which is not an
// address to netip, so such a target was taken for a host name and
// bridged back to the server.
func TestIsSelfIPv6(t *testing.T) {
	st := &state{ownAddrs: []netip.AddrPort{
		netip.MustParseAddrPort("[::1]:5070"),
		netip.MustParseAddrPort("127.0.0.1:5080"),
		netip.MustParseAddrPort("[::]:5090"),
	}}
	for target, want := range map[string]bool{
		"sip:bob@[::1]:5070":              true,
		"sip:bob@[::1]:5071":              false,
		"sip:bob@[2001:db8::1]:5090":      true, // unspecified own address, same port
		"sip:bob@127.0.0.1:5080":          true,
		"sip:bob@127.0.0.2:5080":          false,
		"sip:bob@example.com:5070":        false,
		"sip:bob@[::ffff:127.0.0.1]:5080": true,
	} {
		if got := st.isSelf(target); got != want {
			t.Errorf("isSelf(%q) = %v, want %v", target, got, want)
		}
	}
}
