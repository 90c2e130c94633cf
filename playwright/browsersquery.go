package playwright

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// The browsers operations of both data planes (Accounts_GetBrowsers,
// Workspaces_GetBrowsers) and the browsers gateway take os and runId.

// OS values of the browsers operations.
const (
	OSLinux   = "Linux"
	OSWindows = "Windows"
)

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)+$`)

// CheckBrowsersQuery validates os and runId. The workspaces' contract
// (strict) requires os and a GUID-like runId; the accounts' defaults os to
// Linux and takes any runId up to 200 characters.
func CheckBrowsersQuery(q url.Values, strict bool) error {
	os := q.Get("os")
	switch {
	case os == "" && strict:
		return wire.BadRequest("InvalidParameter", "os", "The query parameter 'os' is required: 'Linux' or 'Windows'.")
	case os != "" && !strings.EqualFold(os, OSLinux) && !strings.EqualFold(os, OSWindows):
		return wire.BadRequest("InvalidParameter", "os", "The os '"+wire.Clip(os)+"' is invalid: it must be 'Linux' or 'Windows'.")
	}
	id := q.Get("runId")
	if !strict && len(id) > 200 {
		return wire.BadRequest("InvalidParameter", "runId", "The runId is longer than 200 characters.")
	}
	if strict && q.Has("runId") && (len(id) < 3 || len(id) > 36 || !runIDPattern.MatchString(id)) {
		return wire.BadRequest("InvalidParameter", "runId", "The runId '"+wire.Clip(id)+
			"' is invalid: it must be a GUID, such as '00000000-0000-0000-0000-000000000000'.")
	}
	return nil
}
