package containerapps

// mergePatch applies an RFC 7396 JSON merge patch to target and returns the
// result: an object patch merges member by member (null removes a member),
// anything else replaces the target whole, arrays included. Both arguments
// are documents decoded into fresh values, which it reuses.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = make(map[string]any, len(p))
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
