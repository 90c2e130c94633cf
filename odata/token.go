package odata

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"unicode/utf8"
)

// Token is the state of a paged listing between pages, carried in the
// nextLink's $skipToken: where the last page stopped and what is left of
// $top. A position rather than an offset makes every page cost the same
// (an index seek, not a scan past the rows already served) and keeps pages
// stable when rows are inserted or deleted between requests.
type Token struct {
	// Fingerprint ties the token to the $filter and $orderby it was made
	// for (see Fingerprint).
	Fingerprint uint64
	// Now is the clock of the first page, unix microseconds, so that
	// computed fields such as an access token's state mean the same on
	// every page.
	Now int64
	// Remaining is how many more rows $top allows; -1 without $top.
	Remaining int
	// After is the last row served: one value per key of the query's
	// order (string, int64 or bool).
	After []any
}

// Fingerprint identifies a filter and order by their canonical text.
func Fingerprint(filter Expr, order OrderBy) uint64 {
	h := fnv.New64a()
	if filter != nil {
		h.Write([]byte(filter.String()))
	}
	h.Write([]byte{0})
	h.Write([]byte(order.String()))
	return h.Sum64()
}

const (
	tokenParam   = "$skipToken"
	tokenVersion = 1
	macSize      = 16
	// MaxTokenLength bounds a $skipToken, in bytes. A token holds the
	// sort values of one row, so keep sortable text fields short (names
	// and ids are, at most a few hundred bytes).
	MaxTokenLength = 16384
	macDomain      = "tokend/odata/skiptoken/v1"
)

func tokenMAC(key, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(macDomain))
	h.Write(payload)
	return h.Sum(nil)[:macSize]
}

// Encode makes the opaque URL-safe text of the token. The payload is
// authenticated with HMAC-SHA256 under key. With a secret key a client
// cannot forge a position; with a nil key the MAC is a checksum, which still
// turns any edit into a clean 400. Either way every value is a bound
// parameter and the query's own filter is applied on every page, so a
// forged token can reorder nothing and reveal nothing the filter would not.
func (t *Token) Encode(key []byte) string {
	b := []byte{tokenVersion}
	b = binary.BigEndian.AppendUint64(b, t.Fingerprint)
	b = binary.AppendVarint(b, t.Now)
	b = binary.AppendVarint(b, int64(t.Remaining))
	b = binary.AppendUvarint(b, uint64(len(t.After)))
	for _, v := range t.After {
		switch v := v.(type) {
		case string:
			b = append(b, 's')
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case int64:
			b = append(b, 'i')
			b = binary.AppendVarint(b, v)
		case bool:
			b = append(b, 'b')
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		default:
			panic(fmt.Sprintf("odata: token value of type %T", v))
		}
	}
	b = append(b, tokenMAC(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken checks and decodes a $skipToken made by Encode with the same
// key for a query ordered by order. Any failure is an *Error for
// $skipToken; it does not check Fingerprint (Schema.Parse does).
func DecodeToken(s string, key []byte, order OrderBy) (*Token, error) {
	bad := &Error{Param: tokenParam, Message: tokenParam +
		": the continuation token is malformed or was altered; follow the nextLink of the previous page unchanged, or list again from the first page"}
	// Even a Strict decoder skips CR and LF, so two different strings would
	// decode to one token: refuse them, so a token has exactly one spelling.
	if len(s) > MaxTokenLength || strings.ContainsAny(s, "\r\n") {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) < 1+8+macSize {
		return nil, bad
	}
	payload, mac := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
	if !hmac.Equal(mac, tokenMAC(key, payload)) || payload[0] != tokenVersion {
		return nil, bad
	}
	d := decoder{b: payload[1:]}
	t := &Token{Fingerprint: d.uint64()}
	t.Now = d.varint()
	rem := d.varint()
	n := d.uvarint()
	if d.failed || rem < -1 || rem > math.MaxInt32 || n != uint64(len(order)) {
		return nil, bad
	}
	t.Remaining = int(rem)
	t.After = make([]any, len(order))
	for i, it := range order {
		switch tag := d.byte(); {
		case tag == 's' && (it.Type == String || it.Type == Enum || it.Type == GUID):
			v := d.bytes()
			// PostgreSQL refuses invalid UTF-8 and NUL in text; a token
			// must never turn into a 500.
			if !utf8.Valid(v) || strings.IndexByte(string(v), 0) >= 0 {
				return nil, bad
			}
			t.After[i] = string(v)
		case tag == 'i' && (it.Type == Int || it.Type == DateTime):
			t.After[i] = d.varint()
		case tag == 'b' && it.Type == Bool:
			switch d.byte() {
			case 0:
				t.After[i] = false
			case 1:
				t.After[i] = true
			default:
				return nil, bad
			}
		default:
			return nil, bad
		}
	}
	if d.failed || len(d.b) != 0 {
		return nil, bad
	}
	return t, nil
}

// decoder reads a token payload; the first short read sets failed and
// every later read returns zero.
type decoder struct {
	b      []byte
	failed bool
}

func (d *decoder) uint64() uint64 {
	if d.failed || len(d.b) < 8 {
		d.failed = true
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if d.failed || n <= 0 {
		d.failed = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if d.failed || n <= 0 {
		d.failed = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.failed || len(d.b) < 1 {
		d.failed = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.failed || n > uint64(len(d.b)) {
		d.failed = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
