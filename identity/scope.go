package identity

import (
	"fmt"
	"strings"
)

// CanonicalScope turns a scope as a person types it ("/subscriptions/X/",
// "/Subscriptions/x/resourceGroups/RG") into the canonical key the router
// authorizes against: lower case, one leading slash, no trailing slash, and
// "/" for the root.
func CanonicalScope(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "/" {
		return "/", nil
	}
	if !strings.HasPrefix(s, "/") {
		return "", fmt.Errorf("scope %q must start with '/'", s)
	}
	s = strings.TrimRight(s, "/")
	for _, seg := range strings.Split(s[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("scope %q has an empty or relative segment", s)
		}
	}
	return strings.ToLower(s), nil
}

// ScopeCovers reports whether a grant at scope applies at target (both
// canonical keys): the same scope, or target below it; "/" covers all.
func ScopeCovers(scope, target string) bool { return scopeCovers(scope, target) }

func scopeCovers(scope, target string) bool {
	if scope == "/" {
		return true
	}
	if !strings.HasPrefix(target, scope) {
		return false
	}
	return len(target) == len(scope) || target[len(scope)] == '/'
}

// lowerASCII lowers s only when it has upper-case letters, sparing the
// allocation on the hot path where callers already pass canonical keys.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
