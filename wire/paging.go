package wire

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// SkipTokenParam is the query parameter that carries a continuation token.
const SkipTokenParam = "$skipToken"

// Continuation is the one way tokend pages a list: a keyset position (the
// last item served, not an offset, so nothing is skipped or repeated when
// items are inserted between pages) in an opaque $skipToken that is bound
// to the list it continues. A token from another list, or from the same
// list with another $filter or $orderby, is refused with the family's own
// error instead of being used as a cursor.
type Continuation struct {
	// Family chooses the error code and envelope of a refused token.
	Family Family
	// Scope names the list: the collection's key (a subscription, a
	// resource group, a service, an account).
	Scope string
	// Query is what else shapes the list's order and content (the
	// canonical $filter and $orderby), "" when nothing does.
	Query string
}

// continuationToken is what a token carries: the binding, and the
// provider's position.
type continuationToken struct {
	Bind     string          `json:"b"`
	Position json.RawMessage `json:"p"`
}

// binding is a short digest of scope and query: a token stays small
// however long the filter is.
func (c Continuation) binding() string {
	sum := sha256.Sum256([]byte(c.Scope + "\x00" + c.Query))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Encode makes the token for a position (any JSON-encodable value).
func (c Continuation) Encode(position any) string {
	p, err := json.Marshal(position)
	if err != nil {
		panic("wire: continuation position does not marshal: " + err.Error())
	}
	b, _ := json.Marshal(continuationToken{Bind: c.binding(), Position: p})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a token made by Encode for the same list into position. A
// malformed token, or one of another list, is a 400 naming $skipToken.
// Strings in the position must still be checked by the caller for what
// storage accepts (see SQLText).
func (c Continuation) Decode(token string, position any) *Error {
	// The decoder would skip CR and LF; a token has exactly one spelling.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || strings.ContainsAny(token, "\r\n") {
		return c.invalid("the continuation token is malformed")
	}
	var t continuationToken
	if json.Unmarshal(b, &t) != nil || len(t.Position) == 0 {
		return c.invalid("the continuation token is malformed")
	}
	if t.Bind != c.binding() {
		return c.invalid("the continuation token belongs to another list, $filter or $orderby")
	}
	if json.Unmarshal(t.Position, position) != nil {
		return c.invalid("the continuation token is malformed")
	}
	return nil
}

// Invalid is the error for a token whose position the caller found
// unusable after Decode.
func (c Continuation) Invalid() *Error { return c.invalid("the continuation token is malformed") }

// invalid answers in the family's own words: ARM providers' InvalidSkipToken,
// API Management's ValidationError with the parameter as a detail, and
// Azure.Core's InvalidQueryParameterValue.
func (c Continuation) invalid(why string) *Error {
	msg := SkipTokenParam + ": " + why + "; use the nextLink of the previous page as it is."
	switch c.Family {
	case FamilyAPIM:
		return &Error{Status: http.StatusBadRequest, Code: "ValidationError", Message: "One or more fields contain incorrect values:",
			Details: []ErrorDetail{{Code: "ValidationError", Target: SkipTokenParam, Message: msg}}}
	case FamilyAzureCore:
		return BadRequest("InvalidQueryParameterValue", SkipTokenParam, msg)
	default:
		return BadRequest("InvalidSkipToken", SkipTokenParam, msg)
	}
}

// NextLink builds the absolute URL of the next page: the request's own URL
// (path, api-version and every other query parameter kept, those in drop
// removed) with the continuation token set. The SDK pagers follow it
// verbatim.
func NextLink(base string, r *http.Request, token string, drop ...string) string {
	q := r.URL.Query()
	// A client may spell parameters in any case; the link carries one
	// continuation token, and none of what the position is already past.
	for k := range q {
		if strings.EqualFold(k, SkipTokenParam) || slices.ContainsFunc(drop, func(d string) bool { return strings.EqualFold(k, d) }) {
			q.Del(k)
		}
	}
	q.Set(SkipTokenParam, token)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return strings.TrimSuffix(base, "/") + u.String()
}

// SkipToken returns the request's continuation token, whatever the case of
// the parameter's name.
func SkipToken(q url.Values) string { return QueryParam(q, SkipTokenParam) }

// QueryParam returns a query parameter whatever the case of its name
// ($top, $skipToken: clients spell OData's names in either case).
func QueryParam(q url.Values, name string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// SQLText reports whether s can be bound as text on both engines:
// PostgreSQL refuses invalid UTF-8 and NUL, and a token must never turn
// into a 500.
func SQLText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// BaseURL is the scheme and authority clients reach this server at: the
// configured public URL, or the request's own.
func BaseURL(public string, r *http.Request) string {
	if public != "" {
		return public
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
