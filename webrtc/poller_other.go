//go:build !linux

package webrtc

import (
	"errors"
)

// sipPoller exists on Linux only; elsewhere every call has its own
// receive goroutine.
type sipPoller struct{}

func newSIPPoller() (*sipPoller, error) {
	return nil, errors.New("webrtc: shared rtp poller needs linux")
}
func (p *sipPoller) add(*relay) error { return errors.New("webrtc: no poller") }
func (p *sipPoller) remove(*relay)    {}
func (p *sipPoller) close()           {}
