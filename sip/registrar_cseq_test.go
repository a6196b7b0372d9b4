package sip

import (
	"testing"
	"time"
)

// TestRegistrarOlderCSeqDoesNotOverwrite: RFC 3261 §10.3 step 7 (which
// Binding documents): a REGISTER with the Call-ID of an existing binding
// and a CSeq not higher than the one that last refreshed it is out of
// order (delayed on the way) and must not change the binding.
func TestRegistrarOlderCSeqDoesNotOverwrite(t *testing.T) {
	ts := startServer(t, nil)
	r := newRegClient(t, ts, testUser, testPassword)
	const contact = "Contact: <sip:alice@192.0.2.1:5060>"
	wantStatus(t, r.send(testUser, contact, "Expires: 600"), "200")  // CSeq 2
	wantStatus(t, r.send(testUser, contact, "Expires: 1800"), "200") // CSeq 4
	r.cseq = 1                                                       // the next ones carry CSeq 2 and 3
	res := r.send(testUser, contact, "Expires: 60")
	bs := ts.bindings(t, testUser)
	if len(bs) != 1 || time.Until(bs[0].Expires) < 1000*time.Second || bs[0].CSeq != 4 {
		t.Fatalf("out-of-order REGISTER (CSeq 3 after 4) changed the binding to %+v; answer:\n%s", bs, res)
	}
	wantStatus(t, res, "400")
}
