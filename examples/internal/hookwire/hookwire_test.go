package hookwire

import "testing"

func TestDecisionHelpers(t *testing.T) {
	for _, tc := range []struct {
		d                    Decision
		uri, proxy, authUser string
	}{
		{Decision{Callee: "sip:demo@localhost"}, "sip:demo@localhost", "", ""},
		{Decision{Callee: "10002", SIPDomain: "pbx.example", SIPLogin: "10001"}, "sip:10002@pbx.example", "", "10001"},
		{Decision{Callee: "10002", SIPDomain: "pbx.example", SIPPort: "5070", SIPOutboundProxy: "10.0.0.1"}, "sip:10002@pbx.example", "10.0.0.1:5070", ""},
		{Decision{Callee: "10002", SIPOutboundProxy: "proxy.example", SIPLogin: "a", SIPAuthenticationName: "b"}, "", "proxy.example", "b"},
		{Decision{Callee: "10002", SIPOutboundProxy: "proxy.example:5080", SIPPort: "5060"}, "", "proxy.example:5080", ""},
		{Decision{Callee: "tel:+4420"}, "tel:+4420", "", ""},
		{Decision{}, "", "", ""},
	} {
		if got := tc.d.CalleeURI(); got != tc.uri {
			t.Errorf("%+v CalleeURI = %q, want %q", tc.d, got, tc.uri)
		}
		if got := tc.d.Proxy(); got != tc.proxy {
			t.Errorf("%+v Proxy = %q, want %q", tc.d, got, tc.proxy)
		}
		if got := tc.d.AuthUser(); got != tc.authUser {
			t.Errorf("%+v AuthUser = %q, want %q", tc.d, got, tc.authUser)
		}
	}
}
