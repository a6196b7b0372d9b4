package anon

import "strings"

// testPolicy is the policy most table cases run against.
func testPolicy() *Policy {
	return &Policy{
		Domains:      []string{"example.com", "pbx.example.org", "xn--bcher-kva.example"},
		PSTNPrefixes: []string{"+1", "+44", "+49 30", "+881 6"},
	}
}

const (
	A = Anonymous
	U = Unauthenticated
	X = Authenticated
)

type checkCase struct {
	class  Class
	target string
	want   string // Destination.String() when allowed
	err    error  // the specific sentinel when rejected
}

var checkCases = []checkCase{
	// Anonymous: in-domain users, queues and extensions.
	{A, "sip:sales@example.com", "sip:sales@example.com", nil},
	{A, "sips:sales@example.com", "sips:sales@example.com", nil},
	{A, "SIP:sales@EXAMPLE.COM", "sip:sales@example.com", nil},
	{A, "sip:Sales.Team@example.com", "sip:Sales.Team@example.com", nil},
	{A, "sip:queue_support@pbx.example.org", "sip:queue_support@pbx.example.org", nil},
	{A, "sip:sales+eu@example.com", "sip:sales+eu@example.com", nil},
	{A, "sip:100@example.com", "sip:100@example.com", nil},
	{A, "sip:123456@example.com", "sip:123456@example.com", nil},
	{A, "sip:1-00@example.com", "sip:100@example.com", nil},
	{A, "sip:0@example.com", "sip:0@example.com", nil},
	{A, "sip:ab12@example.com", "sip:ab12@example.com", nil},
	{A, "sip:sales@example.com;user=ip", "sip:sales@example.com", nil},
	{A, `"Sales" <sip:sales@example.com>`, "sip:sales@example.com", nil},
	{A, `"Sa\"les \\ Dept" <sip:sales@example.com>`, "sip:sales@example.com", nil},
	{A, `"Ventes Zürich" <sip:sales@example.com>`, "sip:sales@example.com", nil},
	{A, `Sales Dept <sip:sales@example.com>`, "sip:sales@example.com", nil},
	{A, `<sip:sales@example.com>`, "sip:sales@example.com", nil},
	{A, "sip:info@xn--bcher-kva.example", "sip:info@xn--bcher-kva.example", nil},

	// Anonymous: never a third-party domain.
	{A, "sip:sales@example.net", "", ErrForeignDomain},
	{A, "sip:sales@example.com.evil.net", "", ErrForeignDomain},
	{A, "sip:sales@evil-example.com", "", ErrForeignDomain},
	{A, "sip:sales@sub.example.com", "", ErrForeignDomain},
	{A, "sip:sales@example.org", "", ErrForeignDomain},
	{A, "sip:sales@anonymous.invalid", "", ErrForeignDomain},
	{A, "sip:sales@localhost", "", ErrForeignDomain},
	{A, `"example.com" <sip:sales@evil.net>`, "", ErrForeignDomain},
	{A, "sip:sales@examp1e.com", "", ErrForeignDomain},

	// Anonymous: never the PSTN, however it is spelt.
	{A, "tel:+12125550100", "", ErrPSTN},
	{A, "tel:5550100;phone-context=+1212", "", ErrPSTN},
	{A, "sip:+12125550100@example.com", "", ErrPSTN},
	{A, "sip:+1-900-555-0100@example.com", "", ErrPSTN},
	{A, "sip:(+1)900.555.0100@example.com", "", ErrPSTN},
	{A, "sip:0044207946000@example.com", "", ErrPSTN},
	{A, "sip:011442079460000@example.com", "", ErrPSTN},
	{A, "sip:0044@example.com", "", ErrNumber}, // "+44" alone is no number
	{A, "sip:2125550100@example.com", "", ErrPSTN},
	{A, "sip:1234567@example.com", "", ErrPSTN},
	{A, "sip:9-1-212-555-0100@example.com", "", ErrPSTN},
	{A, "sip:100@example.com;user=phone", "", ErrPSTN},
	{A, "sip:5550100;phone-context=+1212@example.com", "", ErrPSTN},
	{A, "sip:5550100;phone-context=example.com@example.com", "", ErrPSTN},
	{A, "sip:911@example.com", "", ErrPSTN},
	{A, "sip:112@example.com", "", ErrPSTN},
	{A, "sip:118118@example.com", "", ErrPSTN},
	{A, "sip:+12125550100@evil.net", "", ErrPSTN},

	// Unauthenticated: any public SIP address, never the PSTN.
	{U, "sip:bob@example.net", "sip:bob@example.net", nil},
	{U, "sip:bob@Sip.Partner.CO.uk", "sip:bob@sip.partner.co.uk", nil},
	{U, "sips:bob@example.com.evil.net", "sips:bob@example.com.evil.net", nil},
	{U, "sip:100@example.com", "sip:100@example.com", nil},
	{U, "sip:conference-7@sip.example.net", "sip:conference-7@sip.example.net", nil},
	{U, "tel:+442079460000", "", ErrPSTN},
	{U, "sip:+442079460000@example.net", "", ErrPSTN},
	{U, "sip:0044-20-7946-0000@example.net", "", ErrPSTN},
	{U, "sip:12125550100@example.com", "", ErrPSTN},
	{U, "sip:bob@localhost", "", ErrReservedHost},
	{U, "sip:bob@voip.localhost", "", ErrReservedHost},
	{U, "sip:bob@printer.local", "", ErrReservedHost},
	{U, "sip:bob@db.internal", "", ErrReservedHost},
	{U, "sip:bob@intranet", "", ErrReservedHost},
	{U, "sip:bob@anonymous.invalid", "", ErrReservedHost},
	{U, "sip:bob@router.home.arpa", "", ErrReservedHost},
	{U, "sip:bob@x.onion", "", ErrReservedHost},

	// Authenticated: PSTN within the prefixes, premium rate denied.
	{X, "tel:+12125550100", "tel:+12125550100", nil},
	{X, "tel:+1-212-555-0100", "tel:+12125550100", nil},
	{X, "tel:+1.212.555.0100", "tel:+12125550100", nil},
	{X, "tel:+1(212)555-0100", "tel:+12125550100", nil},
	{X, "sip:+12125550100@example.com", "sip:+12125550100@example.com;user=phone", nil},
	{X, "sip:+12125550100@example.com;user=phone", "sip:+12125550100@example.com;user=phone", nil},
	{X, "sip:011-1-212-555-0100@example.com", "sip:+12125550100@example.com;user=phone", nil},
	{X, "sip:00442079460000@example.com", "sip:+442079460000@example.com;user=phone", nil},
	{X, "sip:+49-30-1234567@example.com", "sip:+49301234567@example.com;user=phone", nil},
	{X, `"Support" <tel:+44-20-7946-0000>`, "tel:+442079460000", nil},
	{X, "sip:bob@example.net", "sip:bob@example.net", nil},
	{X, "sip:100@example.com", "sip:100@example.com", nil},
	{X, "tel:+1-900-555-0100", "", ErrPremiumRate},
	{X, "sip:+19005550100@example.com", "", ErrPremiumRate},
	{X, "sip:011-1-976-555-0100@example.com", "", ErrPremiumRate},
	{X, "sip:0119765550100@example.com", "", ErrPrefixNotAllowed}, // +976 is Mongolia
	{X, "sip:001-900-555-0100@example.com", "", ErrPremiumRate},
	{X, "tel:+44-909-879-0000", "", ErrPremiumRate},
	{X, "tel:+44 871", "", ErrCharacter},
	{X, "tel:+44-871-123-4567", "", ErrPremiumRate},
	{X, "tel:+447012345678", "", ErrPremiumRate},
	{X, "tel:+1-876-555-0100", "", ErrPremiumRate},  // Jamaica inside +1
	{X, "tel:+1-809-555-0100", "", ErrPremiumRate},  // Dominican Republic
	{X, "tel:+881-6-1234-5678", "", ErrPremiumRate}, // satellite: deny beats allow
	{X, "tel:+49-900-1234567", "", ErrPremiumRate},
	{X, "tel:+49-89-1234567", "", ErrPrefixNotAllowed},
	{X, "tel:+33-1-23-45-67-89", "", ErrPrefixNotAllowed},
	{X, "tel:+61-2-9876-5432", "", ErrPrefixNotAllowed},
	{X, "tel:5550100;phone-context=+1212", "", ErrNotE164},
	{X, "sip:2125550100@example.com", "", ErrNotE164},
	{X, "sip:100@example.com;user=phone", "", ErrNotE164},
	{X, "sip:911@example.com", "", ErrNotE164},
	{X, "sip:+12125550100@localhost", "", ErrReservedHost},

	// Class and configuration.
	{0, "sip:sales@example.com", "", ErrUnknownClass},
	{Class(4), "sip:sales@example.com", "", ErrUnknownClass},
	{Class(-1), "sip:sales@example.com", "", ErrUnknownClass},

	// Strict parsing: characters, lengths, schemes.
	{A, "", "", ErrTooLong},
	{A, "sip:" + strings.Repeat("a", 65) + "@example.com", "", ErrTooLong},
	{A, "sip:a@" + strings.Repeat("a.", 130) + "com", "", ErrTooLong},
	{A, "sip:sales@example.com ", "", ErrCharacter},
	{A, " sip:sales@example.com", "", ErrCharacter},
	{A, "sip:sa les@example.com", "", ErrCharacter},
	{A, "sip:sales@example.com\r\nRoute: <sip:evil.net>", "", ErrCharacter},
	{A, "sip:sales\x00@example.com", "", ErrCharacter},
	{A, "sip:sales@exämple.com", "", ErrCharacter},
	{A, "sip:sales@example.com\t", "", ErrCharacter},
	{A, "sip:sales@example\x7f.com", "", ErrCharacter},
	{A, "http://example.com/", "", ErrScheme},
	{A, "mailto:sales@example.com", "", ErrScheme},
	{A, "sales@example.com", "", ErrScheme},
	{A, ":sales@example.com", "", ErrScheme},
	{A, "sipx:sales@example.com", "", ErrScheme},

	// Percent-encoding, headers, passwords.
	{A, "sip:sal%65s@example.com", "", ErrEscaped},
	{A, "sip:sales@example%2ecom", "", ErrEscaped},
	{A, "sip:%2B19005550100@example.com", "", ErrEscaped},
	{A, "sip:sales@example.com?Route=%3Csip:evil.net%3E", "", ErrHeaders},
	{A, "sip:sales@example.com?Route=sip:evil.net", "", ErrHeaders},
	{A, "sip:sales@example.com?subject=x", "", ErrHeaders},
	{A, "sip:sales:secret@example.com", "", ErrPassword},
	{A, "sip:sales:@example.com", "", ErrPassword},

	// Users.
	{A, "sip:example.com", "", ErrUser},
	{A, "sip:@example.com", "", ErrUser},
	{A, "sip:;phone-context=+1@example.com", "", ErrUser},
	{A, "sip:*72@example.com", "", ErrUser},
	{A, "sip:sa/les@example.com", "", ErrUser},
	{A, "sip:a&b=c@example.com", "", ErrUser},
	{A, "sip:---@example.com", "", ErrUser},
	{A, "sip:evil.net@example.com@evil.net", "", ErrHost},

	// Numbers that are not unambiguous.
	{X, "sip:1800FLOWERS@example.com", "", ErrNumber},
	{X, "sip:1900cash@example.com", "", ErrNumber},
	{X, "sip:a123@example.com", "", ErrNumber},
	{X, "sip:1+900555@example.com", "", ErrNumber},
	{X, "sip:+1900x5550100@example.com", "", ErrNumber},
	{X, "sip:sales@example.com;user=phone", "", ErrNumber},
	{X, "sip:+0123456@example.com", "", ErrNumber},
	{X, "sip:+12@example.com", "", ErrNumber},
	{X, "sip:+1234567890123456@example.com", "", ErrNumber},
	{X, "sip:00@example.com", "", ErrNumber},
	{X, "tel:", "", ErrNumber},
	{X, "tel:5550100", "", ErrNumber},
	{X, "tel:+1-900-CASH", "", ErrNumber},
	{X, "tel:+1-212-555-0100;ext=123", "", ErrParam},
	{X, "tel:+1-212-555-0100;phone-context=+1", "", ErrParam},
	{X, "tel:*72;phone-context=example.com", "", ErrNumber},
	{X, "tel:+", "", ErrNumber},

	// Hosts.
	{U, "sip:bob@192.0.2.1", "", ErrIPLiteral},
	{U, "sip:bob@127.0.0.1", "", ErrIPLiteral},
	{U, "sip:bob@2130706433", "", ErrIPLiteral},
	{U, "sip:bob@0x7f.0.0.1", "", ErrHost},
	{U, "sip:bob@0x7f000001", "", ErrHost},
	{U, "sip:bob@[::1]", "", ErrIPLiteral},
	{U, "sip:bob@[2001:db8::1]:5060", "", ErrIPLiteral},
	{A, "sip:sales@example.com.", "", ErrHost},
	{A, "sip:sales@.example.com", "", ErrHost},
	{A, "sip:sales@example..com", "", ErrHost},
	{A, "sip:sales@-example.com", "", ErrHost},
	{A, "sip:sales@example-.com", "", ErrHost},
	{A, "sip:sales@exa_mple.com", "", ErrHost},
	{A, "sip:sales@", "", ErrHost},
	{A, "sip:sales@" + strings.Repeat("a", 64) + ".com", "", ErrHost},
	{U, "sip:bob@xn--e1afmkfd.xn--p1ai", "", ErrHost},
	{U, "sip:bob@xn--pple-43d.com", "", ErrHost},
	{A, "sip:sales@XN--80ak6aa92e.com", "", ErrHost},

	// Ports and parameters.
	{A, "sip:sales@example.com:5060", "", ErrPort},
	{A, "sip:sales@example.com:", "", ErrPort},
	{A, "sip:sales@example.com;maddr=evil.net", "", ErrParam},
	{A, "sip:sales@example.com;transport=tcp", "", ErrParam},
	{A, "sip:sales@example.com;lr", "", ErrParam},
	{A, "sip:sales@example.com;user=ip;maddr=evil.net", "", ErrParam},
	{A, "sip:sales@example.com;user=ip;user=ip", "", ErrParam},
	{A, "sip:sales@example.com;", "", ErrParam},
	{A, "sip:sales@example.com;;user=ip", "", ErrParam},
	{A, "sip:sales@example.com;user=dialstring", "", ErrParam},
	{A, "sip:sales;x=1@example.com", "", ErrParam},
	{A, "sip:555;phone-context=@example.com", "", ErrParam},
	{A, "sip:555;phone-context=+@example.com", "", ErrParam},

	// Name-addr framing.
	{A, `"Sales" <sip:sales@example.com>;tag=1`, "", ErrNameAddr},
	{A, `"Sales" <sip:sales@example.com> `, "", ErrNameAddr},
	{A, `"Sales <sip:sales@example.com>`, "", ErrNameAddr},
	{A, `"Sales" sip:sales@example.com`, "", ErrNameAddr},
	{A, `<sip:sales@example.com`, "", ErrNameAddr},
	{A, `<>`, "", ErrScheme},
	{A, `<<sip:sales@example.com>>`, "", ErrNameAddr},
	{A, `"Sales" <sip:sales@evil.net> <sip:sales@example.com>`, "", ErrNameAddr},
	{A, "\"Sa\rles\" <sip:sales@example.com>", "", ErrCharacter},
	{A, "\"Sa\\\nles\" <sip:sales@example.com>", "", ErrCharacter},
	{A, "\"\xff\xfe\" <sip:sales@example.com>", "", ErrCharacter},
	{A, `Sa"les <sip:sales@example.com>`, "", ErrCharacter},
	{A, "sip:sales@example.com>", "", ErrNameAddr},
}
