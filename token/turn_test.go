package token

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestTURNCredentialsOpenSSL checks against testdata/turn-vector.txt, made by
// testdata/gen-kandy-vectors.sh with:
//
//	printf '%s' '1700003600:0123456789abcdef0123456789abcdef' |
//	  openssl dgst -sha1 -hmac 'north-turn-secret' -binary | base64
//	=> BVF4Vtik/IJjRWtbFsDcQ79m8ZU=
func TestTURNCredentialsOpenSSL(t *testing.T) {
	b, err := os.ReadFile("testdata/turn-vector.txt")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(strings.TrimSuffix(string(b), "\n"), "\t")
	if len(f) != 3 || f[2] != "BVF4Vtik/IJjRWtbFsDcQ79m8ZU=" {
		t.Fatalf("vector file: %q", f)
	}
	urls := []string{"turn:127.0.0.1:3478?transport=udp", "turns:127.0.0.1:5349"}
	got := TURNCredentials([]byte(f[0]), "0123456789abcdef0123456789abcdef", time.Hour, time.Unix(1700000000, 0), urls...)
	if got.Username != f[1] || got.Credential != f[2] {
		t.Fatalf("got %q/%q, want %q/%q", got.Username, got.Credential, f[1], f[2])
	}
	if len(got.URLs) != 2 || got.URLs[0] != urls[0] {
		t.Fatalf("urls %v", got.URLs)
	}
	urls[0] = "changed"
	if got.URLs[0] == "changed" {
		t.Fatal("urls not copied")
	}
	if e := TURNCredentials([]byte("s"), "", time.Minute, time.Unix(100, 0)); e.Username != "160" {
		t.Fatalf("empty user: %q", e.Username)
	}
}
