package hookwire_test

import (
	"fmt"

	"github.com/webdial/webdial/examples/internal/hookwire"
)

// A backend's answer as in reference 002: a bare callee in the SIP domain,
// reached through an outbound proxy.
func ExampleDecision() {
	d := hookwire.Decision{Callee: "10002", SIPDomain: "pbx.example", SIPOutboundProxy: "10.0.0.1", SIPPort: "5060",
		SIPLogin: "10001", SIPAuthenticationName: "10001-auth"}
	call := d.Decision()
	fmt.Println(call.Callee)
	fmt.Println(call.Proxy)
	fmt.Println(call.SIPLogin)
	// Output:
	// sip:10002@pbx.example
	// 10.0.0.1:5060
	// 10001-auth
}
