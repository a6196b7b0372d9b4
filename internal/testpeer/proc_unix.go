//go:build unix

package testpeer

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the peer in its own process group, so daemons
// that fork workers (kamailio) are stopped as a whole by signalling -pid,
// and nothing else is touched.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminateGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
