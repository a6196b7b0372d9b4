package webrtc

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
)

// Defaults used when the corresponding Config or Limits field is zero.
const (
	DefaultMaxCalls          = 200
	DefaultMaxCallsPerOrigin = 100
	DefaultMaxCallsPerClient = 4
	DefaultRingTimeout       = 60 * time.Second
	DefaultMaxDuration       = time.Hour
	DefaultPeerTimeout       = 10 * time.Second
	DefaultGatherTimeout     = 5 * time.Second
	DefaultMaxOfferSize      = 64 << 10
)

// Limits bound what pages can make the gateway do. Zero fields take the
// defaults above. A negative call count means "no limit" and must be
// chosen on purpose; negative durations are refused by New.
type Limits struct {
	// MaxCalls caps concurrent calls on the gateway (503 over it).
	// If zero, DefaultMaxCalls.
	MaxCalls int
	// MaxCallsPerOrigin caps concurrent calls from pages of one origin
	// (429 over it). If zero, DefaultMaxCallsPerOrigin.
	MaxCallsPerOrigin int
	// MaxCallsPerClient caps concurrent calls from one client address
	// (an IPv4 address or an IPv6 /64; 429 over it). If zero,
	// DefaultMaxCallsPerClient.
	MaxCallsPerClient int
	// RingTimeout bounds the time from the INVITE to its answer. If zero,
	// DefaultRingTimeout.
	RingTimeout time.Duration
	// MaxDuration bounds a call from its admission; the SIP leg is hung
	// up when it is reached. If zero, DefaultMaxDuration.
	MaxDuration time.Duration
	// PeerTimeout is how long the page may be unreachable (ICE not yet
	// connected, or disconnected) before the SIP leg is hung up. If zero,
	// DefaultPeerTimeout.
	PeerTimeout time.Duration
}

// Config configures a [Gateway]. Every security setting has a safe zero
// value; turning a protection off takes a field named Insecure*.
type Config struct {
	// Dialer places the SIP leg of every call. Required. The Gateway
	// does not close it.
	Dialer *sip.Dialer

	// Sealer opens the page's call token (Authorization: Bearer). Required
	// unless InsecureNoToken is set; tokens are opened with the page's
	// Origin as audience and are single-use.
	Sealer *token.Sealer
	// InsecureNoToken admits pages without a call token. Only the Origin
	// check, the hooks and the policy then stand between the Internet and
	// the SIP network.
	InsecureNoToken bool

	// Origins is the exact Origin allow-list (403 for others). If nil,
	// Connect must be set and decides alone.
	Origins *token.Origins
	// Connect, if set, is asked after the Origin check passed.
	Connect ConnectHook
	// Call, if set, chooses the callee, From and SIP credentials. If nil,
	// the token's Destination is called without credentials.
	Call CallHook

	// Policy checks every final destination. Required: the zero Policy
	// denies everything, which is safe but useless.
	Policy *anon.Policy
	// Class is the caller class the Policy is asked with. If zero,
	// anon.Anonymous, the strictest.
	Class anon.Class
	// Proxy is the default outbound SIP proxy "host:port" for every call
	// (a CallDecision may override it). If empty, none: the R-URI's host is
	// contacted directly by the Dialer.
	Proxy string

	// ICEServers are offered to the page in Link headers (STUN or TURN with
	// static credentials). If nil, none.
	ICEServers []token.ICEServer
	// TURNSecret, if set, adds a TURN server for TURNURLs with time-limited
	// credentials from token.TURNCredentials (TTL: MaxDuration plus one
	// minute, so they last the whole call).
	TURNSecret []byte
	// TURNURLs are the TURN URLs used with TURNSecret.
	TURNURLs []string

	// RTPAddr is the local address of the SIP-side RTP sockets and the
	// c= address of the SDP offered to the SIP network. If zero, 127.0.0.1.
	RTPAddr netip.Addr

	// LatchAnyAddress lets the SIP side's RTP come from any address, not
	// only the one in its SDP (symmetric RTP for SIP peers behind NAT). If
	// false, the stream latches only onto a source with the SDP's IP
	// address (any port), so an attacker cannot win the race for it.
	LatchAnyAddress bool
	// RTPPortMin and RTPPortMax bound the SIP-side RTP ports (even RTP port,
	// RTCP on the next odd one). If both are zero, the OS chooses.
	RTPPortMin, RTPPortMax uint16
	// RTPShared puts the SIP side of every call on one RTP socket (RTCP
	// on the port after it, bound and never read, as on a call's own
	// pair): every call's offer advertises it, one goroutine reads it in
	// batches (recvmmsg on Linux) and, with ICELite and ICELiteShared,
	// RTP leaves in batches both ways (sendmmsg on this socket and on the
	// shared ICE-lite one), for fewer system calls and goroutine wake-ups
	// per relayed packet. If false,
	// every call binds its own pair in RTPPortMin..RTPPortMax.
	//
	// That one goroutine also writes every call's RTP towards its page.
	// It is meant for ICELite (cheap SRTP writes): with the pion engine
	// it becomes the bottleneck at a few hundred calls (on 2 cores, the
	// shared socket overflowed at 500 calls: 1-7% loss).
	//
	// The shared socket tells calls apart by the source address and port
	// of each datagram, which must be the media address of that call's
	// SIP SDP: nothing latches on it (LatchAnyAddress does not apply
	// there), so a SIP peer behind a NAT that rewrites its port, or one
	// that sends from another port than it advertises, is not heard, and
	// datagrams from any other source are dropped. A call whose SIP media
	// address is already held by another call on the shared socket binds
	// its own pair (RTPPortMin..RTPPortMax) and sends from it, latching as
	// without RTPShared; since its offer advertised the shared port and
	// the gateway does not re-INVITE, it then hears only a peer that sends
	// back to where RTP comes from (symmetric RTP). The other call keeps
	// the address but, from then on, only the RTP source (SSRC) it was
	// already receiving there: a peer that sends both calls' streams to
	// the shared port from one address cannot be told apart, and the
	// second call's stream is dropped rather than handed to the first.
	RTPShared bool
	// RTPSharedPort is the shared socket's RTP port with RTPShared; it
	// must be even and below 65535 (RTCP takes the next one). If zero, the
	// OS chooses an even port with the next one free.
	RTPSharedPort uint16

	// ICEPortMin and ICEPortMax bound the ports of the pages' ICE host
	// candidates. If both are zero, the OS chooses.
	ICEPortMin, ICEPortMax uint16
	// ICEHostIPs, if set, are advertised instead of the local addresses
	// (1:1 NAT). If nil, the local addresses.
	ICEHostIPs []string
	// ExcludeLoopback stops gathering ICE candidates on loopback
	// addresses. If false, loopback candidates are gathered, which is what
	// makes single-host deployments and CI (lo only) work.
	ExcludeLoopback bool
	// ICELite answers pages with webdial's own ICE-lite, DTLS-SRTP media
	// transport (one UDP socket and one reader goroutine per call, SRTP
	// relayed inline) instead of a pion PeerConnection; it costs less
	// CPU per relayed packet. If false, the pion PeerConnection.
	//
	// An ICE-lite gateway never probes: the page must reach it at the one
	// host candidate it advertises, which is also the address it binds:
	// ICEHostIPs[0], which must then be a local address (no NAT mapping
	// yet: a 1:1 NAT in front of the gateway needs the pion engine), or
	// 127.0.0.1 if ICEHostIPs is empty (single host, CI). Pages behind
	// NAT, or relaying through their own TURN server, still work: they
	// connect to that address. New refuses with ErrConfig what the lite
	// engine cannot do yet: several ICEHostIPs, ICEPortMin/ICEPortMax, or
	// ExcludeLoopback without ICEHostIPs. GatherTimeout does not apply.
	// A page that sends neither consent checks nor media for
	// Limits.PeerTimeout is treated as gone.
	ICELite bool
	// ICELiteShared, with ICELite, puts every call on one UDP socket read
	// by one goroutine in batches (recvmmsg): one host candidate and port
	// for the whole gateway, fewer system calls and goroutines per call.
	// The port is ICEPortMin if ICEPortMin equals ICEPortMax (a fixed port
	// for a firewall rule), else chosen by the OS. If false, one socket
	// per call.
	ICELiteShared bool
	// GatherTimeout bounds ICE gathering before the answer is sent. If
	// zero, DefaultGatherTimeout.
	GatherTimeout time.Duration
	// MaxOfferSize caps the request body. If zero, DefaultMaxOfferSize.
	MaxOfferSize int64

	// Limits bound concurrent calls and their durations.
	Limits Limits

	// Logger receives the gateway's logs; secrets are never logged. If nil,
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	if c.Dialer == nil {
		return fmt.Errorf("%w: Dialer is required", ErrConfig)
	}
	if c.Sealer == nil && !c.InsecureNoToken {
		return fmt.Errorf("%w: Sealer is required (or InsecureNoToken)", ErrConfig)
	}
	if c.Origins == nil && c.Connect == nil {
		return fmt.Errorf("%w: Origins or Connect is required", ErrConfig)
	}
	if c.Policy == nil {
		return fmt.Errorf("%w: Policy is required", ErrConfig)
	}
	if l := c.Limits; l.RingTimeout < 0 || l.MaxDuration < 0 || l.PeerTimeout < 0 || c.GatherTimeout < 0 || c.MaxOfferSize < 0 {
		return fmt.Errorf("%w: negative duration or size", ErrConfig)
	}
	if (c.RTPPortMin == 0) != (c.RTPPortMax == 0) || c.RTPPortMin > c.RTPPortMax {
		return fmt.Errorf("%w: RTPPortMin/RTPPortMax", ErrConfig)
	}
	if c.RTPSharedPort != 0 && (!c.RTPShared || c.RTPSharedPort%2 != 0 || c.RTPSharedPort == 65535) {
		return fmt.Errorf("%w: RTPSharedPort must be even, below 65535, and used with RTPShared", ErrConfig)
	}
	if (c.ICEPortMin == 0) != (c.ICEPortMax == 0) || c.ICEPortMin > c.ICEPortMax {
		return fmt.Errorf("%w: ICEPortMin/ICEPortMax", ErrConfig)
	}
	if len(c.TURNSecret) > 0 && len(c.TURNURLs) == 0 {
		return fmt.Errorf("%w: TURNSecret without TURNURLs", ErrConfig)
	}
	return nil
}

// withDefaults returns a copy of c with zero fields replaced.
func (c Config) withDefaults() Config {
	l := &c.Limits
	l.MaxCalls = orDefault(l.MaxCalls, DefaultMaxCalls)
	l.MaxCallsPerOrigin = orDefault(l.MaxCallsPerOrigin, DefaultMaxCallsPerOrigin)
	l.MaxCallsPerClient = orDefault(l.MaxCallsPerClient, DefaultMaxCallsPerClient)
	l.RingTimeout = orDefault(l.RingTimeout, DefaultRingTimeout)
	l.MaxDuration = orDefault(l.MaxDuration, DefaultMaxDuration)
	l.PeerTimeout = orDefault(l.PeerTimeout, DefaultPeerTimeout)
	c.GatherTimeout = orDefault(c.GatherTimeout, DefaultGatherTimeout)
	c.MaxOfferSize = orDefault(c.MaxOfferSize, DefaultMaxOfferSize)
	if c.Class == 0 {
		c.Class = anon.Anonymous
	}
	if !c.RTPAddr.IsValid() {
		c.RTPAddr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
