package containerapps

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// Container app names, as Azure enforces them on create (the spec declares
// no pattern; this is the service's observed rule and message): 2 to 32
// lower-case letters, digits and '-', starting with a letter, ending with a
// letter or digit, without "--" (which separates app and revision names).
const (
	minNameLength = 2
	maxNameLength = 32
)

var appNamePattern = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func validateAppName(name string) error {
	if len(name) < minNameLength || len(name) > maxNameLength || !appNamePattern.MatchString(name) || strings.Contains(name, "--") {
		return &wire.Error{Status: http.StatusBadRequest, Code: "ContainerAppInvalidName", Target: "containerAppName",
			Message: "Invalid ContainerApp name '" + name + "'. A name must consist of lower case alphanumeric characters or '-', " +
				"start with an alphabetic character, and end with an alphanumeric character and cannot have '--'. " +
				"The length must be between 2 and 32 characters inclusive."}
	}
	return nil
}

// actionNamePattern is the containerAppName pattern the spec declares on
// start and stop (and on no other operation).
var actionNamePattern = regexp.MustCompile(`^[-\w._()]+$`)

func validateActionName(name string) error {
	if !actionNamePattern.MatchString(name) {
		return wire.BadRequest("InvalidParameter", "containerAppName",
			"The container app name '"+name+"' does not match the pattern '^[-\\w\\._\\(\\)]+$'.")
	}
	return nil
}
