package playwright

import "syscall"

// setParentDeathSignal has Linux end the server when tokend itself is
// killed (kill -9 runs no shutdown): no orphaned run-server holds on.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
