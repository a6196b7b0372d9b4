package anon

import "fmt"

// Validate reports configuration that can never behave as written: no
// Domains, a domain that is not an exact lowercase host name (trailing
// dot, uppercase, IP address, port), or a prefix that is not "+" and
// digits with optional separators. Check never fails open on such
// entries (they simply never match), but a server should call Validate
// at start-up so the mistake is seen. Errors wrap ErrConfig and may quote
// the configuration (never caller input).
func (p *Policy) Validate() error {
	if p == nil || len(p.Domains) == 0 {
		return fmt.Errorf("%w: no domains", ErrConfig)
	}
	for _, d := range p.Domains {
		if err := checkHost(d); err != nil || lowerASCII(d) != d {
			return fmt.Errorf("%w: domain %q is not a lowercase host name", ErrConfig, d)
		}
	}
	for _, list := range [][]string{p.PSTNPrefixes, p.DeniedPrefixes} {
		for _, prefix := range list {
			if !validPrefix(prefix) {
				return fmt.Errorf("%w: prefix %q is not +digits", ErrConfig, prefix)
			}
		}
	}
	return nil
}

func validPrefix(prefix string) bool {
	if len(prefix) == 0 || prefix[0] != '+' {
		return false
	}
	digits := 0
	for i := 1; i < len(prefix); i++ {
		switch c := prefix[i]; {
		case isDigit(c):
			digits++
		case c == ' ' || isVisualSeparator(c):
		default:
			return false
		}
	}
	return digits > 0
}
