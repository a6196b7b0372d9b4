package demodest

import "math"

const (
	sampleRate     = 8000
	frameSamples   = 160 // 20 ms at 8 kHz
	chimeAmplitude = 0.25 * 32767
	noteSamples    = sampleRate * 35 / 100 // 350 ms per note
	cycleSamples   = sampleRate * 4        // chime, then quiet for the echo
)

// chimeNote returns the frequency in Hz of the i-th note of the chime (a
// four-note "announcement" phrase, E5 C5 D5 G4), or 0 for silence.
func chimeNote(i int) float64 {
	switch i {
	case 0:
		return 659.26
	case 1:
		return 523.25
	case 2:
		return 587.33
	case 3:
		return 392.00
	}
	return 0
}

// chime generates the destination's own audio: a four-note phrase followed
// by quiet, repeating every four seconds, so the caller hears both the
// destination and the echo of their own voice.
type chime struct {
	pos   int     // sample index within the cycle
	phase float64 // oscillator phase in radians
}

// next adds the chime's next frame to pcm.
func (c *chime) next(pcm []float64) {
	for i := range pcm {
		note, at := c.pos/noteSamples, c.pos%noteSamples
		if f := chimeNote(note); f > 0 {
			// A short attack and an exponential decay, like a struck bell,
			// so notes do not click.
			env := math.Min(1, float64(at)/80) * math.Exp(-3*float64(at)/noteSamples)
			pcm[i] += chimeAmplitude * env * (0.8*math.Sin(c.phase) + 0.2*math.Sin(2*c.phase))
			c.phase += 2 * math.Pi * f / sampleRate
			if c.phase > 2*math.Pi {
				c.phase -= 2 * math.Pi
			}
		}
		c.pos = (c.pos + 1) % cycleSamples
	}
}

// clamp16 converts a mixed sample to 16 bits, saturating.
func clamp16(v float64) int16 {
	return int16(math.Max(-32768, math.Min(32767, math.Round(v))))
}
