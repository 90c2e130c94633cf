// Package arm implements the Azure Resource Manager conventions that every
// provider shares: resource IDs (case-insensitive, stored under a canonical
// key, returned as created), api-version negotiation, the error envelopes of
// each API family, continuation-token paging with absolute nextLink URLs, and
// the request pipeline (routing, authentication, authorization, body limits)
// that providers plug their handlers into. It also serves the
// Microsoft.Resources subscription and resource-group operations.
package arm
