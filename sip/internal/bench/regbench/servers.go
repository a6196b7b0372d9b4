//go:build unix

package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"text/template"
	"time"

	"github.com/webdial/webdial/digest"
	"github.com/webdial/webdial/sip"
)

//go:embed kamailio.cfg.tmpl
var kamailioCfg string

//go:embed register.xml
var registerXML string

const domain = "example.com"

// serveWebdial is the child-process mode: webdial's registrar with the
// same users and passwords ("pw-" + user) as the Kamailio config, MD5
// only (all sipp supports), abuse limits off as in the Kamailio config.
func serveWebdial(ctx context.Context, addr string, users int) error {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("REGBENCH_DEBUG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	store := digest.NewMemoryStore(domain)
	for i := range users {
		u := userName(i)
		store.AddPassword(u, "pw-"+u)
	}
	auth, err := digest.NewServer(digest.Config{Realm: domain, Credentials: store, Algorithms: []digest.Algorithm{digest.MD5}, Logger: logger},
		[]byte("regbench-0123456789abcdef0123456789"))
	if err != nil {
		return err
	}
	srv := &sip.Server{
		UDPAddr: addr,
		Domain:  domain,
		Auth:    auth,
		Limits:  sip.Limits{PerSourceRate: -1, MaxAuthFailures: -1},
		Logger:  logger,
	}
	if n, err := strconv.Atoi(os.Getenv("REGBENCH_READERS")); err == nil {
		srv.UDPReaders = n
	}
	if f := os.Getenv("REGBENCH_CPUPROFILE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return srv.Run(ctx)
}

func userName(i int) string { return fmt.Sprintf("user%04d", i) }

// server is a running server under test.
type server struct {
	name string
	addr string
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

type bench struct {
	dir       string
	users     int
	step      time.Duration
	sippProcs int
	// sippPorts are fixed per sipp process, so every step registers the
	// same contacts (a new port per step would add bindings).
	sippPorts []int
}

func (b *bench) prepare() error {
	for range b.sippProcs {
		p, err := freePort()
		if err != nil {
			return err
		}
		b.sippPorts = append(b.sippPorts, p)
	}
	var csv bytes.Buffer
	csv.WriteString("SEQUENTIAL\n")
	for i := range b.users {
		fmt.Fprintf(&csv, "%s;[authentication username=%s password=pw-%s]\n", userName(i), userName(i), userName(i))
	}
	if err := os.WriteFile(filepath.Join(b.dir, "users.csv"), csv.Bytes(), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.dir, "register.xml"), []byte(registerXML), 0o600)
}

func freePort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

func (b *bench) start(name, gogc string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{name: name, addr: "127.0.0.1:" + strconv.Itoa(port), out: new(bytes.Buffer)}
	switch name {
	case "webdial":
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		s.cmd = exec.Command(self, "-serve", s.addr, "-users", strconv.Itoa(b.users))
		s.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
		if gogc != "" {
			s.cmd.Env = append(s.cmd.Env, "GOGC="+gogc)
		}
	case "kamailio":
		cfg := filepath.Join(b.dir, "kamailio.cfg")
		var out bytes.Buffer
		t := template.Must(template.New("cfg").Parse(kamailioCfg))
		if err := t.Execute(&out, map[string]any{"Port": port, "ModulePath": kamailioModules()}); err != nil {
			return nil, err
		}
		if err := os.WriteFile(cfg, out.Bytes(), 0o600); err != nil {
			return nil, err
		}
		s.cmd = exec.Command("kamailio", "-f", cfg, "-DD", "-E", "-m", "256", "-M", "16", "-w", b.dir)
	default:
		return nil, fmt.Errorf("unknown server %q", name)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if err := s.waitReady(); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, s.out.String())
	}
	return s, nil
}

func kamailioModules() string {
	for _, d := range []string{"/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules"} {
		if _, err := os.Stat(filepath.Join(d, "auth.so")); err == nil {
			return d + "/"
		}
	}
	return "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
}

// waitReady sends OPTIONS until the server answers (Kamailio: 405).
func (s *server) waitReady() error {
	c, err := net.Dial("udp", s.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	msg := "OPTIONS sip:" + domain + " SIP/2.0\r\nVia: SIP/2.0/UDP " + c.LocalAddr().String() + ";branch=z9hG4bKready\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + domain + ">;tag=1\r\nTo: <sip:" + domain + ">\r\nCall-ID: ready@regbench\r\n" +
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, _ = c.Write([]byte(msg))
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := c.Read(buf); err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 ")) {
			return nil
		}
	}
	return errors.New("server did not answer OPTIONS within 10 s")
}

// stop ends the server's process group (SIGTERM, then SIGKILL).
func (s *server) stop() {
	pgid := -s.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-done
	}
}
