package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
)

// TestLocationRouterReachesOnlyTheSource: a registered contact may name
// any host (a PSTN gateway that trusts this server, a host inside the
// network); the router sends the INVITE to the address the REGISTER came
// from instead, or refuses the binding when it cannot.
func TestLocationRouterReachesOnlyTheSource(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	dest := anon.Destination{User: "alice", Host: "example.com"}
	cases := []struct {
		name     string
		trust    bool
		bindings []Binding
		want     Route
		wantErr  error
	}{
		{name: "udp contact elsewhere goes to the source",
			bindings: []Binding{{Contact: "sip:+19005550100@pstn.example.net", Source: "udp:192.0.2.7:5062"}},
			want:     Route{Target: "sip:+19005550100@pstn.example.net", NextHop: "192.0.2.7:5062"}},
		{name: "udp IPv6 source",
			bindings: []Binding{{Contact: "sip:alice@[2001:db8::7]:5060", Source: "udp:[2001:db8::7]:5060"}},
			want:     Route{Target: "sip:alice@[2001:db8::7]:5060", NextHop: "[2001:db8::7]:5060"}},
		{name: "tcp contact at the source's own address",
			bindings: []Binding{{Contact: "sip:alice@192.0.2.7:5060;transport=tcp", Source: "tcp:192.0.2.7:40123"}},
			want:     Route{Target: "sip:alice@192.0.2.7:5060;transport=tcp"}},
		{name: "tcp contact naming another host is refused",
			bindings: []Binding{{Contact: "sip:alice@10.0.0.5:5060;transport=tcp", Source: "tcp:192.0.2.7:40123"}},
			wantErr:  ErrUnavailable},
		{name: "tcp contact by name is refused",
			bindings: []Binding{{Contact: "sip:alice@pbx.example.net;transport=tcp", Source: "tcp:192.0.2.7:40123"}},
			wantErr:  ErrUnavailable},
		{name: "no recorded source is refused",
			bindings: []Binding{{Contact: "sip:alice@192.0.2.7:5060"}},
			wantErr:  ErrUnavailable},
		{name: "a refused binding is skipped for the next",
			bindings: []Binding{{Contact: "sip:alice@10.0.0.5;transport=tcp", Source: "tcp:192.0.2.8:40000"},
				{Contact: "sip:alice@192.0.2.9:5060", Source: "udp:192.0.2.9:5060"}},
			want: Route{Target: "sip:alice@192.0.2.9:5060", NextHop: "192.0.2.9:5060"}},
		{name: "TrustContacts keeps the contact's host", trust: true,
			bindings: []Binding{{Contact: "sip:alice@10.0.0.5:5060", Source: "udp:192.0.2.7:5062"}},
			want:     Route{Target: "sip:alice@10.0.0.5:5060"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			locs := NewMemoryLocations()
			var add []Binding
			for i, b := range c.bindings {
				b.Expires, b.Updated = now.Add(time.Hour-time.Duration(i)*time.Minute), now
				add = append(add, b)
			}
			if _, err := locs.Update(context.Background(), "alice@example.com", now, add, nil, false, 10); err != nil {
				t.Fatal(err)
			}
			r := &LocationRouter{Locations: locs, Domain: "example.com", Now: func() time.Time { return now }, TrustContacts: c.trust}
			got, err := r.Route(context.Background(), RouteRequest{Destination: dest})
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("Route = %+v, %v; want %v", got, err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Route = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}
