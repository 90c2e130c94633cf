package arm

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// SkipTokenParam is the query parameter that carries a continuation token.
const SkipTokenParam = "$skipToken"

// EncodeSkipToken makes an opaque continuation token from a keyset position
// (the last key of the page just served). A position, unlike an offset, does
// not skip or repeat items when others are inserted between pages.
func EncodeSkipToken(position string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(position))
}

// DecodeSkipToken reverses EncodeSkipToken.
func DecodeSkipToken(token string) (string, *Error) {
	// The decoder would skip CR and LF; a token has exactly one spelling.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || strings.ContainsAny(token, "\r\n") {
		return "", BadRequest("InvalidSkipToken", SkipTokenParam,
			"The continuation token in '"+SkipTokenParam+"' is malformed; use the nextLink returned by the previous page.")
	}
	return string(b), nil
}

// NextLink builds the absolute URL of the next page: the request's own URL
// (path, api-version and every other query parameter kept) with the
// continuation token replaced. The SDK pagers follow it verbatim.
func NextLink(base string, r *http.Request, param, token string) string {
	q := r.URL.Query()
	q.Set(param, token)
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return base + u.String()
}

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
