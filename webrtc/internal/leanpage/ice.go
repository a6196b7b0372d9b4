package leanpage

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"

	"github.com/pion/stun/v4"
)

// hostPriority is RFC 8445 §5.1.2.1's priority of a host candidate
// (type preference 126, local preference 65535, component 1); a check
// carries the priority of a peer-reflexive candidate (type preference 110).
const (
	hostPriority  = 2130706431
	prflxPriority = 110<<24 | 65535<<8 | 255
)

// maxPending bounds the checks whose response is still awaited (one is
// sent every 50 ms while connecting, one every few seconds after).
const maxPending = 8

// iceAgent is the page's full ICE agent, controlling (the offerer): it
// sends checks with USE-CANDIDATE to the one remote candidate (aggressive
// nomination) and answers the gateway's own checks (the pion engine is a
// full agent and sends them; the lite engine does not).
type iceAgent struct {
	localUfrag  string
	checkUser   []byte // "remoteufrag:localufrag", the USERNAME of our checks
	localPrefix []byte // "localufrag:", how the gateway's checks start
	local       stun.MessageIntegrity
	remote      stun.MessageIntegrity
	tieBreaker  uint64

	mu      sync.Mutex
	pending [][stun.TransactionIDSize]byte // our checks not yet answered

	// reader goroutine only
	req, resp stun.Message
	mapped    stun.XORMappedAddress
}

func newICEAgent(localUfrag, localPwd, remoteUfrag, remotePwd string) *iceAgent {
	tb := make([]byte, 8)
	randomBytes(tb)
	return &iceAgent{
		localUfrag:  localUfrag,
		checkUser:   []byte(remoteUfrag + ":" + localUfrag),
		localPrefix: []byte(localUfrag + ":"),
		local:       stun.NewShortTermIntegrity(localPwd),
		remote:      stun.NewShortTermIntegrity(remotePwd),
		tieBreaker:  binary.BigEndian.Uint64(tb),
		mapped:      stun.XORMappedAddress{IP: make(net.IP, 16)},
	}
}

// check builds a connectivity check (RFC 8445 §7.2.2) and remembers its
// transaction ID. nominate adds USE-CANDIDATE.
func (a *iceAgent) check(nominate bool) ([]byte, error) {
	m := new(stun.Message)
	var prio, ctl [8]byte
	binary.BigEndian.PutUint32(prio[:], prflxPriority)
	binary.BigEndian.PutUint64(ctl[:], a.tieBreaker)
	setters := []stun.Setter{
		stun.TransactionID, stun.BindingRequest,
		stun.NewUsername(string(a.checkUser)),
		rawAttr{stun.AttrPriority, prio[:4]},
		rawAttr{stun.AttrICEControlling, ctl[:]},
	}
	if nominate {
		setters = append(setters, rawAttr{stun.AttrUseCandidate, nil})
	}
	setters = append(setters, a.remote, stun.Fingerprint)
	if err := m.Build(setters...); err != nil {
		return nil, err
	}
	a.mu.Lock()
	if len(a.pending) == maxPending {
		a.pending = a.pending[1:]
	}
	a.pending = append(a.pending, m.TransactionID)
	a.mu.Unlock()
	return m.Raw, nil
}

// rawAttr is a STUN attribute given as its value bytes.
type rawAttr struct {
	t stun.AttrType
	v []byte
}

func (r rawAttr) AddTo(m *stun.Message) error { m.Add(r.t, r.v); return nil }

// onSTUN handles one STUN datagram on the reader goroutine. It returns a
// response to send back (a valid check from the gateway), or success when
// the datagram is an authenticated success response to one of our checks.
func (a *iceAgent) onSTUN(pkt []byte, from netip.AddrPort) (reply []byte, success bool) {
	a.req.Raw = append(a.req.Raw[:0], pkt...)
	if a.req.Decode() != nil || stun.Fingerprint.Check(&a.req) != nil {
		return nil, false
	}
	switch a.req.Type {
	case stun.BindingSuccess:
		if a.remote.Check(&a.req) != nil || !a.takePending(a.req.TransactionID) {
			return nil, false
		}
		return nil, true
	case stun.BindingRequest:
		user, err := a.req.Get(stun.AttrUsername)
		if err != nil || !bytes.HasPrefix(user, a.localPrefix) || a.local.Check(&a.req) != nil {
			return nil, false
		}
		return a.respond(from), false
	}
	return nil, false
}

func (a *iceAgent) takePending(id [stun.TransactionIDSize]byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, p := range a.pending {
		if p == id {
			a.pending = append(a.pending[:i], a.pending[i+1:]...)
			return true
		}
	}
	return false
}

// respond builds the success response to the check in a.req.
func (a *iceAgent) respond(from netip.AddrPort) []byte {
	ip := from.Addr().Unmap()
	if ip.Is4() {
		b := ip.As4()
		a.mapped.IP = append(a.mapped.IP[:0], b[:]...)
	} else {
		b := ip.As16()
		a.mapped.IP = append(a.mapped.IP[:0], b[:]...)
	}
	a.mapped.Port = int(from.Port())
	a.resp.Reset()
	if err := a.resp.Build(stun.NewTransactionIDSetter(a.req.TransactionID), stun.BindingSuccess,
		&a.mapped, a.local, stun.Fingerprint); err != nil {
		return nil
	}
	return a.resp.Raw
}
