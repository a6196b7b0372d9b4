package anon_test

import (
	"errors"
	"fmt"

	"github.com/webdial/webdial/anon"
)

func Example() {
	p := &anon.Policy{
		Domains:      []string{"example.com"},
		PSTNPrefixes: []string{"+1"},
	}

	dst, err := p.Check(anon.Anonymous, `"Sales" <sip:Sales@EXAMPLE.com>`)
	fmt.Println(dst, err)

	_, err = p.Check(anon.Anonymous, "sip:+1-212-555-0100@example.com")
	fmt.Println(errors.Is(err, anon.ErrPSTN), anon.ReasonPhrase(err))

	_, err = p.Check(anon.Anonymous, "sip:sales@example.com.evil.net")
	fmt.Println(errors.Is(err, anon.ErrForeignDomain))

	dst, err = p.Check(anon.Authenticated, "tel:+1-212-555-0100")
	fmt.Println(dst, dst.Number, err)

	_, err = p.Check(anon.Authenticated, "tel:+1-900-555-0100")
	fmt.Println(errors.Is(err, anon.ErrPremiumRate), errors.Is(err, anon.ErrDenied))

	_, err = p.Check(anon.Authenticated, "sip:sales@example.com;maddr=evil.net")
	fmt.Println(errors.Is(err, anon.ErrMalformed))

	id, _ := anon.NewIdentity("Web visitor")
	fmt.Println(anon.IsAnonymous(id.String()), anon.IsAnonymous("sip:sales@example.com"))
	// Output:
	// sip:Sales@example.com <nil>
	// true PSTN Not Allowed
	// true
	// tel:+12125550100 +12125550100 <nil>
	// true true
	// true
	// true false
}
