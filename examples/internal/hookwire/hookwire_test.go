package hookwire

import "testing"

// The backend's configured answer must mean, to the gateway, what the
// operator configured: these are the values resthook's flags produce.
func TestDecisionAsTheGatewayReadsIt(t *testing.T) {
	for _, tc := range []struct {
		d                    Decision
		uri, proxy, authUser string
	}{
		{Decision{Callee: "sip:demo@localhost"}, "sip:demo@localhost", "", ""},
		{Decision{Callee: "10002", SIPDomain: "pbx.example", SIPLogin: "10001"}, "sip:10002@pbx.example", "", "10001"},
		{Decision{Callee: "10002", SIPDomain: "pbx.example", SIPPort: "5070", SIPOutboundProxy: "10.0.0.1"}, "sip:10002@pbx.example", "10.0.0.1:5070", ""},
		{Decision{Callee: "10002", SIPOutboundProxy: "proxy.example", SIPLogin: "a", SIPAuthenticationName: "b"}, "10002", "proxy.example", "b"},
		{Decision{Callee: "10002", SIPOutboundProxy: "proxy.example:5080", SIPPort: "5060"}, "10002", "proxy.example:5080", ""},
		{Decision{Callee: "tel:+4420"}, "tel:+4420", "", ""},
		{Decision{}, "", "", ""},
	} {
		got := tc.d.Decision()
		if got.Callee != tc.uri || got.Proxy != tc.proxy || got.SIPLogin != tc.authUser {
			t.Errorf("%+v.Decision() = callee %q proxy %q login %q, want %q %q %q",
				tc.d, got.Callee, got.Proxy, got.SIPLogin, tc.uri, tc.proxy, tc.authUser)
		}
	}
}
