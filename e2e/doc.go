// Package e2e holds black-box end-to-end tests: each test builds and starts
// the real tokend binary as a child process over TLS, with its own data
// directory, and drives it with the official Azure SDK clients, exactly as a
// user would.
package e2e
