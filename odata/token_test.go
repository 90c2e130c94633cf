package odata

import (
	"encoding/base64"
	"math"
	"reflect"
	"strings"
	"testing"
)

var tokenOrder = OrderBy{
	{Field: "name", Type: String, Desc: true},
	{Field: "at", Type: DateTime},
	{Field: "count", Type: Int},
	{Field: "enabled", Type: Bool},
	{Field: "kind", Type: Enum},
	{Field: "id", Type: GUID},
}

func sampleToken() *Token {
	return &Token{
		Fingerprint: 0xdeadbeefcafef00d,
		Now:         testNow.UnixMicro(),
		Remaining:   -1,
		After:       []any{"héllo 😀 ''", int64(-62135596800000000), int64(math.MinInt64), true, "Beta", "0123abcd-89ab-cdef-0123-456789abcdef"},
	}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	key := []byte("k")
	for _, tok := range []*Token{
		sampleToken(),
		{Remaining: math.MaxInt32, After: []any{"", int64(0), int64(math.MaxInt64), false, "", ""}},
	} {
		s := tok.Encode(key)
		if strings.ContainsAny(s, "+/=%") {
			t.Errorf("token %q is not URL-safe", s)
		}
		got, err := DecodeToken(s, key, tokenOrder)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tok) {
			t.Errorf("round trip = %+v, want %+v", got, tok)
		}
	}
}

// Every change to a token, anywhere, is a clean $skipToken error.
func TestTokenTamper(t *testing.T) {
	t.Parallel()
	for _, key := range [][]byte{nil, []byte("secret")} {
		s := sampleToken().Encode(key)
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		for i := range raw {
			for _, flip := range []byte{1, 0x80, 0xff} {
				b := append([]byte(nil), raw...)
				b[i] ^= flip
				assertBadToken(t, base64.RawURLEncoding.EncodeToString(b), key)
			}
		}
		for n := range len(raw) {
			assertBadToken(t, base64.RawURLEncoding.EncodeToString(raw[:n]), key)
		}
		assertBadToken(t, s+"A", key)
		assertBadToken(t, s+"AA", key)
		assertBadToken(t, s[:len(s)-1]+"?", key)
		assertBadToken(t, strings.Repeat("A", MaxTokenLength+1), key)
		// Another key, or the same payload made for another order.
		assertBadToken(t, s, []byte("other"))
		if _, err := DecodeToken(s, key, tokenOrder[:5]); err == nil {
			t.Error("token decoded for a shorter order")
		}
		other := append(OrderBy{{Field: "name", Type: Int}}, tokenOrder[1:]...)
		if _, err := DecodeToken(s, key, other); err == nil {
			t.Error("string decoded for an Int key")
		}
	}
}

// A correctly MACed token (an unkeyed one can be made by anyone) with
// values PostgreSQL would refuse is still refused here, not at the database.
func TestTokenRejectsBadText(t *testing.T) {
	t.Parallel()
	order := OrderBy{{Field: "name", Type: String}}
	for _, v := range []string{"a\x00b", "\xff", "a\xc3"} {
		s := (&Token{After: []any{v}}).Encode(nil)
		assertBadToken(t, s, nil, order...)
	}
	for _, rem := range []int{-2, math.MaxInt32 + 1} {
		s := (&Token{Remaining: rem, After: []any{"a"}}).Encode(nil)
		assertBadToken(t, s, nil, order...)
	}
}

func assertBadToken(t *testing.T, s string, key []byte, order ...OrderItem) {
	t.Helper()
	if order == nil {
		order = tokenOrder
	}
	tok, err := DecodeToken(s, key, order)
	e, ok := err.(*Error)
	if !ok || e.Param != "$skipToken" || e.Position != 0 || !strings.HasPrefix(e.Message, "$skipToken: the continuation token is malformed") {
		t.Errorf("DecodeToken(%.30q…) = %+v, %v; want a $skipToken error", s, tok, err)
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(sampleToken().Encode(nil))
	f.Add((&Token{After: []any{"a", int64(1), int64(2), false, "x", "y"}}).Encode(nil))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := DecodeToken(s, nil, tokenOrder)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		// Whatever decodes binds cleanly.
		var args Args
		m := Mapping{Dialect: PostgreSQL, Columns: map[string]string{"name": "a", "at": "b", "count": "c", "enabled": "d", "kind": "e", "id": "f"}}
		KeysetAfter(tokenOrder, tok.After, m, &args)
		if s2 := tok.Encode(nil); s2 != s {
			t.Fatalf("re-encoding differs: %q vs %q", s2, s)
		}
	})
}
