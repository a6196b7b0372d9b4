package sip

import (
	"errors"
	"fmt"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/digest"
)

// authorizeFunc computes one Authorization/Proxy-Authorization value
// from the challenges of one realm; digest.Client.Authorize in practice.
type authorizeFunc func(challenges []string, method, uri string, body []byte) (string, error)

// credential is one authorization header line of the next INVITE.
type credential struct {
	header string // "Authorization" or "Proxy-Authorization"
	realm  string
	value  string
	// challenges are the challenge lines value answers; a credential
	// carried into a later INVITE is computed from them again.
	challenges []string
}

// authState remembers, for one call, which realms were answered: a
// realm that challenges again after being answered (other than a
// stale=true nonce refresh, allowed once) means wrong credentials.
type authState struct {
	authorize authorizeFunc
	answered  map[string]int // header+realm -> answers sent
	stale     map[string]bool
	creds     []credential
}

func newAuthState(username, password, realm string) *authState {
	c := &digest.Client{Username: username, Password: password, Realm: realm}
	return &authState{
		authorize: c.Authorize,
		answered:  make(map[string]int),
		stale:     make(map[string]bool),
	}
}

var (
	errNoCredentials     = errors.New("no credentials configured")
	errTooManyChallenges = errors.New("too many challenges")
)

// answerChallenge answers the challenges of a 401 (WWW-Authenticate ->
// Authorization) or 407 (Proxy-Authenticate -> Proxy-Authorization), the
// header chosen by status code, one credential per realm. It returns the
// full set of credential lines for the next INVITE.
func (inv *invite) answerChallenge(res *sipmsg.Response) ([]credential, error) {
	if inv.auth == nil {
		return nil, errNoCredentials
	}
	chalHeader, credHeader := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		chalHeader, credHeader = "Proxy-Authenticate", "Proxy-Authorization"
	}
	byRealm := map[string][]string{}
	var realms []string
	for _, h := range res.GetHeaders(chalHeader) {
		v := h.Value()
		realm, ok := challengeParam(v, "realm")
		if !ok || !strings.EqualFold(firstToken(v), "digest") {
			continue
		}
		if _, seen := byRealm[realm]; !seen {
			realms = append(realms, realm)
		}
		byRealm[realm] = append(byRealm[realm], v)
	}
	if len(realms) == 0 {
		return nil, fmt.Errorf("no Digest challenge in %s", chalHeader)
	}
	a := inv.auth
	uri := inv.req.Recipient.String() // exactly the Request-URI sent
	answeredAny := false
	answeredNow := make(map[string]bool, len(realms))
	for _, realm := range realms {
		key := credHeader + "\x00" + realm
		stale := false
		for _, v := range byRealm[realm] {
			if s, _ := challengeParam(v, "stale"); strings.EqualFold(s, "true") {
				stale = true
			}
		}
		if a.answered[key] > 0 {
			if !stale || a.stale[key] {
				return nil, fmt.Errorf("realm %q refused the credentials", realm)
			}
			a.stale[key] = true
		}
		val, err := a.authorize(byRealm[realm], string(sipmsg.INVITE), uri, inv.sdp)
		if err != nil {
			continue // not our realm or no usable algorithm
		}
		a.answered[key]++
		answeredAny = true
		answeredNow[key] = true
		a.setCredential(credential{header: credHeader, realm: realm, value: val, challenges: byRealm[realm]})
	}
	if !answeredAny {
		return nil, fmt.Errorf("no answerable challenge in %s", chalHeader)
	}
	// Credentials answering an earlier response (a proxy's 407 before the
	// callee's 401) go into the next INVITE too, each with the next nonce
	// count: sending the same count again is a replay (RFC 7616 §3.4) that
	// a server tracking counts refuses.
	for i := range a.creds {
		c := &a.creds[i]
		if answeredNow[c.header+"\x00"+c.realm] {
			continue
		}
		if val, err := a.authorize(c.challenges, string(sipmsg.INVITE), uri, inv.sdp); err == nil {
			c.value = val
		}
	}
	return a.creds, nil
}

func (a *authState) setCredential(c credential) {
	for i := range a.creds {
		if a.creds[i].header == c.header && a.creds[i].realm == c.realm {
			a.creds[i] = c
			return
		}
	}
	a.creds = append(a.creds, c)
}

func firstToken(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		return v[:i]
	}
	return v
}

// challengeParam extracts one auth-param (quoted or token) from a
// challenge line; enough to group challenges by realm and spot stale.
func challengeParam(v, name string) (string, bool) {
	v = strings.TrimSpace(v)
	i := strings.IndexAny(v, " \t")
	if i < 0 {
		return "", false
	}
	rest := v[i:]
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return "", false
		}
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return "", false
		}
		key := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			j := 1
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' && j+1 < len(rest) {
					j++
				}
				b.WriteByte(rest[j])
			}
			if j >= len(rest) {
				return "", false // unterminated quoted-string
			}
			val, rest = b.String(), rest[j+1:]
		} else {
			j := strings.IndexAny(rest, ", \t")
			if j < 0 {
				j = len(rest)
			}
			val, rest = rest[:j], rest[j:]
		}
		if strings.EqualFold(key, name) {
			return val, true
		}
	}
}
