//go:build unix

package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/internal/testpeer"
	"github.com/webdial/webdial/sip"
)

//go:embed call_uac.xml
var callUACXML string

// serveB2BUA is the child-process mode of the calls benchmark: every
// anonymous call to example.com goes to the sipp callee at target.
func serveB2BUA(ctx context.Context, addr, target string) error {
	d, err := sip.NewDialer(ctx, sip.DialerConfig{})
	if err != nil {
		return err
	}
	defer d.Close()
	srv := &sip.Server{
		UDPAddr: addr,
		Domain:  domain,
		Policy:  &anon.Policy{Domains: []string{domain}},
		Dialer:  d,
		Router: sip.RouterFunc(func(context.Context, sip.RouteRequest) (sip.Route, error) {
			return sip.Route{Target: target}, nil
		}),
		Limits: sip.Limits{PerSourceRate: -1, MaxAuthFailures: -1, MaxCalls: -1, MaxCallsPerSource: -1},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return srv.Run(ctx)
}

// benchCalls offers anonymous calls (INVITE, 200, ACK, BYE; no hold)
// through the B2BUA to a sipp callee at increasing rates.
func (b *bench) benchCalls(rates []int) {
	srvPort, _ := freePort()
	uasPort, _ := freePort()
	addr := "127.0.0.1:" + strconv.Itoa(srvPort)
	uas := exec.Command("sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(uasPort), "-nostdin", "-t", "u1")
	uas.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := uas.Start(); err != nil {
		fmt.Println("sipp uas:", err)
		return
	}
	defer func() { _ = syscall.Kill(-uas.Process.Pid, syscall.SIGKILL); _ = uas.Wait() }()
	self, _ := os.Executable()
	s := &server{name: "webdial-b2bua", addr: addr}
	s.cmd = exec.Command(self, "-serve-b2bua", addr, "-b2bua-target", "sip:bob@127.0.0.1:"+strconv.Itoa(uasPort))
	s.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		fmt.Println("b2bua:", err)
		return
	}
	defer s.stop()
	if err := s.waitReady(); err != nil {
		fmt.Println("b2bua:", err)
		return
	}
	_ = os.WriteFile(filepath.Join(b.dir, "call_uac.xml"), []byte(callUACXML), 0o600)
	best := 0
	for _, r := range rates {
		port := b.sippPorts[0]
		total := int(float64(r) * b.step.Seconds())
		stats := filepath.Join(b.dir, fmt.Sprintf("calls-%d.csv", r))
		cpu0, _ := groupUsage(s.cmd.Process.Pid)
		start := time.Now()
		cmd := exec.Command("sipp", "-sf", filepath.Join(b.dir, "call_uac.xml"), addr, "-i", "127.0.0.1",
			"-p", strconv.Itoa(port), "-t", "u1", "-nostdin", "-r", strconv.Itoa(r), "-m", strconv.Itoa(total),
			"-timeout", strconv.Itoa(int(2*b.step.Seconds())+30)+"s", "-trace_stat", "-stf", stats, "-fd", "3600")
		_ = cmd.Run()
		st := stepResult{offered: r, elapsed: time.Since(start)}
		cpu1, _ := groupUsage(s.cmd.Process.Pid)
		st.cpu = cpu1 - cpu0
		if ss, err := testpeer.ReadSippStats(stats); err == nil {
			st.created, st.successful, st.failed = ss.Created, ss.Successful, ss.Failed
		}
		fmt.Printf("b2bua     offered %6d calls/s: achieved %7.0f/s, %6d ok, %4d failed, CPU %7.1f µs/call  %s\n",
			r, st.achieved(), st.successful, st.failed, st.cpuPerReg(), passMark(st.pass()))
		if !st.pass() {
			break
		}
		best = r
	}
	fmt.Printf("b2bua max calls/s at < 0.1%% failures: %d\n", best)
}
