package webrtc

import (
	"encoding/json"
	"time"

	pionwebrtc "github.com/pion/webrtc/v4"
)

// ControlLabel is the label of the data channel the page opens (before its
// offer) to follow the call and to send DTMF and hang-up.
const ControlLabel = "webdial"

// Call states sent to the page as {"type":"state","state":...}.
const (
	StateTrying   = "trying"   // INVITE sent
	StateRinging  = "ringing"  // 180, or 183 without SDP
	StateEarly    = "early"    // 183 with SDP: early media is playing
	StateAnswered = "answered" // 200 OK
	StateEnded    = "ended"    // the call is over; Reason says why
)

// ControlMessage is one JSON message on the control channel.
//
//	gateway -> page: {"type":"state","state":"ringing"}
//	                 {"type":"state","state":"ended","reason":"remote hangup"}
//	                 {"type":"error","reason":"..."}
//	page -> gateway: {"type":"dtmf","digits":"123#"} ("digit" is accepted too)
//	                 {"type":"hangup"}
type ControlMessage struct {
	Type   string `json:"type"`
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
	Digits string `json:"digits,omitempty"`
	Digit  string `json:"digit,omitempty"`
}

// maxControlMessage caps what the page may send on the control channel.
const maxControlMessage = 1024

// controlChannel is the page's open control channel: a pion DataChannel,
// or with Config.ICELite a pion/datachannel one on the lite transport's
// SCTP association (see liteControl).
type controlChannel interface {
	SendText(s string) error
	BufferedAmount() uint64
}

func (c *call) attachControl(dc *pionwebrtc.DataChannel) {
	if dc.Label() != ControlLabel {
		return
	}
	dc.OnOpen(func() { c.controlOpened(dc) })
	dc.OnMessage(func(m pionwebrtc.DataChannelMessage) { c.onControlMessage(m.Data) })
}

// controlOpened makes dc the call's control channel and sends it the state
// the page missed while the channel was opening.
func (c *call) controlOpened(dc controlChannel) {
	c.mu.Lock()
	c.dc = dc
	state, reason := c.state, c.reason
	c.mu.Unlock()
	c.dcOnce.Do(func() { close(c.dcOpen) })
	if state != "" {
		c.sendControl(ControlMessage{Type: "state", State: state, Reason: reason})
	}
}

// onControlMessage handles one message from the page.
func (c *call) onControlMessage(data []byte) {
	if len(data) > maxControlMessage {
		return
	}
	var msg ControlMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		c.sendControl(ControlMessage{Type: "error", Reason: "bad message"})
		return
	}
	switch msg.Type {
	case "hangup":
		c.end(reasonControl)
	case "dtmf":
		if err := c.relay.queueDTMF(msg.Digits + msg.Digit); err != nil {
			c.sendControl(ControlMessage{Type: "error", Reason: err.Error()})
		}
	default:
		c.sendControl(ControlMessage{Type: "error", Reason: "unknown message type"})
	}
}

// setState records the call's state and tells the page.
func (c *call) setState(state, reason string) {
	c.mu.Lock()
	if c.state == StateEnded {
		c.mu.Unlock()
		return
	}
	c.state, c.reason = state, reason
	c.mu.Unlock()
	c.sendControl(ControlMessage{Type: "state", State: state, Reason: reason})
}

func (c *call) sendControl(m ControlMessage) {
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	if dc == nil {
		return
	}
	b, _ := json.Marshal(m)
	_ = dc.SendText(string(b))
}

// flushControl gives the last control message a moment to leave before
// the peer connection is closed.
func (c *call) flushControl() {
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	if dc == nil {
		return
	}
	deadline := time.Now().Add(250 * time.Millisecond)
	for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
