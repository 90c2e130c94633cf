package identity

import "strings"

// matchAction reports whether an action ("Microsoft.Example/widgets/write")
// matches a role's pattern ("*", "*/read", "Microsoft.Authorization/*/Write").
// Like Azure, matching is case-insensitive and "*" stands for any run of
// characters, slashes included. Both arguments must already be lower case
// (patterns are lowered once when roles compile; actions once per check).
func matchAction(pattern, action string) bool {
	// Iterative glob match with single-star backtracking: linear in practice
	// and allocation-free, which keeps an authorization check in nanoseconds.
	p, a := 0, 0
	star, mark := -1, 0
	for a < len(action) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, a
			p++
		case p < len(pattern) && pattern[p] == action[a]:
			p++
			a++
		case star >= 0:
			p = star + 1
			mark++
			a = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// actionSet is a compiled Actions/NotActions (or DataActions/NotDataActions)
// pair.
type actionSet struct {
	allow, deny []string // lower case
}

func compileActions(allow, deny []string) actionSet {
	return actionSet{allow: lowerAll(allow), deny: lowerAll(deny)}
}

func lowerAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}

// permits reports whether a lower-case action is allowed and not excluded.
func (s actionSet) permits(action string) bool {
	allowed := false
	for _, p := range s.allow {
		if matchAction(p, action) {
			allowed = true
			break
		}
	}
	if !allowed {
		return false
	}
	for _, p := range s.deny {
		if matchAction(p, action) {
			return false
		}
	}
	return true
}
