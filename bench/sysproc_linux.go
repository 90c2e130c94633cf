package bench

import "syscall"

// childProcAttr makes the kernel kill a started tokend when bench dies, so
// an interrupted run never leaves servers behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
