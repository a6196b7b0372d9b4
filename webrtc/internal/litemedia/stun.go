package litemedia

import (
	"bytes"
	"net"
	"net/netip"

	"github.com/pion/stun/v4"
)

// iceLite answers the page's connectivity checks. It is used only by the
// reader goroutine, so its messages are reused without locking.
type iceLite struct {
	username  []byte // "ourufrag:theirufrag", what the page must send
	integrity stun.MessageIntegrity
	req, resp stun.Message
	mapped    stun.XORMappedAddress
}

func newICELite(localUfrag, remoteUfrag, localPwd string) *iceLite {
	return &iceLite{
		username:  []byte(localUfrag + ":" + remoteUfrag),
		integrity: stun.NewShortTermIntegrity(localPwd),
		mapped:    stun.XORMappedAddress{IP: make(net.IP, 16)},
	}
}

// check validates a Binding request (RFC 8445 §7.3: USERNAME,
// MESSAGE-INTEGRITY with our password, FINGERPRINT) and, if it is valid,
// builds the success response in ic.resp. useCandidate reports the
// USE-CANDIDATE flag of the controlling page.
func (ic *iceLite) check(pkt []byte, from netip.AddrPort) (ok, useCandidate bool) {
	ic.req.Raw = append(ic.req.Raw[:0], pkt...)
	if ic.req.Decode() != nil || ic.req.Type != stun.BindingRequest {
		return false, false
	}
	user, err := ic.req.Get(stun.AttrUsername)
	if err != nil || !bytes.Equal(user, ic.username) {
		return false, false
	}
	if stun.Fingerprint.Check(&ic.req) != nil || ic.integrity.Check(&ic.req) != nil {
		return false, false
	}
	useCandidate = ic.req.Contains(stun.AttrUseCandidate)

	ip := from.Addr().Unmap()
	if ip.Is4() {
		ic.mapped.IP = ic.mapped.IP[:4]
		a := ip.As4()
		copy(ic.mapped.IP, a[:])
	} else {
		ic.mapped.IP = ic.mapped.IP[:16]
		a := ip.As16()
		copy(ic.mapped.IP, a[:])
	}
	ic.mapped.Port = int(from.Port())
	ic.resp.Reset()
	if err := ic.resp.Build(
		stun.NewTransactionIDSetter(ic.req.TransactionID),
		stun.BindingSuccess,
		&ic.mapped,
		ic.integrity,
		stun.Fingerprint,
	); err != nil {
		return false, false
	}
	return true, useCandidate
}

// usernameString is the USERNAME a valid check carries.
func (ic *iceLite) usernameString() string { return string(ic.username) }
