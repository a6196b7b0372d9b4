package webrtc_test

import (
	"encoding/json"
	"testing"

	"github.com/webdial/webdial/webrtc"
)

// Backends send sipPort as a number or as a string (reference 002's sample
// uses strings); both must complete a proxy given without a port, and a
// port already in the proxy wins.
func TestHookResponseDecision(t *testing.T) {
	for _, tc := range []struct {
		json                         string
		callee, proxy, login, passwd string
	}{
		{`{"callee":"10002","sipDomain":"pbx.example","sipLogin":"10001","sipPassword":"pw"}`, "sip:10002@pbx.example", "", "10001", "pw"},
		{`{"callee":"sip:sales@pbx.example","sipOutboundProxy":"10.0.0.1","sipPort":5070}`, "sip:sales@pbx.example", "10.0.0.1:5070", "", ""},
		{`{"callee":"sip:sales@pbx.example","sipOutboundProxy":"10.0.0.1","sipPort":"5070"}`, "sip:sales@pbx.example", "10.0.0.1:5070", "", ""},
		{`{"callee":"sip:sales@pbx.example","sipOutboundProxy":"proxy:5080","sipPort":5060}`, "sip:sales@pbx.example", "proxy:5080", "", ""},
		{`{"callee":"sip:sales@pbx.example","sipOutboundProxy":"10.0.0.1","sipPort":null}`, "sip:sales@pbx.example", "10.0.0.1", "", ""},
		{`{"callee":" tel:+4420 ","sipLogin":"a","sipAuthenticationName":"b"}`, "tel:+4420", "", "b", ""},
	} {
		var r webrtc.HookResponse
		if err := json.Unmarshal([]byte(tc.json), &r); err != nil {
			t.Fatalf("%s: %v", tc.json, err)
		}
		d := r.Decision()
		if d.Callee != tc.callee || d.Proxy != tc.proxy || d.SIPLogin != tc.login || d.SIPPassword != tc.passwd {
			t.Errorf("%s: Decision() = %+v, want callee %q proxy %q login %q password %q",
				tc.json, d, tc.callee, tc.proxy, tc.login, tc.passwd)
		}
	}
	var r webrtc.HookResponse
	if err := json.Unmarshal([]byte(`{"sipPort":"not-a-port"}`), &r); err == nil {
		t.Errorf("sipPort %q accepted, want a JSON error (the hook then fails closed)", "not-a-port")
	}
}
