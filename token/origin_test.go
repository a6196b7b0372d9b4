package token

import (
	"errors"
	"testing"
)

func TestParseOrigin(t *testing.T) {
	good := map[string]string{
		"https://example.com":           "https://example.com",
		"HTTPS://Example.COM":           "https://example.com",
		"https://example.com:443":       "https://example.com",
		"http://example.com:80":         "http://example.com",
		"http://example.com:443":        "http://example.com:443",
		"https://example.com:8443":      "https://example.com:8443",
		"https://127.0.0.1:5000":        "https://127.0.0.1:5000",
		"http://[::1]:8080":             "http://[::1]:8080",
		"https://[2001:DB8::1]":         "https://[2001:db8::1]",
		"https://example.com.":          "https://example.com.",
		"https://a-b_c.example.co.uk":   "https://a-b_c.example.co.uk",
		"https://xn--bcher-kva.example": "https://xn--bcher-kva.example",
	}
	for in, want := range good {
		got, err := ParseOrigin(in)
		if err != nil || got != want {
			t.Errorf("ParseOrigin(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", "null", "example.com", "//example.com", "ftp://example.com", "ws://example.com",
		"https://", "https://example.com/", "https://example.com/path", "https://example.com?q",
		"https://example.com#f", "https://user@example.com", "https://user:pw@example.com",
		"https://*.example.com", "https://example.com:", "https://example.com:0", "https://example.com:65536",
		"https://example.com:08443", "https://example.com:+443", "https://example.com:http",
		"https://exa mple.com", "https://bücher.example", "https://example..com", "https://.example.com",
		"https://[::1", "https://[::1]x", "https://[fe80::1%25eth0]", "https://example.com\\@evil.net",
		"https://example.com\x00", "https://a:b:c",
	}
	for _, in := range bad {
		if got, err := ParseOrigin(in); !errors.Is(err, ErrOrigin) {
			t.Errorf("ParseOrigin(%q) = %q, %v; want ErrOrigin", in, got, err)
		}
	}
}

func TestOriginsAllowed(t *testing.T) {
	o, err := ParseOrigins("https://example.com", "http://localhost:8080", "https://example.com")
	if err != nil {
		t.Fatal(err)
	}
	if l := o.List(); len(l) != 2 {
		t.Errorf("duplicates kept: %v", l)
	}
	for _, in := range []string{"https://example.com", "https://example.com:443", "HTTPS://EXAMPLE.COM", "http://localhost:8080"} {
		if !o.Allowed(in) {
			t.Errorf("%q refused", in)
		}
	}
	for _, in := range []string{
		"", "null", "https://example.com.evil.net", "https://evil-example.com", "https://evilexample.com",
		"https://example.com.", "https://sub.example.com", "http://example.com", "https://example.com:8443",
		"https://example.co", "https://example.com/", "https://example.com@evil.net", "example.com",
		"https://xexample.com", "http://localhost", "http://localhost:80", "https://localhost:8080",
		" https://example.com", "https://example.com ",
	} {
		if o.Allowed(in) {
			t.Errorf("%q allowed", in)
		}
	}
	var none *Origins
	if none.Allowed("https://example.com") {
		t.Error("nil Origins allowed something")
	}
	for _, cfg := range [][]string{nil, {"https://example.com/"}, {"*"}, {"https://*.example.com"}, {"null"}} {
		if _, err := ParseOrigins(cfg...); !errors.Is(err, ErrOrigin) {
			t.Errorf("ParseOrigins(%q): %v", cfg, err)
		}
	}
}
