package pageclient

import (
	"errors"
	"strings"
	"sync"

	"github.com/pion/rtp"
	pionwebrtc "github.com/pion/webrtc/v4"
)

// rawTrack is a TrackLocal that lets the caller pick the payload type per
// packet (audio or telephone-event), which TrackLocalStaticRTP does not.
type rawTrack struct {
	mu      sync.Mutex
	w       pionwebrtc.TrackLocalWriter
	ssrc    uint32
	audioPT uint8
	eventPT uint8
}

var errNotBound = errors.New("pageclient: track not bound")

func (t *rawTrack) Bind(ctx pionwebrtc.TrackLocalContext) (pionwebrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var chosen *pionwebrtc.RTPCodecParameters
	params := ctx.CodecParameters()
	for i, c := range params {
		if strings.EqualFold(c.MimeType, "audio/telephone-event") {
			t.eventPT = uint8(c.PayloadType)
		} else if chosen == nil {
			chosen = &params[i]
		}
	}
	if chosen == nil {
		return pionwebrtc.RTPCodecParameters{}, pionwebrtc.ErrUnsupportedCodec
	}
	t.w, t.ssrc, t.audioPT = ctx.WriteStream(), uint32(ctx.SSRC()), uint8(chosen.PayloadType)
	return *chosen, nil
}

func (t *rawTrack) Unbind(pionwebrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.w = nil
	t.mu.Unlock()
	return nil
}

func (t *rawTrack) ID() string                    { return "audio" }
func (t *rawTrack) RID() string                   { return "" }
func (t *rawTrack) StreamID() string              { return "page" }
func (t *rawTrack) Kind() pionwebrtc.RTPCodecType { return pionwebrtc.RTPCodecTypeAudio }

func (t *rawTrack) write(event bool, h *rtp.Header, payload []byte) error {
	t.mu.Lock()
	w, ssrc, pt := t.w, t.ssrc, t.audioPT
	if event {
		pt = t.eventPT
	}
	t.mu.Unlock()
	if w == nil {
		return errNotBound
	}
	h.Version, h.SSRC, h.PayloadType = 2, ssrc, pt
	_, err := w.WriteRTP(h, payload)
	return err
}
