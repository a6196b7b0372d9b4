package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"text/template"
	"time"
)

// Options says how to start a peer.
type Options struct {
	// Args are the program's arguments. {{.Dir}} and the keys of Vars are
	// expanded in each argument as text/template fields.
	Args []string
	// Configs maps a file name in the peer's working directory to a
	// template file (usually under the calling package's testdata); each
	// is rendered with Vars plus Dir.
	Configs map[string]string
	// Vars are the template values for Args and Configs (ports, paths).
	Vars map[string]any
	// Listen, when set, is a "udp:PORT" or "tcp:PORT" the peer must be
	// listening on (on any address) before Start returns.
	Listen []string
	// StartTimeout bounds the wait for Listen. If zero, 10 seconds.
	StartTimeout time.Duration
}

// Peer is a running external program owned by one test.
type Peer struct {
	Name string
	// Dir is the peer's working directory, where its configs and any
	// files it writes (sipp stats, logs) live.
	Dir string

	cmd     *exec.Cmd
	out     *bytes.Buffer
	done    chan struct{}
	waitErr error
}

// Start runs the named program (looked up with [Lookup], so a missing
// program skips or fails the test), and registers its stop with t.Cleanup.
func Start(t testing.TB, name string, opts Options) *Peer {
	t.Helper()
	path := Lookup(t, name)
	dir := t.TempDir()
	vars := map[string]any{"Dir": dir}
	for k, v := range opts.Vars {
		vars[k] = v
	}
	for file, tmpl := range opts.Configs {
		if err := render(filepath.Join(dir, file), tmpl, vars); err != nil {
			t.Fatalf("testpeer: %s config %s: %v", name, file, err)
		}
	}
	args := make([]string, len(opts.Args))
	for i, a := range opts.Args {
		s, err := expand(a, vars)
		if err != nil {
			t.Fatalf("testpeer: %s arg %q: %v", name, a, err)
		}
		args[i] = s
	}

	p := &Peer{Name: name, Dir: dir, out: new(bytes.Buffer), done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = &lockedWriter{w: p.out}
	p.cmd.Stderr = p.cmd.Stdout
	ownProcessGroup(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("testpeer: start %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("testpeer: %s %q output:\n%s", name, args, p.Output())
		}
	})

	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, l := range opts.Listen {
		if err := p.waitListen(ctx, l); err != nil {
			t.Fatalf("testpeer: %s: %v\noutput:\n%s", name, err, p.Output())
		}
	}
	return p
}

// Output returns what the peer printed so far (stdout and stderr).
func (p *Peer) Output() string {
	return p.cmd.Stdout.(*lockedWriter).String()
}

// Wait waits for the peer to exit by itself and returns its exit error.
func (p *Peer) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.waitErr
	case <-ctx.Done():
		return fmt.Errorf("testpeer: %s still running: %w", p.Name, ctx.Err())
	}
}

// Exited reports whether the peer has exited.
func (p *Peer) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop ends the peer's process group: SIGTERM, then SIGKILL if it has not
// exited within 5 seconds. It is safe to call more than once.
func (p *Peer) Stop() {
	if p.Exited() {
		return
	}
	terminateGroup(p.cmd)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		killGroup(p.cmd)
		<-p.done
	}
	// Workers that outlived the leader still carry its group id.
	killGroup(p.cmd)
}

func (p *Peer) waitListen(ctx context.Context, spec string) error {
	var network string
	var port int
	if _, err := fmt.Sscanf(spec, "%3s:%d", &network, &port); err != nil || (network != "udp" && network != "tcp") {
		return fmt.Errorf("bad Listen spec %q, want udp:PORT or tcp:PORT", spec)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := listening(network, port)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited before listening on %s: %v", spec, p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not listening on %s: %w", spec, ctx.Err())
		case <-tick.C:
		}
	}
}

func render(dst, tmplPath string, vars map[string]any) error {
	src, err := os.ReadFile(tmplPath)
	if err != nil {
		return err
	}
	s, err := expand(string(src), vars)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, []byte(s), 0o600)
}

func expand(text string, vars map[string]any) (string, error) {
	tmpl, err := template.New("").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, vars); err != nil {
		return "", err
	}
	return b.String(), nil
}

var errNoProcNet = errors.New("testpeer: cannot read /proc/net (Linux only)")
