package webrtc_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc"
)

// Example sets a gateway up behind a call-token endpoint, with a call hook
// that decides the callee and the SIP account on the server. A page
// without a token is refused before anything reaches SIP.
func Example() {
	ctx := context.Background()
	dialer, err := sip.NewDialer(ctx, sip.DialerConfig{})
	if err != nil {
		log.Fatal(err)
	}
	defer dialer.Close()

	key := make([]byte, token.KeySize)
	_, _ = rand.Read(key)
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		log.Fatal(err)
	}
	origins, err := token.ParseOrigins("https://shop.example.com")
	if err != nil {
		log.Fatal(err)
	}
	gw, err := webrtc.New(webrtc.Config{
		Dialer:  dialer,
		Sealer:  sealer,
		Origins: origins,
		Policy:  &anon.Policy{Domains: []string{"example.com"}},
		Proxy:   "127.0.0.1:5060", // the site's SIP proxy
		Call: webrtc.CallFunc(func(ctx context.Context, r webrtc.CallRequest) (webrtc.CallDecision, error) {
			// Whatever r.PageCallee says, the shop's page reaches sales.
			return webrtc.CallDecision{Callee: "sip:sales@example.com", SIPLogin: "10001", SIPPassword: "from-a-vault"}, nil
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close(ctx)

	mux := http.NewServeMux()
	mux.Handle("/token", &token.Handler{Sealer: sealer, Origins: origins})
	mux.Handle("/call", gw)
	mux.Handle("/call/", gw)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/call", strings.NewReader("v=0\r\n"))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Origin", "https://shop.example.com")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 401 Unauthorized
}
