// Package arm holds the Azure Resource Manager conventions every ARM
// provider shares: resource IDs (case-insensitive, stored under a canonical
// key, returned as created), Azure's timestamps, ETags and systemData,
// resource groups as the container every resource is created in, generic
// resource listing with keyset paging, and the ARM Surface: the
// configuration of the request pipeline (package pipeline) that checks
// subscriptions and groups, authorizes actions at ARM scopes and derives
// them from route patterns. The Microsoft.Resources operations themselves
// are the resources package, a provider like the others.
package arm
