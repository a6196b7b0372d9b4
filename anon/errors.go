package anon

import "errors"

// kindError is a sentinel that belongs to a family (ErrDenied or
// ErrMalformed) and carries a short SIP reason phrase. Sentinels of this
// type are never built from caller input, so their text is safe to put in a
// SIP response.
type kindError struct {
	msg    string
	phrase string
	kind   error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// The two families. Every policy denial wraps [ErrDenied]; every parse
// rejection wraps [ErrMalformed]. Test with errors.Is.
var (
	// ErrDenied indicates that the policy refused the destination.
	ErrDenied = errors.New("anon: destination denied")
	// ErrMalformed indicates that the destination could not be parsed
	// strictly; nothing about it was guessed.
	ErrMalformed = errors.New("anon: malformed destination")
)

// Policy denials (all wrap ErrDenied).
var (
	// ErrUnknownClass indicates a Class outside Anonymous..Authenticated,
	// including the zero Class.
	ErrUnknownClass error = &kindError{"anon: unknown caller class", "Forbidden", ErrDenied}
	// ErrNotConfigured indicates a nil Policy or one with no Domains: the
	// zero Policy denies every destination.
	ErrNotConfigured error = &kindError{"anon: policy has no domains", "Forbidden", ErrDenied}
	// ErrPSTN indicates a telephone-network destination for a caller class
	// that may not reach the PSTN, or a Policy with no PSTNPrefixes.
	ErrPSTN error = &kindError{"anon: pstn destination not allowed", "PSTN Not Allowed", ErrDenied}
	// ErrForeignDomain indicates an anonymous caller aiming at a host that
	// is not exactly one of the Policy's Domains.
	ErrForeignDomain error = &kindError{"anon: destination outside the site's domains", "Foreign Domain", ErrDenied}
	// ErrReservedHost indicates a host that is not a public DNS name
	// (single label, localhost, .local, .invalid, .internal, ...), which
	// could point the SIP stack at the server's own network.
	ErrReservedHost error = &kindError{"anon: destination host is not a public name", "Forbidden Host", ErrDenied}
	// ErrPremiumRate indicates a number matching a denied (premium-rate or
	// high-fraud) prefix. Denied prefixes win over allowed ones.
	ErrPremiumRate error = &kindError{"anon: premium-rate number denied", "Premium Rate Denied", ErrDenied}
	// ErrPrefixNotAllowed indicates an international number that matches
	// none of the Policy's PSTNPrefixes.
	ErrPrefixNotAllowed error = &kindError{"anon: number prefix not allowed", "Prefix Not Allowed", ErrDenied}
	// ErrNotE164 indicates a PSTN number that is not in international form
	// (+, 00 or 011), so its country and rate cannot be checked.
	ErrNotE164 error = &kindError{"anon: pstn number not in international form", "Number Not International", ErrDenied}
)

// Parse rejections (all wrap ErrMalformed).
var (
	// ErrTooLong indicates an empty target, or a target or user part longer
	// than the caps (MaxTargetLength, 64-byte user).
	ErrTooLong error = &kindError{"anon: destination empty or too long", "Malformed Destination", ErrMalformed}
	// ErrCharacter indicates a control character, whitespace or non-ASCII
	// byte outside a quoted display name.
	ErrCharacter error = &kindError{"anon: illegal character in destination", "Malformed Destination", ErrMalformed}
	// ErrScheme indicates a scheme other than sip:, sips: or tel:.
	ErrScheme error = &kindError{"anon: unsupported uri scheme", "Unsupported URI Scheme", ErrMalformed}
	// ErrEscaped indicates percent-encoding, which is always rejected.
	ErrEscaped error = &kindError{"anon: percent-encoding not allowed", "Malformed Destination", ErrMalformed}
	// ErrHeaders indicates URI headers ("?Route=...").
	ErrHeaders error = &kindError{"anon: uri headers not allowed", "Malformed Destination", ErrMalformed}
	// ErrPassword indicates a password in the userinfo ("user:pass@").
	ErrPassword error = &kindError{"anon: password in uri not allowed", "Malformed Destination", ErrMalformed}
	// ErrUser indicates a missing, empty or ill-formed user part.
	ErrUser error = &kindError{"anon: missing or invalid user part", "Address Incomplete", ErrMalformed}
	// ErrNumber indicates a user part that looks like a telephone number
	// but is not one unambiguously (letters among digits, misplaced +,
	// wrong length).
	ErrNumber error = &kindError{"anon: ambiguous or invalid telephone number", "Malformed Destination", ErrMalformed}
	// ErrHost indicates an ill-formed host: bad label, trailing dot,
	// numeric top label, or a punycode (xn--) label not listed in Domains.
	ErrHost error = &kindError{"anon: invalid host", "Malformed Destination", ErrMalformed}
	// ErrIPLiteral indicates an IPv4 or [IPv6] host.
	ErrIPLiteral error = &kindError{"anon: ip address host not allowed", "Malformed Destination", ErrMalformed}
	// ErrPort indicates an explicit port; routing is the server's job.
	ErrPort error = &kindError{"anon: port in uri not allowed", "Malformed Destination", ErrMalformed}
	// ErrParam indicates a URI parameter outside the allow-list (only
	// user=phone and user=ip on sip:, phone-context on numbers), a
	// duplicate parameter, or an empty one. maddr and transport are here.
	ErrParam error = &kindError{"anon: uri parameter not allowed", "Malformed Destination", ErrMalformed}
	// ErrNameAddr indicates a broken name-addr: unterminated quote, missing
	// angle brackets, or anything after '>'.
	ErrNameAddr error = &kindError{"anon: malformed name-addr", "Malformed Destination", ErrMalformed}
	// ErrDisplayName indicates a display name with control or
	// bidirectional-override characters, invalid UTF-8, or over 64 bytes.
	ErrDisplayName error = &kindError{"anon: invalid display name", "Malformed Destination", ErrMalformed}
)

// ErrConfig indicates a Policy field that can never match as written; see
// [Policy.Validate].
var ErrConfig = errors.New("anon: invalid policy")

// DeniedError records a policy denial. Its Error text never contains the
// target, so it is safe to log at any level and to map to a SIP status.
type DeniedError struct {
	Class  Class
	Target string // the target as given; it passed strict parsing, or is empty
	Reason error  // one of the sentinels that wrap ErrDenied
}

func (e *DeniedError) Error() string {
	return e.Reason.Error() + " (caller class " + e.Class.String() + ")"
}

// Unwrap returns the Reason, which itself wraps ErrDenied.
func (e *DeniedError) Unwrap() error { return e.Reason }

// ReasonPhrase returns a short, constant reason phrase for a SIP response
// (e.g. "403 PSTN Not Allowed") for an error returned by this package. It
// never echoes caller input and never contains CR or LF.
func ReasonPhrase(err error) string {
	var k *kindError
	if errors.As(err, &k) {
		return k.phrase
	}
	if errors.Is(err, ErrMalformed) {
		return "Malformed Destination"
	}
	return "Forbidden"
}
