package anon

import "strings"

// DefaultMaxExtensionDigits is used when Policy.MaxExtensionDigits is zero
// or negative.
const DefaultMaxExtensionDigits = 6

// maxNumberDigits is the E.164 maximum; it also caps MaxExtensionDigits.
const maxNumberDigits = 15

// defaultDeniedPrefixes lists premium-rate and high-fraud E.164 prefixes
// that are denied unless Policy.ReplaceDefaultDeniedPrefixes is set. It is
// a constant (not a slice) so nobody can change it at run time. Reasons:
//
//	+1900 +1976            NANP premium-rate and legacy "976" pay-per-call
//	+1242 +1246 +1264 +1268 +1284 +1345 +1441 +1473 +1649 +1658 +1664
//	+1721 +1758 +1767 +1784 +1809 +1829 +1849 +1868 +1869 +1876
//	                       Caribbean and Atlantic countries inside NANP: look
//	                       like +1 domestic calls but are billed as
//	                       international, the classic "one ring" scam targets
//	+449 +4470 +44871 +44872 +44873
//	                       UK premium (09), personal numbers (070, heavily
//	                       abused), revenue-sharing 0871-0873
//	+49900 +49137          Germany premium (0900) and mass-traffic (0137)
//	+3389                  France premium (089x)
//	+3989                  Italy premium (89x)
//	+34803 +34806 +34807 +34905
//	                       Spain premium (803/806/807) and televoting (905)
//	+3190 +3290 +4190      Netherlands, Belgium, Switzerland premium (090x)
//	+43900 +43930 +43939   Austria value-added services
//	+4870                  Poland premium (70x)
//	+6119                  Australia premium (19xx)
//	+808 +870 +881 +882 +883 +979
//	                       ITU non-geographic codes: shared-cost, Inmarsat,
//	                       satellite GMSS, international networks, and
//	                       international premium-rate service
const defaultDeniedPrefixes = "+1900,+1976," +
	"+1242,+1246,+1264,+1268,+1284,+1345,+1441,+1473,+1649,+1658,+1664," +
	"+1721,+1758,+1767,+1784,+1809,+1829,+1849,+1868,+1869,+1876," +
	"+449,+4470,+44871,+44872,+44873," +
	"+49900,+49137,+3389,+3989,+34803,+34806,+34807,+34905," +
	"+3190,+3290,+4190,+43900,+43930,+43939,+4870,+6119," +
	"+808,+870,+881,+882,+883,+979"

// DefaultDeniedPrefixes returns a fresh copy of the built-in deny list (see
// the package documentation for the reason behind each entry). To keep most
// of it but drop an entry, filter this slice into Policy.DeniedPrefixes and
// set Policy.ReplaceDefaultDeniedPrefixes.
func DefaultDeniedPrefixes() []string {
	return strings.Split(defaultDeniedPrefixes, ",")
}

// isDefaultDenied reports whether the international number starts with an
// entry of defaultDeniedPrefixes. It is the same list written as a switch
// per prefix length (TestDefaultDeniedSwitch keeps the two in step), which
// is about ten times faster than scanning the string.
func isDefaultDenied(number string) bool {
	if len(number) >= 4 {
		switch number[:4] {
		case "+449", "+808", "+870", "+881", "+882", "+883", "+979":
			return true
		}
	}
	if len(number) >= 5 {
		switch number[:5] {
		case "+1900", "+1976",
			"+1242", "+1246", "+1264", "+1268", "+1284", "+1345", "+1441", "+1473",
			"+1649", "+1658", "+1664", "+1721", "+1758", "+1767", "+1784", "+1809",
			"+1829", "+1849", "+1868", "+1869", "+1876",
			"+4470", "+3389", "+3989", "+3190", "+3290", "+4190", "+4870", "+6119":
			return true
		}
	}
	if len(number) >= 6 {
		switch number[:6] {
		case "+44871", "+44872", "+44873", "+49900", "+49137",
			"+34803", "+34806", "+34807", "+34905", "+43900", "+43930", "+43939":
			return true
		}
	}
	return false
}

// userInfo is what a user part turned out to be.
type userInfo struct {
	user   string // normalised: digits for numbers, as written for names
	number string // "+digits" (international) or "digits" (local); PSTN only
	pstn   bool
	intl   bool // number is "+digits", comparable with prefixes
}

// classifyUser decides whether a user part is a name, a short extension or
// a telephone number. A user is treated as a number if, once the visual
// separators "-.()" are removed, it starts with '+', is more than half
// digits, has more than maxExt digits, or starts with a digit and is longer
// than maxExt; or if the URI said so (tel:, user=phone, phone-context). A
// number must then be digits only (after an optional leading '+'):
// anything else, such as "1800FLOWERS", is rejected, not guessed.
func classifyUser(user string, forced bool, maxExt int) (userInfo, error) {
	n, digits, seps := 0, 0, 0
	var first byte
	for i := 0; i < len(user); i++ {
		c := user[i]
		if isVisualSeparator(c) {
			seps++
			continue
		}
		if n == 0 {
			first = c
		}
		n++
		if isDigit(c) {
			digits++
		}
	}
	if n == 0 {
		return userInfo{}, ErrUser
	}
	numberLike := forced || first == '+' || digits*2 > n || digits > maxExt ||
		(isDigit(first) && n > maxExt)
	if !numberLike {
		return userInfo{user: user}, nil
	}
	plus := 0
	if first == '+' {
		plus = 1
	}
	if digits != n-plus || digits > maxNumberDigits+3 {
		return userInfo{}, ErrNumber
	}
	// Find an international prefix (011 in NANP, 00 elsewhere) among
	// the first digits, then compact "+1-900-555" or "011 1 900 555" into
	// "+1900555" with at most one allocation.
	var lead [3]byte
	k := 0
	for i := 0; i < len(user) && k < len(lead); i++ {
		if isDigit(user[i]) {
			lead[k] = user[i]
			k++
		}
	}
	intl, skip := plus == 1, 0
	switch {
	case intl:
	case k == 3 && lead == [3]byte{'0', '1', '1'}:
		intl, skip = true, 3
	case k >= 2 && lead[0] == '0' && lead[1] == '0':
		intl, skip = true, 2
	}
	number := user
	if seps > 0 || skip > 0 {
		var buf [maxUserLength + 1]byte
		n := 0
		if intl {
			buf[n] = '+'
			n++
		}
		for i := 0; i < len(user); i++ {
			if c := user[i]; isDigit(c) {
				if skip > 0 {
					skip--
					continue
				}
				buf[n] = c
				n++
			}
		}
		number = string(buf[:n])
	}
	if intl {
		return e164(number, number[1:])
	}
	if forced || digits > maxExt || isServiceCode(number) {
		return userInfo{user: number, number: number, pstn: true}, nil
	}
	return userInfo{user: number}, nil // a short extension
}

// e164 checks an international number: 3 to 15 digits, no leading zero.
func e164(number, digits string) (userInfo, error) {
	if len(digits) < 3 || len(digits) > maxNumberDigits || digits[0] == '0' {
		return userInfo{}, ErrNumber
	}
	return userInfo{user: number, number: number, pstn: true, intl: true}, nil
}

// isServiceCode reports short codes that a PBX hands to the PSTN even
// though they are as short as an extension: emergency numbers (911, 112,
// 999, 000, and 9911/9112 behind an outside-line 9) and directory
// enquiries (118xx, 118xxx), some of them premium-rate.
func isServiceCode(d string) bool {
	switch d {
	case "911", "112", "999", "000", "9911", "9112", "9999":
		return true
	}
	return len(d) >= 5 && strings.HasPrefix(d, "118")
}

// hasNumberPrefix reports whether the international number "+digits"
// starts with prefix. '+' and visual separators (and spaces) in prefix are
// ignored, so "+44 9", "44-9" and "+449" are the same prefix. A prefix
// with no digit, or with any other character, never matches.
func hasNumberPrefix(number, prefix string) bool {
	i := 1 // number[0] is '+'
	digits := 0
	for j := 0; j < len(prefix); j++ {
		c := prefix[j]
		switch {
		case isDigit(c):
			if i >= len(number) || number[i] != c {
				return false
			}
			i++
			digits++
		case c == '+' || c == ' ' || isVisualSeparator(c):
		default:
			return false
		}
	}
	return digits > 0
}

// isReservedHost reports whether host is a single label (an intranet name)
// or ends in a top label that never names a public SIP service: RFC 6761
// special-use names, RFC 6762 .local, RFC 8375 home.arpa (and all of
// .arpa), .internal (ICANN 2024), .onion, and common intranet suffixes.
func isReservedHost(host string) bool {
	dot := strings.LastIndexByte(host, '.')
	if dot < 0 {
		return true
	}
	tld := host[dot+1:]
	reservedTLDs := [...]string{"localhost", "local", "invalid", "test", "example", "internal",
		"arpa", "onion", "lan", "home", "corp", "localdomain", "intranet", "private"}
	for _, name := range reservedTLDs {
		if equalFold(tld, name) {
			return true
		}
	}
	return false
}
