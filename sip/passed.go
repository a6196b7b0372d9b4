package sip

import (
	"sync"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
)

// passGrace is how long the messages of a call still reach sipgo after the
// call ended or its INVITE was admitted without being handled: 64*T1, the
// longest an INVITE transaction retransmits or absorbs an ACK.
const passGrace = 32 * time.Second

// passEntry is an admitted INVITE's call.
type passEntry struct {
	branch  string
	adm     admission
	taken   bool      // adm was handed to the INVITE's handler
	live    bool      // a handler is bridging it
	expires time.Time // when !live, forget it after this
}

// passSet holds the Call-IDs whose messages the UDP read filter hands to
// sipgo. It is bounded by the call caps plus what arrives within passGrace.
type passSet struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*passEntry
}

func newPassSet(now func() time.Time) *passSet {
	return &passSet{now: now, entries: make(map[string]*passEntry)}
}

func (p *passSet) add(req *sipgosip.Request, adm admission) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entries[req.CallID().Value()] = &passEntry{branch: topBranch(req), adm: adm, expires: p.now().Add(passGrace)}
}

func (p *passSet) has(callID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.entries[callID]
	return ok
}

// admission returns the admission of exactly this INVITE (same Call-ID and
// top Via branch), so a later INVITE reusing the Call-ID is checked anew.
// It hands the admission out once; handled reports a copy of an INVITE
// whose admission was already handed out. Such a copy is a new server
// transaction for sipgo when it arrives after the first one ended (sipgo
// ends it on BYE) or names another Via sent-by (a replay); it must start
// no second call, nor inherit the first one's credentials.
func (p *passSet) admission(req *sipgosip.Request) (adm admission, ok, handled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, found := p.entries[req.CallID().Value()]
	if !found || e.branch != topBranch(req) {
		return admission{}, false, false
	}
	if e.taken {
		return admission{}, false, true
	}
	e.taken = true
	return e.adm, true, false
}

func (p *passSet) setLive(callID string, live bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[callID]; ok {
		e.live = live
		if !live {
			e.expires = p.now().Add(passGrace)
		}
	}
}

// sweep forgets calls that ended more than passGrace ago.
func (p *passSet) sweep() {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, e := range p.entries {
		if !e.live && now.After(e.expires) {
			delete(p.entries, id)
		}
	}
}

func (p *passSet) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}

func topBranch(req *sipgosip.Request) string {
	if v := req.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		return b
	}
	return ""
}
