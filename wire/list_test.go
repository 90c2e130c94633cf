package wire

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestEncodeListMatchesJSONMarshal(t *testing.T) {
	t.Parallel()
	next := "https://x/y?$skipToken=a&b=c"
	cases := []struct {
		items   []json.RawMessage
		members []any
		want    any
	}{
		{nil, nil, map[string]any{"value": []any{}}},
		{[]json.RawMessage{[]byte(`{"a":1}`), []byte(`{"b":"<x>"}`)}, []any{"count", int64(2), "nextLink", &next},
			map[string]any{"value": []any{map[string]any{"a": 1.0}, map[string]any{"b": "<x>"}}, "count": 2.0, "nextLink": next}},
		{[]json.RawMessage{[]byte(`[1,2]`)}, []any{"nextLink", (*string)(nil)}, map[string]any{"value": []any{[]any{1.0, 2.0}}}},
	}
	for _, c := range cases {
		got := EncodeList(c.items, c.members...)
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Fatalf("%s is not JSON: %v", got, err)
		}
		if !reflect.DeepEqual(v, c.want) {
			t.Errorf("EncodeList = %s, want %v", got, c.want)
		}
	}
}
