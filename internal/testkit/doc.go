// Package testkit is the project's own test support, shared by every
// package's tests instead of a fake per package: a settable clock, a fake
// issuer (signs and authenticates tokens without key management), a fake
// authorizer, stores on both engines, and a server stack over providers
// composed as the app composes them, minus the real issuer. It is not the
// public test helper for other projects' tests.
package testkit
