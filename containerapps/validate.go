package containerapps

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// problem is one way a document breaks the schema, named by its JSON path
// ("properties.configuration.ingress.transport").
type problem struct {
	path, code, message string
}

// maxProblems bounds an error response: the first ones are enough to fix.
const maxProblems = 20

type checker struct{ problems []problem }

func (c *checker) add(path, code, format string, args ...any) {
	if len(c.problems) < maxProblems {
		c.problems = append(c.problems, problem{path: path, code: code, message: fmt.Sprintf(format, args...)})
	}
}

// err is the 400 for the problems found: the first names the target, and
// every one is listed in details when there are several.
func (c *checker) err() *wire.Error {
	if len(c.problems) == 0 {
		return nil
	}
	first := c.problems[0]
	e := &wire.Error{Status: http.StatusBadRequest, Code: first.code, Message: first.message, Target: first.path}
	if len(c.problems) > 1 {
		e.Code = "InvalidRequestContent"
		e.Message = fmt.Sprintf("The request content has %d problems. The first: %s", len(c.problems), first.message)
		for _, p := range c.problems {
			e.Details = append(e.Details, wire.ErrorDetail{Code: p.code, Message: p.message, Target: p.path})
		}
	}
	return e
}

// check validates a document decoded with UseNumber against the schema and
// returns it normalized: read-only and null properties removed, enumeration
// values in their canonical spelling.
func (n *node) check(c *checker, path string, v any) any {
	switch n.kind {
	case kObject:
		m, ok := v.(map[string]any)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be an object, not %s.", display(path), typeName(v))
			return v
		}
		for _, k := range sortedKeys(m) {
			child, known := n.props[k]
			switch {
			case !known:
				// Not in the schema: kept as sent (see schema.go).
			case child.readOnly || m[k] == nil:
				delete(m, k)
			default:
				m[k] = child.check(c, join(path, k), m[k])
			}
		}
		for _, r := range n.required {
			if _, ok := m[r]; !ok {
				code := "InvalidRequestContent"
				if path == "" && r == "location" {
					code = "LocationRequired"
				}
				c.add(join(path, r), code, "The property '%s' is required.", join(path, r))
			}
		}
		return m
	case kMap:
		m, ok := v.(map[string]any)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be an object, not %s.", display(path), typeName(v))
			return v
		}
		for _, k := range sortedKeys(m) {
			if m[k] == nil {
				delete(m, k)
				continue
			}
			m[k] = n.elem.check(c, path+"['"+k+"']", m[k])
		}
		return m
	case kArray:
		list, ok := v.([]any)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be an array, not %s.", display(path), typeName(v))
			return v
		}
		for i := range list {
			list[i] = n.elem.check(c, path+"["+strconv.Itoa(i)+"]", list[i])
		}
		return list
	case kString:
		s, ok := v.(string)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be a string, not %s.", display(path), typeName(v))
			return v
		}
		if n.enum == nil {
			return s
		}
		if canon, ok := matchEnum(n.enum, s); ok {
			return canon
		}
		c.add(path, "InvalidRequestContent", "The value '%s' of '%s' is not valid. Allowed values: '%s'.",
			s, display(path), strings.Join(n.enum, "', '"))
		return s
	case kInt32, kInt64:
		num, ok := v.(json.Number)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be an integer, not %s.", display(path), typeName(v))
			return v
		}
		i, err := parseInteger(num)
		limit := int64(math.MaxInt32)
		if n.kind == kInt64 {
			limit = math.MaxInt64
		}
		if err != nil || i > limit || i < -limit-1 {
			c.add(path, "InvalidRequestContent", "The value %s of '%s' is not a %d-bit integer.",
				num, display(path), map[kind]int{kInt32: 32, kInt64: 64}[n.kind])
			return v
		}
		return json.Number(strconv.FormatInt(i, 10))
	case kNumber:
		num, ok := v.(json.Number)
		if !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be a number, not %s.", display(path), typeName(v))
			return v
		}
		if _, err := num.Float64(); err != nil {
			c.add(path, "InvalidRequestContent", "The value %s of '%s' is out of range.", num, display(path))
		}
		return v
	case kBool:
		if _, ok := v.(bool); !ok {
			c.add(path, "InvalidRequestContent", "The value of '%s' must be a boolean, not %s.", display(path), typeName(v))
		}
		return v
	}
	return v
}

// matchEnum finds s among values regardless of case (and of the spaces
// older clients put after the comma of "SystemAssigned, UserAssigned").
func matchEnum(values []string, s string) (string, bool) {
	s = strings.ReplaceAll(s, " ", "")
	for _, e := range values {
		if strings.EqualFold(e, s) {
			return e, true
		}
	}
	return "", false
}

// parseInteger accepts an integral JSON number, including 5.0 and 5e2.
func parseInteger(n json.Number) (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func display(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Limits ARM puts on tags.
const (
	maxTags           = 50
	maxTagNameLength  = 512
	maxTagValueLength = 256
)

func checkTags(c *checker, doc map[string]any) {
	tags, ok := doc["tags"].(map[string]any)
	if !ok {
		return
	}
	if len(tags) > maxTags {
		c.add("tags", "InvalidTag", "A resource can have at most %d tags; the request has %d.", maxTags, len(tags))
	}
	for _, k := range sortedKeys(tags) {
		switch v, _ := tags[k].(string); {
		case k == "" || strings.TrimSpace(k) == "":
			c.add("tags", "InvalidTag", "Tag names must not be empty.")
		case len(k) > maxTagNameLength:
			c.add("tags", "InvalidTag", "The tag name '%.40s...' exceeds the maximum length of %d characters.", k, maxTagNameLength)
		case len(v) > maxTagValueLength:
			c.add("tags['"+k+"']", "InvalidTag", "The value of tag '%s' exceeds the maximum length of %d characters.", k, maxTagValueLength)
		}
	}
}

func checkLocation(c *checker, doc map[string]any) {
	if loc, ok := doc["location"].(string); ok && strings.TrimSpace(loc) == "" {
		c.add("location", "LocationRequired", "The property 'location' is required and must not be empty.")
	}
}

// validateApp checks a whole ContainerApp document and normalizes it in place.
func validateApp(doc map[string]any) *wire.Error {
	c := &checker{}
	containerAppSchema.check(c, "", doc)
	checkLocation(c, doc)
	checkTags(c, doc)
	return c.err()
}
