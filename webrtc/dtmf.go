package webrtc

import (
	"encoding/binary"
	"fmt"
	"time"
)

// RFC 4733 timing used for generated digits: 100 ms tones in 20 ms packets,
// three end packets, 60 ms between digits.
const (
	dtmfPacket   = 20 * time.Millisecond
	dtmfTone     = 5 // packets of dtmfPacket
	dtmfGap      = 3 // packets of silence between digits
	dtmfVolume   = 10
	dtmfMaxQueue = 64
	samplesPer20 = 160
)

// dtmfEvent maps a digit to its RFC 4733 event code.
func dtmfEvent(d byte) (byte, bool) {
	switch {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return 12 + d - 'A', true
	case d >= 'a' && d <= 'd':
		return 12 + d - 'a', true
	}
	return 0, false
}

// queueDTMF validates digits and queues them for the SIP side. A goroutine
// sends the queue and exits when it is empty.
func (r *relay) queueDTMF(digits string) error {
	if digits == "" || len(digits) > dtmfMaxQueue {
		return fmt.Errorf("%w: %d digits", ErrDTMF, len(digits))
	}
	events := make([]byte, len(digits))
	for i := 0; i < len(digits); i++ {
		ev, ok := dtmfEvent(digits[i])
		if !ok {
			return fmt.Errorf("%w: digit %q", ErrDTMF, digits[i])
		}
		events[i] = ev
	}
	if t := r.target.Load(); t == nil || t.eventPT == ptNone || !t.remote.IsValid() {
		return fmt.Errorf("%w: sip side has no telephone-event", ErrDTMF)
	}
	r.dtmfMu.Lock()
	defer r.dtmfMu.Unlock()
	if len(r.dtmfQueue)+len(events) > dtmfMaxQueue {
		return fmt.Errorf("%w: queue full", ErrDTMF)
	}
	r.dtmfQueue = append(r.dtmfQueue, events...)
	if !r.dtmfRunning && !r.closing {
		r.dtmfRunning = true
		r.wg.Add(1)
		go r.sendDTMF()
	}
	return nil
}

func (r *relay) sendDTMF() {
	defer r.wg.Done()
	tick := time.NewTicker(dtmfPacket)
	defer tick.Stop()
	var pkt [16]byte
	for {
		r.dtmfMu.Lock()
		if len(r.dtmfQueue) == 0 || r.closing {
			r.dtmfRunning = false
			r.dtmfMu.Unlock()
			return
		}
		ev := r.dtmfQueue[0]
		r.dtmfQueue = r.dtmfQueue[1:]
		r.dtmfMu.Unlock()

		r.sipMu.Lock()
		ts := r.sipLastTS
		if r.sipSent {
			ts += uint32(r.now().Sub(r.sipLastAt) / (time.Second / 8000))
		} else {
			ts = randUint32()
		}
		r.sipMu.Unlock()
		// Tone packets, then the end packet three times (RFC 4733 §2.5.1.4).
		for i := 1; i <= dtmfTone+3; i++ {
			dur := min(i, dtmfTone) * samplesPer20
			if !r.writeEvent(pkt[:], ev, i == 1, i > dtmfTone, ts, uint16(dur)) {
				r.stopDTMF()
				return
			}
			if i < dtmfTone {
				select {
				case <-tick.C:
				case <-r.done:
					r.stopDTMF()
					return
				}
			}
		}
		for range dtmfGap {
			select {
			case <-tick.C:
			case <-r.done:
				r.stopDTMF()
				return
			}
		}
	}
}

func (r *relay) stopDTMF() {
	r.dtmfMu.Lock()
	r.dtmfRunning = false
	r.dtmfQueue = nil
	r.dtmfMu.Unlock()
}

// writeEvent sends one telephone-event packet; false if the leg is gone.
func (r *relay) writeEvent(pkt []byte, ev byte, marker, end bool, ts uint32, dur uint16) bool {
	t := r.target.Load()
	if t == nil || t.eventPT == ptNone || !t.remote.IsValid() {
		return false
	}
	pkt[0] = 0x80
	pkt[1] = t.eventPT
	if marker {
		pkt[1] |= 0x80
	}
	binary.BigEndian.PutUint32(pkt[4:], ts)
	pkt[12] = ev
	pkt[13] = dtmfVolume
	if end {
		pkt[13] |= 0x80
	}
	binary.BigEndian.PutUint16(pkt[14:], dur)
	r.sipMu.Lock()
	defer r.sipMu.Unlock()
	binary.BigEndian.PutUint16(pkt[2:], r.sipSeq)
	binary.BigEndian.PutUint32(pkt[8:], r.sipSSRC)
	r.sipSeq++
	if _, err := t.conn.WriteToUDPAddrPort(pkt[:16], t.remote); err != nil {
		return false
	}
	r.dtmfSent.Add(1)
	return true
}
