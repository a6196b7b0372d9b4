package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/token"
)

// Vectors from token/testdata/kandy-vectors.txt, made with the openssl CLI
// (AES-128-ECB, key "0123456789abcdef"), so they do not depend on Go's AES.
const (
	vecKey     = "0123456789abcdef"
	vecAccount = "c862f799522108f49598ee8b7fdc1045504452814ab11db57dfb0d515d53d427347d215b6a9cb7923f25ee3a6c199336" // anonymous@realm.example;1700000000000
	vecFrom    = "503f02706ce96596eefffdd227b30263027e343e89063af3a7b827dfb9961a49cffe0473c6be924b4e03885f2b854db5" // sip:anonymous@realm.example;1700000000000
	vecTo      = "b2ac5faf3d9f8e01e18f3ca9a9651a58849f7d480f6df686f8cd4e193e32f03a04a2e31c6545c4ecd6477cc71405735f" // sip:sales@support.example;1700000000000
	vecMillis  = 1700000000000
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func fixedNow() time.Time { return time.UnixMilli(vecMillis) }

func TestKnownVector(t *testing.T) {
	var out bytes.Buffer
	err := run([]string{"-realm", "realm1", "-account", "anonymous@realm.example", "-to", "sales@support.example", "-json"},
		env(map[string]string{keyEnv: vecKey}), fixedNow, &out)
	if err != nil {
		t.Fatal(err)
	}
	var got token.KandyCredentials
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	want := token.KandyCredentials{AccountToken: vecAccount, FromToken: vecFrom, ToToken: vecTo, Realm: "realm1"}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// The JSON field names are the ones makeAnonymous expects.
	for _, f := range []string{`"accountToken"`, `"fromToken"`, `"toToken"`, `"realm"`} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("output lacks %s", f)
		}
	}
}

func TestTextOutputAndHexKeyAndTimeFlag(t *testing.T) {
	var out bytes.Buffer
	// The same key as 32 hex digits, on the flag; the clock is ignored for -time.
	err := run([]string{"-key", "30313233343536373839616263646566", "-realm", "r", "-account", "anonymous@realm.example",
		"-to", "sales@support.example", "-time", "2023-11-14T22:13:20Z"}, env(nil), time.Now, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accountToken: " + vecAccount, "fromToken:    " + vecFrom, "toToken:      " + vecTo, "realm:        r", "1700000000000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestVerify(t *testing.T) {
	keyEnvOnly := env(map[string]string{keyEnv: vecKey})
	later := func() time.Time { return time.UnixMilli(vecMillis).Add(90 * time.Second) }
	for _, tc := range []struct {
		name, tok string
		now       func() time.Time
		wantErr   string
		wantOut   string
	}{
		{"account", vecAccount, later, "", "valid account token for anonymous@realm.example"},
		{"to", vecTo, later, "", "valid from/to token for sales@support.example"},
		{"expired", vecTo, func() time.Time { return time.UnixMilli(vecMillis).Add(6 * time.Minute) }, "expired", ""},
		{"tampered", vecTo[:len(vecTo)-2] + "00", later, "does not verify", ""},
		{"not hex", "zz", later, "does not verify", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run([]string{"-realm", "realm1", "-verify", tc.tok}, keyEnvOnly, tc.now, &out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Fatalf("output %q lacks %q", out.String(), tc.wantOut)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-realm", "r", "-account", "a", "-to", "b"}, nil, "no realm key"},
		{[]string{"-realm", "r", "-account", "a", "-to", "b"}, map[string]string{keyEnv: "short-secret"}, "16 characters or 32 hex"},
		{[]string{"-account", "a", "-to", "b"}, map[string]string{keyEnv: vecKey}, "-realm is required"},
		{[]string{"-realm", "r"}, map[string]string{keyEnv: vecKey}, "-account and -to"},
		{[]string{"-realm", "r", "-account", "a;b", "-to", "b"}, map[string]string{keyEnv: vecKey}, "user id"},
	} {
		err := run(tc.args, env(tc.env), fixedNow, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want error containing %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "short-secret") {
			t.Errorf("error echoes the key: %v", err)
		}
	}
}
