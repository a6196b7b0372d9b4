package leanpage

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"sync/atomic"
	"time"
)

// Certificate is a page's DTLS identity. One may be shared by many pages
// (a load generator makes one): the gateway pins it by the offer's
// fingerprint, not by a chain.
type Certificate struct {
	tls         tls.Certificate
	fingerprint string // sha-256, upper-case hex pairs joined by ':'
}

// GenerateCertificate makes a self-signed ECDSA P-256 certificate, as a
// browser's RTCCertificate.
func GenerateCertificate() (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("leanpage: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("leanpage: certificate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "leanpage"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("leanpage: certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return &Certificate{
		tls:         tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		fingerprint: formatFingerprint(sum[:]),
	}, nil
}

// Fingerprint is the offer's a=fingerprint value (without "sha-256 ").
func (c *Certificate) Fingerprint() string { return c.fingerprint }

func formatFingerprint(sum []byte) string {
	h := strings.ToUpper(hex.EncodeToString(sum))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// fingerprint is one a=fingerprint of the answer.
type fingerprint struct {
	newHash func() hash.Hash
	sum     []byte
}

// parseFingerprint reads "sha-256 AB:CD:..." (SHA-2 family only).
func parseFingerprint(v string) (fingerprint, error) {
	alg, value, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return fingerprint{}, fmt.Errorf("%w: fingerprint %q", ErrBadAnswer, v)
	}
	var f fingerprint
	switch strings.ToLower(alg) {
	case "sha-256":
		f.newHash = sha256.New
	case "sha-384":
		f.newHash = sha512.New384
	case "sha-512":
		f.newHash = sha512.New
	default:
		return fingerprint{}, fmt.Errorf("%w: fingerprint algorithm %q", ErrBadAnswer, alg)
	}
	sum, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(value), ":", ""))
	if err != nil || len(sum) != f.newHash().Size() {
		return fingerprint{}, fmt.Errorf("%w: fingerprint value %q", ErrBadAnswer, value)
	}
	f.sum = sum
	return f, nil
}

// verifyPeer accepts the gateway's certificate only if it matches one of
// the answer's fingerprints; it sets *refused when it does not, so the
// caller can tell this from other handshake failures.
func verifyPeer(fps []fingerprint, refused *atomic.Bool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) > 0 {
			for _, f := range fps {
				h := f.newHash()
				h.Write(raw[0])
				if subtle.ConstantTimeCompare(h.Sum(nil), f.sum) == 1 {
					return nil
				}
			}
		}
		refused.Store(true)
		return ErrFingerprint
	}
}
