package bench

import (
	"syscall"
	"time"
)

// childProcAttr makes the kernel kill a started tokend when bench dies, so
// an interrupted run never leaves servers behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// threadCPU is the calling thread's CPU time (user + system), from
// getrusage(RUSAGE_THREAD); the caller locks itself to its thread.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
