package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// toMicros stores a time as unix microseconds UTC; the zero time becomes 0
// so that "unset" reads as such in SQL too.
func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros is the inverse of toMicros; times come back in UTC.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// notNull keeps a NOT NULL blob column from receiving NULL for a nil slice.
func notNull(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// stringList stores a list of strings as a JSON array ("[]" for none),
// read and written whole: storage never queries into it.
func stringList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic("sqlstore: marshal []string: " + err.Error()) // cannot happen
	}
	return string(b)
}

// parseStringList is the inverse of stringList; nil for an empty list.
func parseStringList(text string) ([]string, error) {
	if text == "" || text == "[]" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return nil, fmt.Errorf("stored list %q: %w", text, err)
	}
	return list, nil
}
