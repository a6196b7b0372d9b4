//go:build !linux

package leanpage

import "errors"

// Poller is Linux only (epoll); elsewhere NewPoller fails and pages keep
// their own reader goroutine.
type Poller struct{}

// errNoPoller is NewPoller's error where there is no epoll.
var errNoPoller = errors.New("leanpage: no poller on this system")

// NewPoller fails: there is no epoll here.
func NewPoller() (*Poller, error) { return nil, errNoPoller }

// Close does nothing.
func (p *Poller) Close() error { return nil }

func (p *Poller) add(*Client) error { return errNoPoller }
func (p *Poller) remove(*Client)    {}
