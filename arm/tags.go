package arm

import (
	"fmt"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// ValidateTags applies ARM's limits: at most 50 tags, names up to 512
// characters, values up to 256.
func ValidateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return wire.BadRequest("InvalidTag", "tags", fmt.Sprintf("The resource has %d tags; at most 50 are allowed.", len(tags)))
	}
	for k, v := range tags {
		if k == "" || len(k) > 512 || strings.ContainsAny(k, "<>%&\\?/") {
			return wire.BadRequest("InvalidTagName", "tags", "The tag name '"+k+
				"' is invalid: it must be 1 to 512 characters and must not contain '<', '>', '%', '&', '\\', '?' or '/'.")
		}
		if len(v) > 256 {
			return wire.BadRequest("InvalidTag", "tags", "The value of tag '"+k+"' is longer than 256 characters.")
		}
	}
	return nil
}
