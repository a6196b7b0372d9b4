package litemedia

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
)

// replayWindow is the SRTP replay window in packets (pion's default).
const replayWindow = 64

// Connect runs the DTLS handshake as the server once the page has
// connected over ICE, checks the page's certificate against the offer's
// fingerprint, and derives the SRTP keys. It returns when media can flow,
// or with ctx's error; call it once.
func (t *Transport) Connect(ctx context.Context) error {
	cfg := &dtls.Config{
		Certificates:           []tls.Certificate{t.cfg.Certificate.TLS()},
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		ClientAuth:             dtls.RequireAnyClientCert,
		VerifyPeerCertificate:  t.verify(),
		LoggerFactory:          quietLogs(),
	}
	t.mu.Lock()
	select {
	case <-t.closed:
		t.mu.Unlock()
		return ErrClosed
	default:
	}
	conn, err := dtls.Server(t.pipe, t.pipe.RemoteAddr(), cfg)
	if err != nil {
		t.mu.Unlock()
		return fmt.Errorf("litemedia: dtls: %w", err)
	}
	t.dtlsConn = conn
	t.mu.Unlock()

	if err := conn.HandshakeContext(ctx); err != nil {
		select {
		case <-t.closed:
			return ErrClosed
		default:
		}
		if t.badCert.Load() {
			return fmt.Errorf("%w (%w)", ErrFingerprint, err)
		}
		return fmt.Errorf("litemedia: dtls handshake: %w", err)
	}
	rx, tx, err := SRTPContexts(conn, false)
	if err != nil {
		return err
	}
	t.txMu.Lock()
	select {
	case <-t.closed:
		t.txMu.Unlock()
		return ErrClosed
	default:
	}
	t.tx = tx
	t.rx.Store(rx)
	t.wg.Add(1) // under txMu: Close cannot be waiting yet
	if t.offer.hasDataChannel() {
		go t.runSCTP(conn)
	} else {
		t.sctpErr = ErrNoDataChannel
		close(t.sctpReady)
		go t.drainDTLS(conn)
	}
	t.txMu.Unlock()
	return nil
}

// verify wraps the fingerprint check so that Connect can tell a refused
// certificate from other handshake failures (pion/dtls turns the error
// into an alert).
func (t *Transport) verify() func([][]byte, [][]*x509.Certificate) error {
	check := VerifyPeer(t.offer.fingerprints)
	return func(raw [][]byte, chains [][]*x509.Certificate) error {
		if err := check(raw, chains); err != nil {
			t.badCert.Store(true)
			return err
		}
		return nil
	}
}

// SRTPContexts derives the SRTP contexts of a completed DTLS-SRTP
// handshake (RFC 5764 §4.2): rx decrypts what the peer sends, with a
// replay window; tx encrypts what this side sends. isClient says which
// side of the handshake conn was, which decides whose keys are whose.
func SRTPContexts(conn *dtls.Conn, isClient bool) (rx, tx *srtp.Context, err error) {
	profile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, nil, ErrNoSRTPProfile
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return nil, nil, ErrNoSRTPProfile
	}
	keys := srtp.Config{Profile: srtp.ProtectionProfile(profile)}
	if err := keys.ExtractSessionKeysFromDTLS(&state, isClient); err != nil {
		return nil, nil, fmt.Errorf("litemedia: srtp keys: %w", err)
	}
	rx, err = srtp.CreateContext(keys.Keys.RemoteMasterKey, keys.Keys.RemoteMasterSalt, keys.Profile,
		srtp.SRTPReplayProtection(replayWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("litemedia: srtp: %w", err)
	}
	tx, err = srtp.CreateContext(keys.Keys.LocalMasterKey, keys.Keys.LocalMasterSalt, keys.Profile)
	if err != nil {
		return nil, nil, fmt.Errorf("litemedia: srtp: %w", err)
	}
	return rx, tx, nil
}
