//go:build unix && !linux

package playwright

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
