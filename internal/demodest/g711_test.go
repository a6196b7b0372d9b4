package demodest

import "testing"

func TestG711KnownValues(t *testing.T) {
	for _, tc := range []struct {
		in     int16
		u, a   byte
		du, da int16
	}{
		{0, 0xFF, 0xD5, 0, 8},
		{32767, 0x80, 0xAA, 32124, 32256},
		{-32768, 0x00, 0x2A, -32124, -32256},
		{1000, 0xCE, 0xFA, 988, 1008},
		{-1000, 0x4E, 0x7A, -988, -1008},
	} {
		if got := encodeULaw(tc.in); got != tc.u {
			t.Errorf("encodeULaw(%d) = %#x, want %#x", tc.in, got, tc.u)
		}
		if got := encodeALaw(tc.in); got != tc.a {
			t.Errorf("encodeALaw(%d) = %#x, want %#x", tc.in, got, tc.a)
		}
		if got := decodeULaw(tc.u); got != tc.du {
			t.Errorf("decodeULaw(%#x) = %d, want %d", tc.u, got, tc.du)
		}
		if got := decodeALaw(tc.a); got != tc.da {
			t.Errorf("decodeALaw(%#x) = %d, want %d", tc.a, got, tc.da)
		}
	}
}

// Every code word must survive decode then encode: the decoder returns a
// value inside the encoder's interval for that code. µ-law's two zeros
// (0x7F, 0xFF) both encode back to 0xFF.
func TestG711RoundTrip(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if got := encodeALaw(decodeALaw(b)); got != b {
			t.Errorf("A-law %#x -> %d -> %#x", b, decodeALaw(b), got)
		}
		want := b
		if b == 0x7F {
			want = 0xFF
		}
		if got := encodeULaw(decodeULaw(b)); got != want {
			t.Errorf("µ-law %#x -> %d -> %#x", b, decodeULaw(b), got)
		}
	}
}

// Companding must keep the order of samples (louder in, louder out).
func TestG711Monotonic(t *testing.T) {
	prevU, prevA := decodeULaw(encodeULaw(-32768)), decodeALaw(encodeALaw(-32768))
	for s := -32768; s <= 32767; s += 7 {
		u, a := decodeULaw(encodeULaw(int16(s))), decodeALaw(encodeALaw(int16(s)))
		if u < prevU || a < prevA {
			t.Fatalf("not monotonic at %d: µ %d<%d or A %d<%d", s, u, prevU, a, prevA)
		}
		prevU, prevA = u, a
	}
}
