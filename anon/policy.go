package anon

// Policy decides which destinations each Class of caller may reach. The
// zero Policy denies everything; a useful one names at least the site's
// Domains:
//
//	p := anon.Policy{Domains: []string{"example.com"}, MaxExtensionDigits: 6}
//
// A Policy is read-only after construction and safe for concurrent use.
type Policy struct {
	// Domains are the site's own SIP domains, exact lowercase host names
	// without a trailing dot (matching is ASCII case-insensitive, never by
	// suffix: "example.com.evil.net" is not "example.com"). Anonymous
	// callers may reach only these hosts. If empty, every Check fails with
	// ErrNotConfigured, whatever the class. A punycode (xn--) host is
	// accepted only if listed here.
	Domains []string

	// MaxExtensionDigits is the longest all-digit user that counts as an
	// in-domain extension rather than a telephone number. If zero or
	// negative, DefaultMaxExtensionDigits (6) is used; values above 15 are
	// treated as 15.
	MaxExtensionDigits int

	// PSTNPrefixes allow Authenticated callers to reach international
	// numbers that start with one of these E.164 prefixes, e.g. "+1",
	// "+44 20". Separators and '+' are ignored when matching. If empty, the
	// PSTN is denied to every class (ErrPSTN). Only numbers in
	// international form (+, 00, 011) can match; national and local
	// numbers are always denied (ErrNotE164).
	PSTNPrefixes []string

	// DeniedPrefixes are E.164 prefixes denied even when PSTNPrefixes
	// allow them (deny wins). They add to the built-in list
	// (DefaultDeniedPrefixes) unless ReplaceDefaultDeniedPrefixes is set.
	DeniedPrefixes []string

	// ReplaceDefaultDeniedPrefixes, if true, makes DeniedPrefixes the whole
	// deny list, dropping the built-in premium-rate list. If false (zero),
	// the built-in list always applies.
	ReplaceDefaultDeniedPrefixes bool
}

// Destination is a target that passed Check, normalised: scheme and host
// in lowercase, numbers without visual separators and with 00/011 turned
// into '+'. Route the Destination (its String), never the raw target, so
// the thing that was checked is the thing that is dialled.
type Destination struct {
	Scheme string // "sip", "sips" or "tel"
	User   string // user part; for a PSTN number the same as Number; empty for tel:
	Host   string // lowercase host; empty for tel:
	PSTN   bool   // the destination is a telephone-network number
	Number string // "+" and E.164 digits when PSTN, otherwise empty
}

// String re-serialises d as a URI: "sip:sales@example.com",
// "sip:+12125550100@example.com;user=phone" or "tel:+12125550100". The
// zero Destination gives "".
func (d Destination) String() string {
	switch {
	case d.Scheme == "":
		return ""
	case d.Scheme == "tel":
		return "tel:" + d.Number
	case d.PSTN:
		return d.Scheme + ":" + d.User + "@" + d.Host + ";user=phone"
	}
	return d.Scheme + ":" + d.User + "@" + d.Host
}

// Check parses target (a sip:, sips: or tel: URI, or a name-addr holding
// one) strictly and applies the rules for class. It returns the normalised
// Destination, or an error that wraps ErrMalformed (a parse rejection) or
// ErrDenied (a policy denial, as a *DeniedError), plus the specific
// sentinel saying why.
//
// Check is safe to call on a nil *Policy, which denies everything.
func (p *Policy) Check(class Class, target string) (Destination, error) {
	if !class.valid() {
		return Destination{}, &DeniedError{Class: class, Reason: ErrUnknownClass}
	}
	if p == nil || len(p.Domains) == 0 {
		return Destination{}, &DeniedError{Class: class, Reason: ErrNotConfigured}
	}
	u, err := parseTarget(target)
	if err != nil {
		return Destination{}, err
	}
	info, err := classifyUser(u.user, u.userPhone || u.phoneContext, p.maxExtensionDigits())
	if err != nil {
		return Destination{}, err
	}
	deny := func(reason error) (Destination, error) {
		return Destination{}, &DeniedError{Class: class, Target: target, Reason: reason}
	}

	var host string
	inDomain := false
	if u.scheme != "tel" {
		host, inDomain = p.matchDomain(u.host)
		if !inDomain && hasPunycodeLabel(host) {
			return Destination{}, ErrHost
		}
	}
	if info.pstn && class != Authenticated {
		return deny(ErrPSTN)
	}
	if u.scheme != "tel" && !inDomain {
		if class == Anonymous {
			return deny(ErrForeignDomain)
		}
		if isReservedHost(host) {
			return deny(ErrReservedHost)
		}
	}
	if info.pstn {
		if reason := p.checkNumber(info); reason != nil {
			return deny(reason)
		}
	}
	d := Destination{Scheme: u.scheme, User: info.user, Host: host, PSTN: info.pstn}
	if info.pstn {
		d.Number = info.number
		if u.scheme == "tel" {
			d.User = ""
		}
	}
	return d, nil
}

// checkNumber applies the PSTN rules for an Authenticated caller.
func (p *Policy) checkNumber(info userInfo) error {
	if len(p.PSTNPrefixes) == 0 {
		return ErrPSTN
	}
	if !info.intl {
		return ErrNotE164
	}
	if !p.ReplaceDefaultDeniedPrefixes {
		if isDefaultDenied(info.number) {
			return ErrPremiumRate
		}
	}
	for _, prefix := range p.DeniedPrefixes {
		if hasNumberPrefix(info.number, prefix) {
			return ErrPremiumRate
		}
	}
	for _, prefix := range p.PSTNPrefixes {
		if hasNumberPrefix(info.number, prefix) {
			return nil
		}
	}
	return ErrPrefixNotAllowed
}

// matchDomain returns host in lowercase and whether it is one of Domains.
// A lowercase configured domain is returned as-is, so the common path
// does not allocate.
func (p *Policy) matchDomain(host string) (string, bool) {
	for _, d := range p.Domains {
		if equalFold(host, d) {
			if lowerASCII(d) == d {
				return d, true
			}
			return lowerASCII(host), true
		}
	}
	return lowerASCII(host), false
}

func (p *Policy) maxExtensionDigits() int {
	switch n := p.MaxExtensionDigits; {
	case n <= 0:
		return DefaultMaxExtensionDigits
	case n > maxNumberDigits:
		return maxNumberDigits
	default:
		return n
	}
}
