package anon

import "strconv"

// Class is what the server knows about a caller, which decides how far the
// caller may reach. The zero Class is invalid and every Check with it fails
// with [ErrUnknownClass]. The class must come from the server's own
// authentication state (digest, token), never from a From header: a From
// URI is chosen by the caller.
type Class int

const (
	// Anonymous is a visitor with a generated anonymous.invalid identity.
	// It may call only users, queues and short extensions whose host is
	// exactly one of the Policy's Domains; never a third-party domain,
	// never the PSTN.
	Anonymous Class = iota + 1
	// Unauthenticated is an in-domain user agent that was not challenged.
	// It may call any public SIP address, never the PSTN.
	Unauthenticated
	// Authenticated passed digest authentication or presented a valid
	// token. It may also call the PSTN, within the Policy's prefixes.
	Authenticated
)

// String returns "anonymous", "unauthenticated", "authenticated", or
// "Class(n)" for an invalid value.
func (c Class) String() string {
	switch c {
	case Anonymous:
		return "anonymous"
	case Unauthenticated:
		return "unauthenticated"
	case Authenticated:
		return "authenticated"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

func (c Class) valid() bool { return c >= Anonymous && c <= Authenticated }
