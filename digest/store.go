package digest

import (
	"context"
	"sync"
)

// Lookup is what a [CredentialStore] is asked for.
type Lookup struct {
	// Username is the name the client sent; if Userhash is true it is
	// H(username ":" realm) in lowercase hex (RFC 7616 §3.4.4) under
	// Algorithm, and the store must map it back to the user.
	Username  string
	Userhash  bool
	Realm     string
	Algorithm Algorithm
}

// Credential is a stored user credential.
type Credential struct {
	// Username is the real (not hashed) user name, handed to the
	// application after a successful verification.
	Username string
	// HA1 is H(username ":" realm ":" password) in lowercase hex under
	// the looked-up algorithm. See [HA1].
	HA1 string
}

// CredentialStore finds the HA1 of a user; the application implements it
// (a database, a config file), so no plaintext password has to be stored.
// LookupHA1 must return an error wrapping [ErrUnknownUser] for a user it
// does not know; any other error is passed through by Verify as an
// internal failure. It must be safe for concurrent use.
type CredentialStore interface {
	LookupHA1(ctx context.Context, q Lookup) (Credential, error)
}

// MemoryStore is an in-memory [CredentialStore] for one realm, for tests,
// examples and small deployments. It keeps only HA1 values, one per
// algorithm, indexed by name and by userhash.
type MemoryStore struct {
	realm string
	mu    sync.RWMutex
	// users is indexed by algorithm and by whether the name is a
	// userhash, so a lookup hashes only the name.
	users [numAlgorithms][2]map[string]Credential
}

var _ CredentialStore = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store for realm.
func NewMemoryStore(realm string) *MemoryStore {
	m := &MemoryStore{realm: realm}
	for a := range m.users {
		for h := range m.users[a] {
			m.users[a][h] = make(map[string]Credential)
		}
	}
	return m
}

// AddPassword stores username with HA1 values precomputed for every
// supported algorithm; the password itself is not kept.
func (m *MemoryStore) AddPassword(username, password string) {
	for _, alg := range []Algorithm{SHA512_256, SHA256, MD5} {
		m.AddHA1(username, alg, HA1(alg, username, m.realm, password))
	}
}

// AddHA1 stores a precomputed lowercase-hex HA1 of username for alg
// (computed, for example, with [HA1]). It panics on an unsupported alg.
func (m *MemoryStore) AddHA1(username string, alg Algorithm, ha1 string) {
	c := Credential{Username: username, HA1: ha1}
	uh := Userhash(alg, username, m.realm)
	a, _ := alg.index()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[a][0][username] = c
	m.users[a][1][uh] = c
}

// LookupHA1 implements [CredentialStore].
func (m *MemoryStore) LookupHA1(_ context.Context, q Lookup) (Credential, error) {
	a, ok := q.Algorithm.index()
	if !ok || q.Realm != m.realm {
		return Credential{}, ErrUnknownUser
	}
	h := 0
	if q.Userhash {
		h = 1
	}
	m.mu.RLock()
	c, ok := m.users[a][h][q.Username]
	m.mu.RUnlock()
	if !ok {
		return Credential{}, ErrUnknownUser
	}
	return c, nil
}
