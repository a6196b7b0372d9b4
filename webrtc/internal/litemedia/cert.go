package litemedia

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
	"time"
)

// Certificate is the gateway's DTLS identity. One certificate may be
// shared by every call: WebRTC authenticates it by the fingerprint in the
// SDP answer, not by a chain.
type Certificate struct {
	tls         tls.Certificate
	fingerprint string // sha-256, upper-case hex pairs joined by ':'
	notAfter    time.Time
}

// CertificateLifetime is how long a generated certificate is valid.
// Browsers refuse DTLS certificates valid for more than a year; a short
// life bounds what a stolen key is worth, provided the user of the
// certificate replaces it in time (peers pin the fingerprint and do not
// check the dates).
const CertificateLifetime = 30 * 24 * time.Hour

// GenerateCertificate makes a self-signed ECDSA P-256 certificate valid
// from now for CertificateLifetime.
func GenerateCertificate() (*Certificate, error) { return GenerateCertificateAt(time.Now()) }

// GenerateCertificateAt is GenerateCertificate with the clock read by the
// caller.
func GenerateCertificateAt(now time.Time) (*Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("litemedia: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("litemedia: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "webdial"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(CertificateLifetime),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("litemedia: certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return &Certificate{
		tls:         tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		fingerprint: formatFingerprint(sum[:]),
		notAfter:    tmpl.NotAfter,
	}, nil
}

// Fingerprint is the a=fingerprint value (without "sha-256 ").
func (c *Certificate) Fingerprint() string { return c.fingerprint }

// NotAfter is the end of the certificate's validity.
func (c *Certificate) NotAfter() time.Time { return c.notAfter }

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

// TLS is the certificate and key for a DTLS config.
func (c *Certificate) TLS() tls.Certificate { return c.tls }

// Fingerprint is one parsed a=fingerprint: the hash and the digest a
// peer's certificate must have.
type Fingerprint struct {
	newHash func() hash.Hash
	sum     []byte
}

// ParseFingerprint reads "sha-256 AB:CD:...". Only the SHA-2 family is
// accepted: sha-1 and md5 fingerprints are too weak to pin a certificate.
// Errors wrap ErrBadOffer (the page's leanpage twin rewraps them).
func ParseFingerprint(v string) (Fingerprint, error) {
	alg, value, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Fingerprint{}, fmt.Errorf("%w: fingerprint %q", ErrBadOffer, v)
	}
	var f Fingerprint
	switch strings.ToLower(alg) {
	case "sha-256":
		f.newHash = sha256.New
	case "sha-384":
		f.newHash = sha512.New384
	case "sha-512":
		f.newHash = sha512.New
	default:
		return Fingerprint{}, fmt.Errorf("%w: fingerprint algorithm %q", ErrBadOffer, alg)
	}
	sum, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(value), ":", ""))
	if err != nil || len(sum) != f.newHash().Size() {
		return Fingerprint{}, fmt.Errorf("%w: fingerprint value %q", ErrBadOffer, value)
	}
	f.sum = sum
	return f, nil
}

// VerifyPeer returns the DTLS VerifyPeerCertificate callback that accepts
// the peer's certificate only if it matches one of fps. This is what binds
// the DTLS keys (and so SRTP) to the signalling channel; without it anyone
// on the path could terminate DTLS.
func VerifyPeer(fps []Fingerprint) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return ErrFingerprint
		}
		for _, f := range fps {
			h := f.newHash()
			h.Write(raw[0])
			if subtle.ConstantTimeCompare(h.Sum(nil), f.sum) == 1 {
				return nil
			}
		}
		return ErrFingerprint
	}
}
