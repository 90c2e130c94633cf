package playwright

import "syscall"

// setParentDeathSignal has Linux end the server when tokend itself is
// killed (kill -9 runs no shutdown): no orphaned run-server holds on.
// Linux sends it when the thread that started the server ends; Go ends a
// thread only under a goroutine that locked it, which the starter does
// not.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
