package token_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/webdial/webdial/token"
)

// A call token round trip: the token endpoint seals claims for the page's
// origin, and the call path opens them once.
func ExampleSealer() {
	// In production: 32 bytes from crypto/rand, loaded from a secret store.
	key := []byte("an example key, 32 bytes long!!!")
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s, err := token.NewSealer(token.SealerConfig{
		Keys: []token.Key{{ID: 1, Secret: key}},
		Now:  func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := s.Seal(token.Claims{
		Subject:     "anonymous.7@anonymous.invalid",
		Destination: "sales",
		Audience:    "https://shop.example",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	c, err := s.Open(ctx, tok, "https://shop.example")
	fmt.Println(c.Subject, c.Destination, c.Expiry.UTC().Format(time.TimeOnly), err)
	_, err = s.Open(ctx, tok, "https://shop.example")
	fmt.Println(err)
	_, err = s.Open(ctx, tok[:len(tok)-1], "https://shop.example")
	fmt.Println(err)
	// Output:
	// anonymous.7@anonymous.invalid sales 09:02:00 <nil>
	// token: token already used
	// token: invalid token
}

// Kandy makeAnonymous credentials for a realm with the key "0123456789abcdef".
// Only for existing Kandy realms: this format can be forged by splicing.
func ExampleKandyLegacy() {
	k, err := token.NewKandyLegacy([]byte("0123456789abcdef"), "realm1", 5*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	now := time.UnixMilli(1700000000000) // Date.now() at issue
	creds, err := k.Credentials("anonymous@realm.example", "sales@support.example", now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accountToken:", creds.AccountToken)
	fmt.Println("fromToken:   ", creds.FromToken)
	fmt.Println("toToken:     ", creds.ToToken)
	fmt.Println("realm:       ", creds.Realm)

	t, err := k.Verify(creds.ToToken, now.Add(time.Minute))
	fmt.Println(t.SIP, t.UserID, t.Timestamp.UnixMilli(), err)
	_, err = k.Verify(creds.ToToken, now.Add(6*time.Minute))
	fmt.Println(err)
	// Output:
	// accountToken: c862f799522108f49598ee8b7fdc1045504452814ab11db57dfb0d515d53d427347d215b6a9cb7923f25ee3a6c199336
	// fromToken:    503f02706ce96596eefffdd227b30263027e343e89063af3a7b827dfb9961a49cffe0473c6be924b4e03885f2b854db5
	// toToken:      b2ac5faf3d9f8e01e18f3ca9a9651a58849f7d480f6df686f8cd4e193e32f03a04a2e31c6545c4ecd6477cc71405735f
	// realm:        realm1
	// true sales@support.example 1700000000000 <nil>
	// token: kandy token expired: issued 6m0s ago
}

func ExampleOrigins() {
	o, err := token.ParseOrigins("https://example.com", "http://localhost:8080")
	if err != nil {
		log.Fatal(err)
	}
	for _, origin := range []string{
		"https://example.com",
		"https://example.com:443",
		"https://example.com.evil.net",
		"http://example.com",
		"null",
	} {
		fmt.Println(origin, o.Allowed(origin))
	}
	// Output:
	// https://example.com true
	// https://example.com:443 true
	// https://example.com.evil.net false
	// http://example.com false
	// null false
}

func ExampleTURNCredentials() {
	ice := token.TURNCredentials([]byte("north-turn-secret"), "0123456789abcdef0123456789abcdef",
		time.Hour, time.Unix(1700000000, 0), "turn:127.0.0.1:3478")
	fmt.Println(ice.Username)
	fmt.Println(ice.Credential)
	// Output:
	// 1700003600:0123456789abcdef0123456789abcdef
	// BVF4Vtik/IJjRWtbFsDcQ79m8ZU=
}

func ExampleHandler() {
	key := []byte("an example key, 32 bytes long!!!")
	s, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		log.Fatal(err)
	}
	origins, err := token.ParseOrigins("https://shop.example")
	if err != nil {
		log.Fatal(err)
	}
	h := &token.Handler{
		Sealer:      s,
		Origins:     origins,
		Destination: "sales",
		// webdial's webrtc package and examples wire anon's identity
		// generator in here.
		NewSubject: func() (string, error) { return "anonymous.1@anonymous.invalid", nil },
		Limiter:    token.NewMemoryLimiter(10, 5, 10000),
	}
	srv := httptest.NewServer(h) // 127.0.0.1; in production behind TLS
	defer srv.Close()

	for _, origin := range []string{"https://shop.example", "https://shop.example.evil.net"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
		req.Header.Set("Origin", origin)
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		var ir token.IssueResponse
		_ = json.NewDecoder(resp.Body).Decode(&ir)
		resp.Body.Close()
		fmt.Println(origin, resp.StatusCode, resp.Header.Get("Cache-Control"), ir.Token != "")
		if ir.Token != "" {
			c, err := s.Open(context.Background(), ir.Token, origin)
			fmt.Println(c.Subject, c.Destination, err)
		}
	}
	// Output:
	// https://shop.example 200 no-store true
	// anonymous.1@anonymous.invalid sales <nil>
	// https://shop.example.evil.net 403 no-store false
}
