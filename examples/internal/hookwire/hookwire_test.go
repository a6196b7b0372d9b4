package hookwire

import "testing"

func TestCalleeURIAndProxy(t *testing.T) {
	for _, tc := range []struct {
		c          Call
		uri, proxy string
		authUser   string
	}{
		{Call{Callee: "sip:demo@127.0.0.1:5090"}, "sip:demo@127.0.0.1:5090", "", ""},
		{Call{Callee: "10002", SIPDomain: "pbx.example", SIPLogin: "10001"}, "sip:10002@pbx.example", "", "10001"},
		{Call{Callee: "10002", SIPDomain: "pbx.example", SIPPort: "5070"}, "sip:10002@pbx.example:5070", "", ""},
		{Call{Callee: "10002", SIPDomain: "pbx.example", SIPPort: "5070", SIPOutboundProxy: "10.0.0.1"}, "sip:10002@pbx.example", "10.0.0.1:5070", ""},
		{Call{Callee: "10002", SIPOutboundProxy: "proxy.example", SIPLogin: "a", SIPAuthenticationName: "b"}, "", "proxy.example:5060", "b"},
		{Call{Callee: "10002", SIPOutboundProxy: "proxy.example:5080"}, "", "proxy.example:5080", ""},
		{Call{}, "", "", ""},
	} {
		if got := tc.c.CalleeURI(); got != tc.uri {
			t.Errorf("%+v CalleeURI = %q, want %q", tc.c, got, tc.uri)
		}
		if got := tc.c.Proxy(); got != tc.proxy {
			t.Errorf("%+v Proxy = %q, want %q", tc.c, got, tc.proxy)
		}
		if got := tc.c.AuthUser(); got != tc.authUser {
			t.Errorf("%+v AuthUser = %q, want %q", tc.c, got, tc.authUser)
		}
	}
}
