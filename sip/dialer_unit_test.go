package sip

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	sipmsg "github.com/emiago/sipgo/sip"
)

func TestDialerConfigInvalid(t *testing.T) {
	for name, cfg := range map[string]DialerConfig{
		"negative ring":     {RingTimeout: -1},
		"negative duration": {MaxDuration: -1},
		"unspecified addr":  {LocalAddr: "0.0.0.0:0"},
		"user agent CRLF":   {UserAgent: "x\r\nVia: evil"},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := NewDialer(context.Background(), cfg)
			if !errors.Is(err, ErrBadDialerConfig) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("NewDialer = %v, want ErrBadDialerConfig", err)
			}
		})
	}
}

func TestDialerBadDialRequest(t *testing.T) {
	d := newDialerForTest(t, DialerConfig{})
	good := DialRequest{Target: "sip:bob@127.0.0.1:5090", SDP: dialerOffer}
	for name, mutate := range map[string]func(*DialRequest){
		"empty SDP":        func(r *DialRequest) { r.SDP = nil },
		"empty target":     func(r *DialRequest) { r.Target = "" },
		"tel target":       func(r *DialRequest) { r.Target = "tel:+15551234567" },
		"sips target":      func(r *DialRequest) { r.Target = "sips:bob@example.com" },
		"CRLF target":      func(r *DialRequest) { r.Target = "sip:bob@h\r\nX: y" },
		"name-addr":        func(r *DialRequest) { r.Target = "<sip:bob@example.com>" },
		"bad from":         func(r *DialRequest) { r.From = "not a uri" },
		"tel from":         func(r *DialRequest) { r.From = "<tel:+1555>" },
		"bad proxy":        func(r *DialRequest) { r.Proxy = "host:port:junk\r\n" },
		"proxy no host":    func(r *DialRequest) { r.Proxy = "sip:" },
		"from with CRLF":   func(r *DialRequest) { r.From = "<sip:a@b>\r\nX: y" },
		"max-forwards -1":  func(r *DialRequest) { r.MaxForwards = -1 },
		"max-forwards 256": func(r *DialRequest) { r.MaxForwards = 256 },
	} {
		t.Run(name, func(t *testing.T) {
			r := good
			mutate(&r)
			_, err := d.Dial(context.Background(), r)
			if !errors.Is(err, ErrBadDialRequest) {
				t.Fatalf("Dial(%+v) = %v, want ErrBadDialRequest", r, err)
			}
		})
	}
}

func TestDialerCallErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		err              *CallError
		busy, authFailed bool
	}{
		{&CallError{StatusCode: 486, Reason: "Busy Here"}, true, false},
		{&CallError{StatusCode: 600, Reason: "Busy Everywhere"}, true, false},
		{&CallError{StatusCode: 404, Reason: "Not Found"}, false, false},
		{&CallError{StatusCode: 407, Reason: "Proxy Authentication Required", authFailed: true}, false, true},
	} {
		var err error = tc.err
		if !errors.Is(err, ErrRejected) || errors.Is(err, ErrBusy) != tc.busy ||
			errors.Is(err, ErrAuthFailed) != tc.authFailed || errors.Is(err, ErrRingTimeout) {
			t.Errorf("%v: wrong classes", err)
		}
		if !strings.HasPrefix(err.Error(), "sip: ") {
			t.Errorf("%q lacks the package prefix", err)
		}
	}
}

func TestDialerChallengeParam(t *testing.T) {
	v := `Digest realm="a, \"b\"", nonce=xyz, qop="auth,auth-int", stale=TRUE,algorithm=MD5`
	for name, want := range map[string]string{"realm": `a, "b"`, "nonce": "xyz",
		"qop": "auth,auth-int", "stale": "TRUE", "algorithm": "MD5", "REALM": `a, "b"`} {
		if got, ok := challengeParam(v, name); !ok || got != want {
			t.Errorf("%s = %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, bad := range []string{"", "Digest", `Digest realm="open`, "Digest realm", "Digest nonce=1"} {
		if got, ok := challengeParam(bad, "realm"); ok {
			t.Errorf("challengeParam(%q) = %q, want not found", bad, got)
		}
	}
}

// challengeResponse builds a 401/407 to inv's INVITE with the given
// challenge header values.
func challengeResponse(inv *invite, code int, chals ...string) *sipmsg.Response {
	name := "WWW-Authenticate"
	if code == 407 {
		name = "Proxy-Authenticate"
	}
	res := sipmsg.NewResponseFromRequest(inv.req, code, "Auth", nil)
	for _, c := range chals {
		res.AppendHeader(sipmsg.NewHeader(name, c))
	}
	return res
}

func credLines(creds []credential) map[string][]string {
	m := map[string][]string{}
	for _, c := range creds {
		m[c.header] = append(m[c.header], c.value)
	}
	return m
}

func TestDialerAnswerChallenge(t *testing.T) {
	d := newDialerForTest(t, DialerConfig{})
	const target = "sip:bob@127.0.0.1:5090;transport=udp;user=phone"
	newInv := func(t *testing.T, realm string) *invite {
		inv, err := d.newInvite(DialRequest{Target: target, SDP: dialerOffer,
			Username: "alice", Password: "pw", Realm: realm})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}

	t.Run("header by status code, exact uri", func(t *testing.T) {
		for code, header := range map[int]string{401: "Authorization", 407: "Proxy-Authorization"} {
			inv := newInv(t, "")
			creds, err := inv.answerChallenge(challengeResponse(inv, code, `Digest realm="r1", nonce="n1", qop="auth"`))
			if err != nil {
				t.Fatal(err)
			}
			lines := credLines(creds)
			if len(creds) != 1 || len(lines[header]) != 1 {
				t.Fatalf("%d: creds = %+v, want one %s", code, creds, header)
			}
			if want := `uri="` + target + `"`; !strings.Contains(lines[header][0], want) {
				t.Fatalf("%d: %s lacks %s", code, header, want)
			}
			if got := inv.req.Recipient.String(); got != target {
				t.Fatalf("Request-URI %q, want %q", got, target)
			}
		}
	})

	t.Run("once per realm", func(t *testing.T) {
		inv := newInv(t, "")
		if _, err := inv.answerChallenge(challengeResponse(inv, 407, `Digest realm="r1", nonce="n1"`)); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.answerChallenge(challengeResponse(inv, 407, `Digest realm="r1", nonce="n2"`)); err == nil {
			t.Fatal("second challenge from the same realm answered")
		}
	})

	t.Run("stale refresh once", func(t *testing.T) {
		inv := newInv(t, "")
		for i, want := range []bool{true, true, false} {
			_, err := inv.answerChallenge(challengeResponse(inv, 401, `Digest realm="r1", nonce="n`+string(rune('a'+i))+`", stale=true`))
			if (err == nil) != want {
				t.Fatalf("round %d: err = %v, want answered=%v", i, err, want)
			}
		}
	})

	t.Run("one credential per realm, proxies then UAS", func(t *testing.T) {
		inv := newInv(t, "")
		creds, err := inv.answerChallenge(challengeResponse(inv, 407,
			`Digest realm="p1", nonce="a", algorithm=SHA-256, qop="auth"`,
			`Digest realm="p1", nonce="b", algorithm=MD5, qop="auth"`,
			`Digest realm="p2", nonce="c", qop="auth"`))
		if err != nil {
			t.Fatal(err)
		}
		lines := credLines(creds)
		if len(lines["Proxy-Authorization"]) != 2 {
			t.Fatalf("Proxy-Authorization lines = %q, want one per realm", lines["Proxy-Authorization"])
		}
		if !strings.Contains(lines["Proxy-Authorization"][0], "SHA-256") {
			t.Fatalf("realm p1 not answered with its strongest challenge: %q", lines["Proxy-Authorization"][0])
		}
		creds, err = inv.answerChallenge(challengeResponse(inv, 401, `Digest realm="uas", nonce="d"`))
		if err != nil {
			t.Fatal(err)
		}
		lines = credLines(creds)
		if len(lines["Proxy-Authorization"]) != 2 || len(lines["Authorization"]) != 1 {
			t.Fatalf("creds after 401 = %+v", lines)
		}
	})

	t.Run("unexpected realm", func(t *testing.T) {
		inv := newInv(t, "mine")
		if _, err := inv.answerChallenge(challengeResponse(inv, 407, `Digest realm="theirs", nonce="n"`)); err == nil {
			t.Fatal("challenge from another realm answered")
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		inv, err := d.newInvite(DialRequest{Target: target, SDP: dialerOffer})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inv.answerChallenge(challengeResponse(inv, 401, `Digest realm="r", nonce="n"`)); err == nil {
			t.Fatal("answered without credentials")
		}
	})

	t.Run("not digest", func(t *testing.T) {
		inv := newInv(t, "")
		if _, err := inv.answerChallenge(challengeResponse(inv, 401, `Basic realm="r"`)); err == nil {
			t.Fatal("answered a Basic challenge")
		}
	})
}

func TestDialerLogRedactsRawMessages(t *testing.T) {
	lb := &dialerLogBuffer{}
	l := quietSDPLogger(slog.New(slog.NewTextHandler(lb, nil)))
	raw := "INVITE sip:x SIP/2.0\r\nProxy-Authorization: Digest response=\"secret\"\r\n"
	l.Error("failed to parse", "data", raw, "error", "bad")
	l.With("data", raw).Info("again")
	if out := lb.String(); strings.Contains(out, "secret") || !strings.Contains(out, "data_len=") {
		t.Fatalf("log = %q", out)
	}
}
