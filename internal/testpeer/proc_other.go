//go:build !unix

package testpeer

import "os/exec"

// The peers (sipp, kamailio, baresip) are Unix programs; elsewhere a peer
// is one process, ended by Kill, so tests that use one still build.
func ownProcessGroup(*exec.Cmd) {}

func terminateGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
