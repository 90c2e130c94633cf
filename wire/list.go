package wire

import (
	"encoding/json"
	"reflect"
)

// EncodeList writes a list result {"value":[...], name: value, ...} whose
// items are stored JSON documents, without encoding them a second time:
// json.Marshal would re-validate and compact every item, which for a page of
// a hundred documents costs more than reading them from the database. Extra
// members come as name, value pairs and are marshalled normally; a nil value
// (or nil pointer) is left out.
func EncodeList(items []json.RawMessage, members ...any) json.RawMessage {
	// Members first, so that the page is allocated once at its final size:
	// a nextLink is a few hundred bytes, enough to make a page sized for
	// its items alone double.
	var tail []byte
	for i := 0; i+1 < len(members); i += 2 {
		if v := reflect.ValueOf(members[i+1]); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
			continue
		}
		name, _ := json.Marshal(members[i])
		value, err := json.Marshal(members[i+1])
		if err != nil {
			panic("wire: list member does not marshal: " + err.Error())
		}
		tail = append(append(append(append(tail, ','), name...), ':'), value...)
	}
	n := len(`{"value":[]}`) + len(tail)
	for _, it := range items {
		n += len(it) + 1
	}
	buf := make([]byte, 0, n)
	buf = append(buf, `{"value":[`...)
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it...)
	}
	buf = append(buf, ']')
	buf = append(buf, tail...)
	return append(buf, '}')
}
