package sqlstore

import "time"

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
