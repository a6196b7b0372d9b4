//go:build unix

package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// liteRelay relays with litemedia: page->SIP happens inline on the
// transport's reader goroutine (decrypt, then one sendto), SIP->page on
// the call's SIP reader goroutine (encrypt, then one sendto).
type liteRelay struct {
	cert *litemedia.Certificate // shared by every call, as a gateway would
	mux  *litemedia.Mux         // -impl lite-shared: one ICE-lite socket for all calls
	echo netip.AddrPort
	st   *counters
}

func newLiteRelay(echo netip.AddrPort, st *counters, shared bool) (*liteRelay, error) {
	cert, err := litemedia.GenerateCertificate()
	if err != nil {
		return nil, err
	}
	r := &liteRelay{cert: cert, echo: echo, st: st}
	if shared {
		if r.mux, err = litemedia.NewMux(litemedia.MuxConfig{}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

type liteCall struct {
	tr     *litemedia.Transport
	sip    *net.UDPConn
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (r *liteRelay) newCall(offer string) (string, io.Closer, error) {
	sip, err := sipSocket()
	if err != nil {
		return "", nil, err
	}
	tr, err := litemedia.New(offer, litemedia.Config{
		Certificate: r.cert,
		Mux:         r.mux,
		OnRTP: func(pkt []byte) {
			if _, err := sip.WriteToUDPAddrPort(pkt, r.echo); err == nil {
				r.st.toSIP.Add(1)
			}
		},
	})
	if err != nil {
		_ = sip.Close()
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c := &liteCall{tr: tr, sip: sip, cancel: cancel}
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		if err := tr.Connect(ctx); err != nil {
			if !errors.Is(err, litemedia.ErrClosed) {
				log.Printf("connect: %v", err)
			}
			return
		}
		// The page's control channel, read and ignored: the pion relay
		// accepts and reads it too, so both run an SCTP association.
		dc, err := tr.AcceptDataChannel(ctx)
		if err != nil {
			return
		}
		buf := make([]byte, 1<<16)
		for {
			if _, err := dc.Read(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		defer c.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, _, err := sip.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if tr.WriteRTP(buf[:n]) == nil {
				r.st.toPage.Add(1)
			}
		}
	}()
	return tr.Answer(), c, nil
}

func (c *liteCall) Close() error {
	c.cancel()
	err := c.tr.Close()
	_ = c.sip.Close()
	c.wg.Wait()
	return err
}
