package sip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
	"github.com/webdial/webdial/sip"
)

// ExampleServer configures a click-to-call edge for example.com: phones
// register with digest, visitors call anonymously, only in-domain users
// are reachable, and a custom Router sends the sales queue to a trunk with
// credentials the server keeps. Run starts it (not done here: no network).
func ExampleServer() {
	users := digest.NewMemoryStore("example.com")
	users.AddPassword("alice", "correct horse battery staple")
	auth, err := digest.NewServer(digest.Config{Realm: "example.com", Credentials: users},
		[]byte("replace with 32+ random bytes from a secret store!"))
	if err != nil {
		fmt.Println(err)
		return
	}
	locations := sip.NewMemoryLocations()
	byLocation := &sip.LocationRouter{Locations: locations, Domain: "example.com"}
	srv := &sip.Server{
		UDPAddr:   "127.0.0.1:5060",
		Domain:    "example.com",
		Auth:      auth,
		Locations: locations,
		Policy:    &anon.Policy{Domains: []string{"example.com"}},
		Router: sip.RouterFunc(func(ctx context.Context, r sip.RouteRequest) (sip.Route, error) {
			if r.Destination.User == "sales" {
				return sip.Route{Target: "sip:sales@pbx.example.net", Username: "webdial", Password: "trunk-secret"}, nil
			}
			return byLocation.Route(ctx, r)
		}),
		Limits:   sip.Limits{MaxAnonymousCalls: 20, RingTimeout: 30 * time.Second},
		OnRecord: func(r sip.CallRecord) { /* ship to your CDR store */ },
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	_ = srv // srv.Run(ctx) serves until ctx is cancelled.

	// The policy the server applies before any routing:
	for _, target := range []string{"sip:sales@example.com", "sip:carol@thirdparty.example.net", "tel:+15551234567"} {
		d, err := srv.Policy.Check(anon.Anonymous, target)
		if err != nil {
			fmt.Printf("anonymous -> %s: 403 %s\n", target, anon.ReasonPhrase(err))
			continue
		}
		fmt.Printf("anonymous -> %s: allowed (%s)\n", target, d)
	}

	// The default router finds registered users only.
	_, err = byLocation.Route(context.Background(), sip.RouteRequest{
		Class: anon.Anonymous, Destination: anon.Destination{Scheme: "sip", User: "bob", Host: "example.com"},
	})
	fmt.Println("bob not registered:", errors.Is(err, sip.ErrUnavailable))
	// Output:
	// anonymous -> sip:sales@example.com: allowed (sip:sales@example.com)
	// anonymous -> sip:carol@thirdparty.example.net: 403 Foreign Domain
	// anonymous -> tel:+15551234567: 403 PSTN Not Allowed
	// bob not registered: true
}
