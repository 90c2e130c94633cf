//go:build !unix

package playwright

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

// signalGroup ends the server's process (no process groups here).
func signalGroup(cmd *exec.Cmd, _ bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
