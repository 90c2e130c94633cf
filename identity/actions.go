package identity

import (
	"slices"
	"strings"
)

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

// covers reports whether every action a lower-case pattern matches is
// permitted: one allowed pattern matches the pattern itself (its "*"
// taken as a literal that a "*" of the allowed one absorbs, so
// "microsoft.app/*" covers "microsoft.app/containerapps/*"), and no
// excluded pattern shares an action with it. Sound, not complete: a
// pattern only a union of roles covers is refused.
func (s actionSet) covers(pattern string) bool {
	if !slices.ContainsFunc(s.allow, func(a string) bool { return matchAction(a, pattern) }) {
		return false
	}
	return !slices.ContainsFunc(s.deny, func(d string) bool { return patternsOverlap(d, pattern) })
}

// patternsOverlap reports whether two "*" patterns match a common action:
// a dynamic program over (i, j), the positions reached in each.
func patternsOverlap(x, y string) bool {
	memo := make([]int8, (len(x)+1)*(len(y)+1)) // 0 unknown, 1 yes, 2 no
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := i*(len(y)+1) + j
		if memo[k] != 0 {
			return memo[k] == 1
		}
		var ok bool
		switch {
		case i == len(x) && j == len(y):
			ok = true
		case i < len(x) && x[i] == '*':
			// The star matches nothing, or swallows y's next character
			// (y's own star matching nothing in that case).
			ok = f(i+1, j) || j < len(y) && f(i, j+1)
		case j < len(y) && y[j] == '*':
			ok = f(i, j+1) || i < len(x) && f(i+1, j)
		case i < len(x) && j < len(y):
			ok = x[i] == y[j] && f(i+1, j+1)
		}
		if ok {
			memo[k] = 1
		} else {
			memo[k] = 2
		}
		return ok
	}
	return f(0, 0)
}
