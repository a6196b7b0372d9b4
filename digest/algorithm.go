package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"strings"
)

// Algorithm names a digest hash algorithm as it appears in the algorithm
// parameter (RFC 7616 §3.3, IANA "HTTP Digest Hash Algorithms").
type Algorithm string

// Supported algorithms. The -sess variants are not supported.
const (
	MD5        Algorithm = "MD5"
	SHA256     Algorithm = "SHA-256"
	SHA512_256 Algorithm = "SHA-512-256" // FIPS 180-4 SHA-512/256, not truncated SHA-512
)

// hexLen is the length of the lowercase hex digest, 0 if unsupported.
func (a Algorithm) hexLen() int {
	switch a {
	case MD5:
		return 32
	case SHA256, SHA512_256:
		return 64
	}
	return 0
}

// numAlgorithms is the number of supported algorithms, the range of index.
const numAlgorithms = 3

// index numbers the supported algorithms 0..numAlgorithms-1.
func (a Algorithm) index() (int, bool) {
	switch a {
	case MD5:
		return 0, true
	case SHA256:
		return 1, true
	case SHA512_256:
		return 2, true
	}
	return 0, false
}

// parseAlgorithm maps a received algorithm token (case-insensitive; empty
// means MD5 per RFC 2617 §3.2.1 and RFC 8760) to its canonical name.
func parseAlgorithm(s string) (Algorithm, bool) {
	// Clients send the canonical spelling; the exact switch is a few
	// word compares, where EqualFold walks the strings byte by byte.
	switch s {
	case "", "MD5":
		return MD5, true
	case "SHA-256":
		return SHA256, true
	case "SHA-512-256":
		return SHA512_256, true
	}
	switch {
	case strings.EqualFold(s, string(MD5)):
		return MD5, true
	case strings.EqualFold(s, string(SHA256)):
		return SHA256, true
	case strings.EqualFold(s, string(SHA512_256)):
		return SHA512_256, true
	}
	return "", false
}

// appendHexSum appends the lowercase hex digest of data to dst. It uses
// the one-shot Sum functions, which do not allocate.
func (a Algorithm) appendHexSum(dst, data []byte) []byte {
	switch a {
	case MD5:
		s := md5.Sum(data)
		return hex.AppendEncode(dst, s[:])
	case SHA256:
		s := sha256.Sum256(data)
		return hex.AppendEncode(dst, s[:])
	case SHA512_256:
		s := sha512.Sum512_256(data)
		return hex.AppendEncode(dst, s[:])
	}
	panic("digest: unsupported algorithm " + string(a))
}

// hexHash is the convenience form used off the hot path.
func (a Algorithm) hexHash(parts ...string) string {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, p...)
	}
	return string(a.appendHexSum(nil, b))
}

// HA1 returns H(username ":" realm ":" password) in lowercase hex, the
// value a [CredentialStore] returns. It panics if alg is not one of the
// supported algorithms.
func HA1(alg Algorithm, username, realm, password string) string {
	return alg.hexHash(username, realm, password)
}

// Userhash returns H(username ":" realm), the value a client sends as
// username when the challenge carries userhash=true (RFC 7616 §3.4.4).
// It panics if alg is not one of the supported algorithms.
func Userhash(alg Algorithm, username, realm string) string {
	return alg.hexHash(username, realm)
}
