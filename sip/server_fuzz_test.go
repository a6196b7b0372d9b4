package sip

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
)

// FuzzServerFilterUDP feeds arbitrary datagrams to the stateless UDP path
// (parse, classify, register, policy) and checks it never panics and that
// whatever it answers serialises.
func FuzzServerFilterUDP(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(optionsMsg(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5062}, "seed")))
	f.Add([]byte(inviteMsg(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5062}, anonFrom, "sip:bob@example.com", 1)))

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer pc.Close()
	store := digest.NewMemoryStore(testDomain)
	store.AddPassword(testUser, testPassword)
	auth, err := digest.NewServer(digest.Config{Realm: testDomain, Credentials: store},
		[]byte("0123456789abcdef0123456789abcdef-fuzz-key"))
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Domain: testDomain, Auth: auth, Policy: &anon.Policy{Domains: []string{testDomain}},
		AllowUnauthenticated: true, Limits: Limits{PerSourceRate: -1}, Logger: srvTestLogger(f)}
	st, err := s.newState(pc, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer st.ua.Close()
	src := netip.MustParseAddrPort("192.0.2.1:5060")
	f.Fuzz(func(t *testing.T, data []byte) {
		res, _ := st.filterUDP(data, src)
		if res != nil {
			_ = res.String()
		}
	})
}
