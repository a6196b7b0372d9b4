package digest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"testing"
	"time"
	"unsafe"

	icholy "github.com/icholy/digest"
)

var benchAlgs = []Algorithm{MD5, SHA256, SHA512_256}

// credBatch returns n REGISTER credentials for one nonce with counts
// first, first+1, ... computed with our own response function.
func credBatch(b *testing.B, h *harness, ch string, alg Algorithm, first, n int) []string {
	p, err := icholy.ParseChallenge(ch)
	if err != nil {
		b.Fatal(err)
	}
	ha1 := HA1(alg, "alice", sipRealm, "s3cr3t!")
	out := make([]string, n)
	for i := range out {
		nc := fmt.Sprintf("%08x", first+i)
		buf, off := appendResponse(nil, alg, ha1, "REGISTER", "sip:example.com", nil, false, p.Nonce, nc, "0a4f113b", "auth")
		out[i] = fmt.Sprintf(`Digest username="alice", realm="example.com", nonce="%s", uri="sip:example.com", algorithm=%s, cnonce="0a4f113b", opaque="%s", qop=auth, nc=%s, response="%s"`,
			p.Nonce, alg, p.Opaque, nc, buf[off:])
	}
	return out
}

// BenchmarkVerify measures a successful Verify: parse, nonce HMAC, store
// lookup, HA2 and response hashes, constant-time compare, replay cache,
// on a header that is hot in the CPU cache, as it is in a server that has
// just read it from a packet and parsed the message around it (and as the
// inputs of BenchmarkBareHashes are). Each request needs its own nonce
// count and response, so one header buffer is patched in place before
// every call, as a socket read would fill it; the 72-byte patch is timed
// with Verify. Every 1024 requests answer a fresh nonce.
func BenchmarkVerify(b *testing.B) {
	benchVerify(b, func(b *testing.B, h *harness, alg Algorithm) func(i int) string {
		const batch = 1 << 10
		var hdr []byte
		var ncOff, respOff int
		pairs := make([]byte, 0, batch*(8+64)) // nc then response, per request
		ha1 := HA1(alg, "alice", sipRealm, "s3cr3t!")
		var scratch []byte
		// newBatch allocates only the template, so the garbage collector
		// stays out of the measurement.
		newBatch := func() {
			hdr = []byte(credBatch(b, h, h.srv.Challenges(false, netip.Addr{})[0], alg, 1, 1)[0])
			ncOff = bytes.Index(hdr, []byte("nc=")) + len("nc=")
			respOff = bytes.Index(hdr, []byte(`response="`)) + len(`response="`)
			nonceOff := bytes.Index(hdr, []byte(`nonce="`)) + len(`nonce="`)
			nonce := string(hdr[nonceOff : nonceOff+nonceLen])
			pairs = pairs[:0]
			for n := 1; n <= batch; n++ {
				pairs = fmt.Appendf(pairs, "%08x", n)
				var off int
				scratch, off = appendResponse(scratch[:0], alg, ha1, "REGISTER", "sip:example.com", nil, false, nonce, string(pairs[len(pairs)-8:]), "0a4f113b", "auth")
				pairs = append(pairs, scratch[off:]...)
			}
		}
		newBatch()
		return func(i int) string {
			if i > 0 && i%batch == 0 {
				newBatch()
			}
			p := pairs[(i%batch)*(8+alg.hexLen()):]
			copy(hdr[ncOff:ncOff+8], p[:8])
			copy(hdr[respOff:respOff+alg.hexLen()], p[8:])
			// Verify keeps no part of the header, so the buffer may be
			// reused for the next request.
			return unsafe.String(&hdr[0], len(hdr))
		}
	})
}

// BenchmarkVerifyDistinctHeaders is BenchmarkVerify with every request
// in its own string, 1024 of them (about 380 KB) per nonce: the header
// is in L2 rather than L1 when Verify starts, which costs ~100-200 ns.
func BenchmarkVerifyDistinctHeaders(b *testing.B) {
	benchVerify(b, func(b *testing.B, h *harness, alg Algorithm) func(i int) string {
		const batch = 1 << 10
		creds := credBatch(b, h, h.srv.Challenges(false, netip.Addr{})[0], alg, 1, batch)
		return func(i int) string {
			if i > 0 && i%batch == 0 {
				creds = credBatch(b, h, h.srv.Challenges(false, netip.Addr{})[0], alg, 1, batch)
			}
			return creds[i%batch]
		}
	})
}

// benchVerify runs Verify for each algorithm on the headers next returns.
// next(i) is called with the timer running only when i%1024 != 0; batch
// preparation at multiples of 1024 runs with the timer and the thread CPU
// count stopped.
func benchVerify(b *testing.B, source func(b *testing.B, h *harness, alg Algorithm) func(i int) string) {
	for _, alg := range benchAlgs {
		b.Run(string(alg), func(b *testing.B) {
			h := newHarness(b, Config{Algorithms: []Algorithm{alg}}, sipRealm)
			h.store.AddPassword("alice", "s3cr3t!")
			next := source(b, h, alg)
			ctx := b.Context()
			defer lockThread()()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			start := threadCPU()
			for i := 0; i < b.N; i++ {
				var auth string
				if i > 0 && i%1024 == 0 {
					// Thread CPU is read inside the timer stop, so the
					// memory statistics StopTimer gathers are not counted.
					cpu += threadCPU() - start
					b.StopTimer()
					auth = next(i)
					b.StartTimer()
					start = threadCPU()
				} else {
					auth = next(i)
				}
				if _, err := h.srv.Verify(ctx, Request{Method: "REGISTER", URI: "sip:example.com", Authorization: auth}); err != nil {
					b.Fatal(err)
				}
			}
			cpu += threadCPU() - start
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkBareHashes is the floor Verify is compared with: only the
// hash calls it cannot avoid (nonce HMAC-SHA256 with a reused MAC, HA2,
// response), on prepared inputs.
func BenchmarkBareHashes(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(string(alg), func(b *testing.B) {
			mac := hmac.New(sha256.New, testKey)
			macIn := make([]byte, len(macLabel)+nonceTagOffset+len(sipRealm))
			ha1 := HA1(alg, "alice", sipRealm, "s3cr3t!")
			nonce := "AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi-RuVzAV_LpGxyCInlow"
			a2 := []byte("REGISTER:sip:example.com")
			buf := make([]byte, 0, 512)
			var tag [32]byte
			defer lockThread()()
			b.ReportAllocs()
			b.ResetTimer()
			start := threadCPU()
			for i := 0; i < b.N; i++ {
				mac.Reset()
				mac.Write(macIn)
				mac.Sum(tag[:0])
				buf = alg.appendHexSum(buf[:0], a2)
				ha2 := len(buf)
				buf = append(buf, ha1...)
				buf = append(buf, ':')
				buf = append(buf, nonce...)
				buf = append(buf, ":00000001:0a4f113b:auth:"...)
				buf = append(buf, buf[:ha2]...)
				buf = alg.appendHexSum(buf, buf[ha2:])
			}
			b.ReportMetric(float64((threadCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

const benchCred = `Digest username="alice", realm="example.com", nonce="AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi-RuVzAV_LpGxyCInlow", uri="sip:example.com", algorithm=SHA-256, cnonce="0a4f113b", opaque="cbe55f618ffee3c6bc533766", qop=auth, nc=00000001, response="0339291fb628b89939a89e7299065796582db27b75f12eced309d9a315989673"`

func BenchmarkParseCredentials(b *testing.B) {
	b.Run("webdial", func(b *testing.B) {
		var c credentials
		defer lockThread()()
		b.ReportAllocs()
		b.ResetTimer()
		start := threadCPU()
		for i := 0; i < b.N; i++ {
			if err := parseCredentials(benchCred, &c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((threadCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
	b.Run("icholy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := icholy.ParseCredentials(benchCred); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkChallenges(b *testing.B) {
	h := newHarness(b, Config{}, sipRealm)
	b.ReportAllocs()
	for b.Loop() {
		h.srv.Challenges(false, netip.Addr{})
	}
}

// BenchmarkVerifyParts times Verify's steps other than parsing
// (BenchmarkParseCredentials) one by one, hot in the cache, to show where
// Verify's time beyond the bare hashes goes.
func BenchmarkVerifyParts(b *testing.B) {
	h := newHarness(b, Config{Algorithms: []Algorithm{SHA256}}, sipRealm)
	h.store.AddPassword("alice", "s3cr3t!")
	var c credentials
	if err := parseCredentials(credBatch(b, h, h.srv.Challenges(false, netip.Addr{})[0], SHA256, 1, 1)[0], &c); err != nil {
		b.Fatal(err)
	}
	now := h.srv.now()
	b.Run("nonce-check", func(b *testing.B) { // decode + HMAC-SHA256 + compare
		sc := h.srv.getScratch()
		for b.Loop() {
			if _, _, err := h.srv.checkNonce(sc, c.nonce, netip.Addr{}, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory-store", func(b *testing.B) {
		q := Lookup{Username: c.username, Realm: c.realm, Algorithm: SHA256}
		for b.Loop() {
			if _, err := h.store.LookupHA1(b.Context(), q); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replay-cache", func(b *testing.B) {
		var id NonceID
		nc, exp := uint32(0), now.Add(time.Minute)
		for b.Loop() {
			if nc++; nc == 0 {
				id[0]++
			}
			if _, err := h.srv.replay.Use(b.Context(), id, nc, exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("response-hashes", func(b *testing.B) { // HA2 + response, hex
		sc := h.srv.getScratch()
		ha1 := HA1(SHA256, "alice", sipRealm, "s3cr3t!")
		for b.Loop() {
			sc.buf, _ = appendResponse(sc.buf[:0], SHA256, ha1, "REGISTER", c.uri, nil, false, c.nonce, c.nc, c.cnonce, c.qop)
		}
	})
}

func BenchmarkDecodeNonce(b *testing.B) {
	var raw [nonceRawLen]byte
	for b.Loop() {
		if !decodeNonce(&raw, "AUIAAAAAawk4gD7iMljFzxpqoVt3nqLi-RuVzAV_LpGxyCInlow") {
			b.Fatal("rejected")
		}
	}
}
