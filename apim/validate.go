package apim

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tokend-dev/tokend/wire"
)

// codeValidation is the code APIM answers bad input with, at the top level
// and in each field's detail.
const codeValidation = "ValidationError"

// Path parameter rules from apimanagement.json (ServiceNameParameter,
// AuthenticationServerIdParameter).
var (
	serviceNamePattern = regexp.MustCompile(`^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	authsidPattern     = regexp.MustCompile(`^[^*#&+:<>?]+$`)
)

// problems collects field-level validation errors so that one answer names
// every bad field, as APIM does.
type problems struct{ details []wire.ErrorDetail }

func (p *problems) add(target, format string, args ...any) {
	p.details = append(p.details, wire.ErrorDetail{Code: codeValidation, Target: target, Message: fmt.Sprintf(format, args...)})
}

// err is nil when nothing was added, else APIM's 400 ValidationError.
func (p *problems) err() error {
	if len(p.details) == 0 {
		return nil
	}
	return &wire.Error{Status: http.StatusBadRequest, Code: codeValidation,
		Message: "One or more fields contain incorrect values:", Details: p.details}
}

// badField is a ValidationError about one field or parameter.
func badField(target, format string, args ...any) error {
	var p problems
	p.add(target, format, args...)
	return p.err()
}

func checkServiceName(p *problems, name string) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 50 || !serviceNamePattern.MatchString(name) {
		p.add("serviceName", "The service name '%s' is invalid: it must be 1 to 50 letters, digits or hyphens, start with a letter and end with a letter or digit.", name)
	}
}

func checkAuthsid(p *problems, authsid string) {
	if n := utf8.RuneCountInString(authsid); n < 1 || n > 80 || !authsidPattern.MatchString(authsid) {
		p.add("authsid", "The authorization server identifier '%s' is invalid: it must be 1 to 80 characters, none of them * # & + : < > ?.", authsid)
	}
}

// checkLength checks a string's length in characters (JSON Schema's
// minLength/maxLength count code points, not bytes).
func checkLength(p *problems, target, v string, lo, hi int) {
	if n := utf8.RuneCountInString(v); n < lo || n > hi {
		if lo > 0 && n == 0 {
			p.add(target, "'%s' must not be empty.", target)
			return
		}
		p.add(target, "'%s' must be between %d and %d characters long; it is %d.", target, lo, hi, n)
	}
}

// canonicalEnum maps each value of list to the enum's spelling (matching
// case-insensitively, as APIM does) and reports every value outside it.
func canonicalEnum(p *problems, target string, list []string, allowed []string) []string {
	if list == nil {
		return nil // absent stays absent (PATCH leaves it alone)
	}
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = v
		found := false
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				out[i], found = a, true
				break
			}
		}
		if !found {
			p.add(fmt.Sprintf("%s[%d]", target, i), "'%s' is not a valid value of '%s'; the allowed values are %s.", v, target, strings.Join(allowed, ", "))
		}
	}
	return out
}
