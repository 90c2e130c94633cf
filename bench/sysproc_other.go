//go:build !linux

package bench

import (
	"syscall"
	"time"
)

func childProcAttr() *syscall.SysProcAttr { return nil }

// threadCPU is unknown here: rates fall back to wall time.
func threadCPU() time.Duration { return 0 }
