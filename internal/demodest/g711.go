package demodest

import "math/bits"

// G.711 (ITU-T G.711) companding, written out so the demo needs no cgo and
// no codec library. The algorithms are the classic Sun reference ones.

const (
	ulawBias = 0x84
	ulawClip = 32635
)

// encodeULaw compands one 16-bit linear sample to µ-law.
func encodeULaw(s int16) byte {
	v := int(s)
	var sign byte
	if v < 0 {
		v = -v
		sign = 0x80
	}
	v = min(v, ulawClip) + ulawBias
	// v >= 0x84, so v>>7 >= 1 and the exponent is 0..7.
	exp := bits.Len(uint(v>>7)) - 1
	mant := (v >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(mant))
}

// decodeULaw expands one µ-law byte to a 16-bit linear sample.
func decodeULaw(u byte) int16 {
	u = ^u
	exp := int(u>>4) & 0x07
	mant := int(u & 0x0F)
	v := ((mant << 3) + ulawBias) << exp
	v -= ulawBias
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// encodeALaw compands one 16-bit linear sample to A-law.
func encodeALaw(s int16) byte {
	v := int(s) >> 3
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	// Segment seg holds 13-bit magnitudes up to 0x1F, 0x3F, ... 0xFFF.
	seg := 0
	for seg < 8 && v > (0x20<<seg)-1 {
		seg++
	}
	if seg == 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(v>>1) & 0x0F
	} else {
		a |= byte(v>>seg) & 0x0F
	}
	return a ^ mask
}

// decodeALaw expands one A-law byte to a 16-bit linear sample.
func decodeALaw(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// codec is one of the two G.711 laws with its static RTP payload type.
type codec struct {
	name        string
	payloadType uint8
	encode      func(int16) byte
	decode      func(byte) int16
}

const (
	payloadPCMU = 0
	payloadPCMA = 8
)

// codecFor returns the G.711 law of a static payload type.
func codecFor(pt uint8) (codec, bool) {
	switch pt {
	case payloadPCMU:
		return codec{name: "PCMU", payloadType: pt, encode: encodeULaw, decode: decodeULaw}, true
	case payloadPCMA:
		return codec{name: "PCMA", payloadType: pt, encode: encodeALaw, decode: decodeALaw}, true
	}
	return codec{}, false
}
