//go:build !(linux && (amd64 || arm64))

package sipecho

import (
	"errors"
	"net/netip"
)

// epollEcho is Linux-only; elsewhere Options.EpollMedia falls back to a
// goroutine per call.
type epollEcho struct{}

func newEpollEcho(func([]byte)) (*epollEcho, error) { return nil, errors.New("sipecho: no epoll") }

func (e *epollEcho) listen(*Call) (int32, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errors.New("sipecho: no epoll")
}
func (e *epollEcho) remove(int32) {}
func (e *epollEcho) run()         {}
func (e *epollEcho) stop()        {}

const epollSupported = false
