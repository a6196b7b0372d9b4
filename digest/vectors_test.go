package digest

import (
	"crypto/sha512"
	"encoding/hex"
	"testing"
)

// Vectors from RFC 2617 §3.5 (https://www.rfc-editor.org/rfc/rfc2617#section-3.5),
// RFC 7616 §3.9.1/§3.9.2 (https://www.rfc-editor.org/rfc/rfc7616#section-3.9;
// §3.9.2 with the corrected SHA-512/256 values of erratum 4897) and the SIP
// REGISTER/INVITE cases of /work/shared/reference/digest-facts.md §4, all
// recomputed there with python hashlib and icholy/digest.
type vector struct {
	name                   string
	alg                    Algorithm
	user, realm, pass      string
	method, uri            string
	body                   []byte
	authInt                bool
	nonce, nc, cnonce, qop string
	ha1, response          string
}

const (
	sipNonce  = "4a6f8c2e1b3d5f7091a2b3c4d5e6f708"
	rfc7616N  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
	rfc7616CN = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
)

var vectors = []vector{
	{name: "RFC2617 3.5", alg: MD5, user: "Mufasa", realm: "testrealm@host.com", pass: "Circle Of Life",
		method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", nc: "00000001", cnonce: "0a4f113b", qop: "auth",
		ha1: "939e7578ed9e3c518a452acee763bce9", response: "6629fae49393a05397450978507c4ef1"},
	{name: "RFC2617 3.5 no qop", alg: MD5, user: "Mufasa", realm: "testrealm@host.com", pass: "Circle Of Life",
		method: "GET", uri: "/dir/index.html", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		ha1: "939e7578ed9e3c518a452acee763bce9", response: "670fd8c2df070c60b045671b8b24ff02"},
	{name: "RFC7616 3.9.1 MD5", alg: MD5, user: "Mufasa", realm: "http-auth@example.org", pass: "Circle of Life",
		method: "GET", uri: "/dir/index.html", nonce: rfc7616N, nc: "00000001", cnonce: rfc7616CN, qop: "auth",
		ha1: "3d78807defe7de2157e2b0b6573a855f", response: "8ca523f5e9506fed4657c9700eebdbec"},
	{name: "RFC7616 3.9.1 SHA-256", alg: SHA256, user: "Mufasa", realm: "http-auth@example.org", pass: "Circle of Life",
		method: "GET", uri: "/dir/index.html", nonce: rfc7616N, nc: "00000001", cnonce: rfc7616CN, qop: "auth",
		ha1:      "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
		response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	{name: "RFC7616 3.9.2 SHA-512-256 corrected", alg: SHA512_256, user: "J\u00e4s\u00f8n Doe", realm: "api@example.org", pass: "Secret, or not?",
		method: "GET", uri: "/doe.json", nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK", nc: "00000001",
		cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", qop: "auth",
		ha1:      "2d3d9f12c9f3d30011259dc5fecee005ae24de40e3e1f61806d03e65f1e6024f",
		response: "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"},
}

func sipVector(name string, alg Algorithm, ha1, resp string) vector {
	return vector{name: name, alg: alg, user: "alice", realm: "example.com", pass: "s3cr3t!",
		method: "REGISTER", uri: "sip:example.com", nonce: sipNonce, nc: "00000001", cnonce: "0a4f113b", qop: "auth",
		ha1: ha1, response: resp}
}

func init() {
	const (
		md5HA1 = "aef266ec5edbe0f92f89c67ccd621aa5"
		s256   = "3abd23241e896117a0187b39030baa51fc0213ab44bf59e478c4824c1624592a"
		s512   = "8877af1492fa65f90890157633c372ad8ef01f8cec3c8f45902e2964026cd4b1"
	)
	add := func(v vector) { vectors = append(vectors, v) }
	add(sipVector("SIP MD5", MD5, md5HA1, "3dbfdced3ce3fb19a1ea4723d5dd798e"))
	add(sipVector("SIP SHA-256", SHA256, s256, "0339291fb628b89939a89e7299065796582db27b75f12eced309d9a315989673"))
	add(sipVector("SIP SHA-512-256", SHA512_256, s512, "e3386359345a93f58b5aa051167fd34b116454df931932c8d4eb8c5efc24c157"))
	for _, n := range []struct {
		alg       Algorithm
		ha1, resp string
	}{{MD5, md5HA1, "0bf7eff8919393a3dc57692700c17734"},
		{SHA256, s256, "5a7be00c1c6b652b962e9f4740c4f06892ec206c088e85d13672dfbcbab27eb4"},
		{SHA512_256, s512, "79342d51aa8eeac77ea38ac736337417a04de2df29329dd16c3cda87bbe552fb"}} {
		v := sipVector("SIP no qop "+string(n.alg), n.alg, n.ha1, n.resp)
		v.qop, v.nc, v.cnonce = "", "", ""
		add(v)
	}
	v := sipVector("SIP MD5 nc=2", MD5, md5HA1, "5e936f016c5507b622cf727e606fc225")
	v.nc = "00000002"
	add(v)
	v = sipVector("SIP MD5 uri params", MD5, md5HA1, "2f22c7ca9793ef90638475761e3ef063")
	v.uri = "sip:example.com;transport=tcp"
	add(v)
	v = sipVector("SIP MD5 INVITE", MD5, md5HA1, "05afc69807c56a9a7037ab685d5f07ad")
	v.method, v.uri = "INVITE", "sip:bob@example.com"
	add(v)
	v = sipVector("SIP MD5 auth-int empty body", MD5, md5HA1, "045d48c7b86b014627ae76b314b91e69")
	v.qop, v.authInt = "auth-int", true
	add(v)
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if got := HA1(v.alg, v.user, v.realm, v.pass); got != v.ha1 {
				t.Errorf("HA1 = %s, want %s", got, v.ha1)
			}
			b, off := appendResponse(nil, v.alg, v.ha1, v.method, v.uri, v.body, v.authInt, v.nonce, v.nc, v.cnonce, v.qop)
			if got := string(b[off:]); got != v.response {
				t.Errorf("response = %s, want %s", got, v.response)
			}
		})
	}
}

func TestVectorSIPAuthIntHA2(t *testing.T) {
	b, _ := appendResponse(nil, MD5, "x", "REGISTER", "sip:example.com", nil, true, "n", "00000001", "c", "auth-int")
	// HA2 is the first hash written after "REGISTER:sip:example.com:" + H("").
	const prefix = "REGISTER:sip:example.com:d41d8cd98f00b204e9800998ecf8427e"
	if string(b[:len(prefix)]) != prefix {
		t.Fatalf("A2 input = %q", b[:len(prefix)])
	}
	if got := string(b[len(prefix) : len(prefix)+32]); got != "a59fa3b9a70324f59fbd25ea43acb7e6" {
		t.Fatalf("HA2 = %s", got)
	}
}

func TestUserhashVector(t *testing.T) {
	const want = "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
	if got := Userhash(SHA512_256, "J\u00e4s\u00f8n Doe", "api@example.org"); got != want {
		t.Fatalf("userhash = %s, want %s", got, want)
	}
}

// TestSHA512_256NotTruncatedSHA512 guards against the bug in RFC 7616's
// printed §3.9.2 values (SHA-512 cut to 64 hex digits).
func TestSHA512_256NotTruncatedSHA512(t *testing.T) {
	const printedUserhash = "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
	const printedResponse = "ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd"
	v := vectors[4]
	if got := Userhash(SHA512_256, v.user, v.realm); got == printedUserhash {
		t.Fatal("userhash equals truncated SHA-512")
	}
	trunc := sha512.Sum512([]byte(v.user + ":" + v.realm))
	if hex.EncodeToString(trunc[:])[:64] != printedUserhash {
		t.Fatal("test premise: printed value should be truncated SHA-512")
	}
	b, off := appendResponse(nil, v.alg, v.ha1, v.method, v.uri, nil, false, v.nonce, v.nc, v.cnonce, v.qop)
	if string(b[off:]) == printedResponse {
		t.Fatal("response equals the RFC's truncated SHA-512 value")
	}
	// Through the server: a credential carrying the printed (wrong)
	// response must be refused.
	h := newHarness(t, Config{Algorithms: []Algorithm{SHA512_256}, Userhash: true}, v.realm)
	h.store.AddPassword(v.user, v.pass)
	ch := h.challenge(t, 0)
	good := h.cred(t, ch, v.user, v.pass, "GET", "/doe.json", nil)
	bad := replaceResponse(good, printedResponse)
	if _, err := h.srv.Verify(t.Context(), Request{Method: "GET", URI: "/doe.json", Authorization: bad}); err == nil {
		t.Fatal("truncated SHA-512 response accepted")
	}
	if u, err := h.srv.Verify(t.Context(), Request{Method: "GET", URI: "/doe.json", Authorization: good}); err != nil || u != v.user {
		t.Fatalf("good SHA-512-256 userhash credential: %q %v", u, err)
	}
}
