package apim

import (
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// ifMatch is a request's If-Match header.
type ifMatch struct {
	present bool
	any     bool   // "*": any current version
	etag    string // quoted, as stored
}

// parseIfMatch reads If-Match. ETags are compared in their quoted form;
// clients that drop the quotes (or send a weak W/ tag) still match, since
// APIM's ETags are opaque tokens and there is nothing else to confuse them
// with.
func parseIfMatch(r *pipeline.Request) ifMatch {
	v := strings.TrimSpace(r.HTTP.Header.Get("If-Match"))
	if v == "" {
		return ifMatch{}
	}
	if v == "*" {
		return ifMatch{present: true, any: true}
	}
	v = strings.TrimPrefix(v, "W/")
	if !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) || len(v) < 2 {
		v = `"` + strings.Trim(v, `"`) + `"`
	}
	return ifMatch{present: true, etag: v}
}

// specific reports whether the header names one version.
func (m ifMatch) specific() bool { return m.present && !m.any }

// requireIfMatch answers PATCH and DELETE without If-Match: the spec makes
// the header required for both.
func requireIfMatch(r *pipeline.Request) (ifMatch, error) {
	m := parseIfMatch(r)
	if !m.present {
		return m, badField("If-Match", "The If-Match header is required: send the ETag of the current version (from GET or HEAD), or * to update unconditionally.")
	}
	return m, nil
}

// errStale is the answer to an If-Match that names another version.
func errStale() error {
	return wire.Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
		"The entity has been modified since the ETag in If-Match was read; get the latest version (its ETag) and retry.")
}
