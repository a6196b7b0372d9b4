package webrtc

import (
	"sync"
	"time"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// liteCertRenewBefore is how long before its end a certificate of the
// lite engine is replaced. Pages pin the answer's fingerprint and do not
// look at the dates, so an expired certificate would keep working; what
// the short life is for, bounding the use of a stolen key, needs the
// gateway to stop using it. A week of margin leaves calls answered just
// before the change a valid certificate for their whole duration.
const liteCertRenewBefore = 7 * 24 * time.Hour

// liteCertificate is the DTLS identity the lite engine answers with:
// one for every call, replaced when it comes within liteCertRenewBefore
// of its end. A call keeps the certificate it was answered with.
type liteCertificate struct {
	now func() time.Time

	mu  sync.Mutex
	cur *litemedia.Certificate
}

// get returns the certificate for a new call, generating one if there is
// none or the current one is due for replacement. If generating fails
// while the current one is still valid, the current one is used.
func (l *liteCertificate) get() (*litemedia.Certificate, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil && now.Before(l.cur.NotAfter().Add(-liteCertRenewBefore)) {
		return l.cur, nil
	}
	c, err := litemedia.GenerateCertificateAt(now)
	if err != nil {
		if l.cur != nil && now.Before(l.cur.NotAfter()) {
			return l.cur, nil
		}
		return nil, err
	}
	l.cur = c
	return c, nil
}
