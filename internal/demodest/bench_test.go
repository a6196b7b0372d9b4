package demodest

import "testing"

// BenchmarkFrame is the destination's CPU per 20 ms packet it sends: one
// chime frame mixed and encoded to µ-law.
func BenchmarkFrame(b *testing.B) {
	var c chime
	pcm := make([]float64, frameSamples)
	out := make([]byte, frameSamples)
	for b.Loop() {
		clear(pcm)
		c.next(pcm)
		for i, v := range pcm {
			out[i] = encodeULaw(clamp16(v))
		}
	}
}

func BenchmarkEncodeULaw(b *testing.B) {
	var sink byte
	for i := 0; b.Loop(); i++ {
		sink ^= encodeULaw(int16(i))
	}
	_ = sink
}

func BenchmarkEncodeALaw(b *testing.B) {
	var sink byte
	for i := 0; b.Loop(); i++ {
		sink ^= encodeALaw(int16(i))
	}
	_ = sink
}
