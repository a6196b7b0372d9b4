package leanpage

import (
	"crypto/x509"
	"fmt"
	"sync/atomic"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// Certificate is a page's DTLS identity. One may be shared by many pages
// (a load generator makes one): the gateway pins it by the offer's
// fingerprint, not by a chain. It is the gateway's own kind of
// certificate; only the role differs.
type Certificate = litemedia.Certificate

// GenerateCertificate makes a self-signed ECDSA P-256 certificate, as a
// browser's RTCCertificate.
func GenerateCertificate() (*Certificate, error) { return litemedia.GenerateCertificate() }

// parseFingerprint reads one of the answer's a=fingerprint values.
func parseFingerprint(v string) (litemedia.Fingerprint, error) {
	f, err := litemedia.ParseFingerprint(v)
	if err != nil {
		return f, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return f, nil
}

// verifyPeer accepts the gateway's certificate only if it matches one of
// the answer's fingerprints; it sets *refused when it does not, so the
// caller can tell this from other handshake failures.
func verifyPeer(fps []litemedia.Fingerprint, refused *atomic.Bool) func([][]byte, [][]*x509.Certificate) error {
	check := litemedia.VerifyPeer(fps)
	return func(raw [][]byte, chains [][]*x509.Certificate) error {
		if check(raw, chains) != nil {
			refused.Store(true)
			return ErrFingerprint
		}
		return nil
	}
}
