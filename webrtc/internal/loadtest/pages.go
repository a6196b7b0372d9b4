//go:build unix

package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"

	"github.com/webdial/webdial/webrtc/internal/leanpage"
	"github.com/webdial/webdial/webrtc/internal/pageclient"
)

// pagesKind is registered here rather than in main so that this option
// stays in its own file.
var pagesKind = flag.String("pages", "pion", "page clients in the driver: pion (pageclient: a pion PeerConnection per page, the figures before -pages), lean (leanpage: pion's stun/dtls/srtp/sctp without a PeerConnection, one reader goroutine per page), leanpoll (leanpage, every page's socket read by one epoll goroutine) or leanbank (leanpage on one socket, a loopback IP per page: recvmmsg, and sendmmsg per 1 ms send slot)")

// pageConn is what the driver does with a page once it is set up.
type pageConn interface {
	WriteAudio(payload []byte) error
	Hangup(ctx context.Context) error
	Close() error
}

// pageDialer makes the pages of one run.
type pageDialer struct {
	lean   bool
	cert   *leanpage.Certificate // lean: one DTLS identity for every page
	poller *leanpage.Poller      // leanpoll: the one reader of every page
	bank   *leanpage.Bank        // leanbank: the one socket of every page
}

func newPageDialer() (*pageDialer, error) {
	switch *pagesKind {
	case "pion":
		return &pageDialer{}, nil
	case "lean", "leanpoll", "leanbank":
		cert, err := leanpage.GenerateCertificate()
		if err != nil {
			return nil, err
		}
		d := &pageDialer{lean: true, cert: cert}
		switch *pagesKind {
		case "leanpoll":
			d.poller, err = leanpage.NewPoller()
		case "leanbank":
			d.bank, err = leanpage.NewBank()
		}
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("bad -pages %q (pion, lean, leanpoll or leanbank)", *pagesKind)
}

// dial sets up one call and waits until it is answered and its media
// connected. c is not nil once the call exists (so it can be torn down),
// even if a later step failed.
func (d *pageDialer) dial(ctx context.Context, url, tok string, onRTP func([]byte), hc *http.Client) (c pageConn, err error) {
	if d.lean {
		lc, err := leanpage.Dial(ctx, leanpage.Options{URL: url, Origin: origin, Token: tok, OnRTP: onRTP, HTTP: hc, Certificate: d.cert, Poller: d.poller, Bank: d.bank})
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		if _, err := lc.WaitState(ctx, "answered"); err != nil {
			return lc, fmt.Errorf("answer: %w", err)
		}
		return lc, nil
	}
	pc, err := pageclient.Dial(ctx, pageclient.Options{URL: url, Origin: origin, Token: tok, OnRTP: onRTP, HTTP: hc})
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if _, err := pc.WaitState(ctx, "answered"); err != nil {
		return pc, fmt.Errorf("answer: %w", err)
	}
	if err := pc.ConnectedWithin(ctx); err != nil {
		return pc, fmt.Errorf("connect: %w", err)
	}
	return pc, nil
}

// flush sends what the pages queued (leanbank); others send at once.
func (d *pageDialer) flush() {
	if d.bank != nil {
		_ = d.bank.Flush()
	}
}

// close ends what the dialer shares once every page is closed.
func (d *pageDialer) close() {
	if d.poller != nil {
		_ = d.poller.Close()
	}
	if d.bank != nil {
		_ = d.bank.Close()
	}
}
