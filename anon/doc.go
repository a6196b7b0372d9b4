// Package anon gives website visitors anonymous SIP identities and decides,
// deny by default, which destinations each kind of caller may reach, so that
// a click-to-call button can never make the site's PBX call a third-party
// service or a premium-rate number.
//
// For most uses, give each visitor an identity with [NewIdentity], keep a
// [Policy] naming the site's own domains, and call [Policy.Check] with the
// caller's [Class] before routing anything; route the returned
// [Destination], never the raw target:
//
//	p := &anon.Policy{Domains: []string{"example.com"}}
//	dst, err := p.Check(anon.Anonymous, `"Sales" <sip:sales@example.com>`)
//	if err != nil {
//		// errors.Is(err, anon.ErrDenied) or anon.ErrMalformed;
//		// anon.ReasonPhrase(err) is a safe SIP reason phrase.
//	}
//
// # Caller classes
//
// The rules follow OnSIP's InstaCall model. An [Anonymous] caller may reach
// only sip:/sips: addresses whose host is exactly one of Policy.Domains
// (users, queues, short extensions). An [Unauthenticated] caller may reach
// any public SIP address. Only an [Authenticated] caller may reach the PSTN,
// and only international numbers matching Policy.PSTNPrefixes and none of the
// denied prefixes. The class must come from the server's authentication
// state, never from a header the caller wrote.
//
// # Telephone numbers
//
// A target is a telephone number if it is a tel: URI, carries user=phone or
// phone-context, starts with '+', 00 or 011, or its user part, after removing
// the RFC 3966 visual separators "-.()", is mostly digits, has more than
// MaxExtensionDigits digits, or is an emergency or directory short code. A
// number-like user part that is not purely digits is rejected (ErrNumber),
// not guessed. Numbers are normalised to "+" and digits; national and local
// numbers can never be allowed because their rate cannot be known.
//
// The built-in deny list ([DefaultDeniedPrefixes]) covers premium-rate ranges
// (+1900, +1976, +449, +44871-3, +4470, +49900, +49137, +3389, +3989,
// +34803/6/7, +34905, +3190, +3290, +4190, Austria +43900/+43930/+43939,
// +4870, +6119), the Caribbean countries inside the +1 plan, which are billed
// as international, and the ITU non-geographic codes +808, +870, +881, +882,
// +883 and +979. Policy.DeniedPrefixes adds to it; set
// Policy.ReplaceDefaultDeniedPrefixes to replace it.
//
// # Strict parsing
//
// Parsing rejects rather than guesses: percent-encoding, URI headers, any
// URI parameter except user=phone and user=ip (so maddr, transport and lr are
// refused), ports, passwords, IP-address hosts, trailing dots, numeric top
// labels, punycode hosts not listed in Domains, control characters,
// whitespace, non-ASCII outside a quoted display name, empty users, and
// targets longer than [MaxTargetLength]. Hosts outside Domains that are not
// public names (single labels, localhost, .local, .internal, .invalid, ...)
// are denied to every class. Check does not allocate on the common path and
// never uses regular expressions or net/url.
package anon
