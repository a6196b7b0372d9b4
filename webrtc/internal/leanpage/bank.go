package leanpage

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
)

// bankBatch is the most datagrams read or written per system call.
const bankBatch = 64

// Bank is one UDP socket for many pages: each page has its own loopback
// IP (127.1.0.1, 127.1.0.2, ...) on the Bank's port, so the gateway still
// sees one address per page, while the load generator reads every page's
// datagrams with recvmmsg (the page is found by the destination IP,
// IP_PKTINFO) and sends the audio of many pages with one sendmmsg (the
// source IP set per datagram). Pages on a Bank queue their audio until
// Flush. Loopback only; Linux (elsewhere x/net falls back to one system
// call per datagram).
type Bank struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn
	port uint16

	mu     sync.RWMutex
	pages  map[netip.Addr]*Client
	next   uint32 // host part of the next page IP in 127.1.0.0/16... 127.255/8
	closed bool

	outMu sync.Mutex
	out   []ipv4.Message // queued audio, flushed by Flush or when full
	bufs  [][]byte       // out's payload buffers, reused

	done chan struct{}
}

// NewBank binds the shared socket (every 127/8 address, one port) and
// starts its reader goroutine; Close ends it.
func NewBank() (*Bank, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, fmt.Errorf("leanpage: bank: %w", err)
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(4 << 20)
	pc := ipv4.NewPacketConn(conn)
	if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("leanpage: bank: %w", err)
	}
	b := &Bank{
		conn: conn, pc: pc, port: uint16(conn.LocalAddr().(*net.UDPAddr).Port),
		pages: map[netip.Addr]*Client{}, next: 1<<16 | 1, done: make(chan struct{}),
		out: make([]ipv4.Message, 0, bankBatch), bufs: make([][]byte, bankBatch),
	}
	for i := range b.bufs {
		b.bufs[i] = make([]byte, 0, receiveMTU)
	}
	go b.readLoop()
	return b, nil
}

// Close closes the socket and waits for the reader. Pages still on the
// Bank stop receiving.
func (b *Bank) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	err := b.conn.Close()
	<-b.done
	return err
}

// reserve gives the page the next loopback IP; attach then routes its
// datagrams to it.
func (b *Bank) reserve(c *Client) (netip.AddrPort, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return netip.AddrPort{}, ErrClosed
	}
	if b.next >= 1<<24-1 {
		return netip.AddrPort{}, fmt.Errorf("leanpage: bank: out of loopback addresses")
	}
	n := b.next
	b.next++
	ip := netip.AddrFrom4([4]byte{127, byte(n >> 16), byte(n >> 8), byte(n)})
	c.bankIP = ip
	return netip.AddrPortFrom(ip, b.port), nil
}

func (b *Bank) attach(c *Client) error {
	cm := ipv4.ControlMessage{Src: c.bankIP.AsSlice()}
	c.bankOOB, c.bankTo = cm.Marshal(), net.UDPAddrFromAddrPort(c.remote)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.pages[c.bankIP] = c
	return nil
}

// remove stops delivering to the page; when it returns the reader is not
// inside the page's onDatagram and never will be again.
func (b *Bank) remove(c *Client) {
	b.mu.Lock()
	if b.pages[c.bankIP] == c {
		delete(b.pages, c.bankIP)
	}
	b.mu.Unlock()
	c.rxMu.Lock()
	c.detached = true
	c.rxMu.Unlock()
}

func (b *Bank) readLoop() {
	defer close(b.done)
	ms := make([]ipv4.Message, bankBatch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, receiveMTU)}
		ms[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst)
	}
	var cm ipv4.ControlMessage
	for {
		for i := range ms {
			ms[i].OOB = ms[i].OOB[:cap(ms[i].OOB)]
		}
		n, err := b.pc.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		for _, m := range ms[:n] {
			if cm.Parse(m.OOB[:m.NN]) != nil || cm.Dst == nil {
				continue
			}
			dst, ok := netip.AddrFromSlice(cm.Dst.To4())
			ua, isUDP := m.Addr.(*net.UDPAddr)
			if !ok || !isUDP {
				continue
			}
			b.mu.RLock()
			c := b.pages[dst]
			b.mu.RUnlock()
			if c == nil {
				continue
			}
			c.rxMu.Lock()
			if !c.detached {
				c.onDatagram(m.Buffers[0][:m.N], ua.AddrPort())
			}
			c.rxMu.Unlock()
		}
	}
}

// sendNow writes one datagram from the page's IP (STUN, DTLS).
func (b *Bank) sendNow(from netip.Addr, pkt []byte, to netip.AddrPort) (int, error) {
	cm := ipv4.ControlMessage{Src: from.AsSlice()}
	n, _, err := b.conn.WriteMsgUDPAddrPort(pkt, cm.Marshal(), to)
	return n, err
}

// queue copies one datagram of the page into the next batch. The page's
// source-address control message and destination are made once (Dial).
func (b *Bank) queue(c *Client, pkt []byte) error {
	b.outMu.Lock()
	defer b.outMu.Unlock()
	i := len(b.out)
	buf := append(b.bufs[i][:0], pkt...)
	b.bufs[i] = buf
	b.out = append(b.out, ipv4.Message{Buffers: [][]byte{buf}, OOB: c.bankOOB, Addr: c.bankTo})
	if len(b.out) == bankBatch {
		return b.flushLocked()
	}
	return nil
}

// Flush sends the queued audio of every page on the Bank.
func (b *Bank) Flush() error {
	b.outMu.Lock()
	defer b.outMu.Unlock()
	return b.flushLocked()
}

func (b *Bank) flushLocked() error {
	var err error
	for out := b.out; len(out) > 0; {
		n, werr := b.pc.WriteBatch(out, 0)
		if werr != nil {
			err = fmt.Errorf("leanpage: bank send: %w", werr)
			break
		}
		out = out[n:]
	}
	b.out = b.out[:0]
	return err
}
