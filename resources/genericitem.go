package resources

import (
	"encoding/json"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
)

// An item of the generic lists, GenericResourceExpanded, is rendered from
// the provider's stored document: the members the schema shares with it,
// copied as they are, and the row's id, name, type and times.

// listedMembers are the members of a stored document that an item of the
// lists (GenericResourceExpanded) shows as they are, in the schema's order.
var listedMembers = [...]string{"location", "extendedLocation", "tags", "kind", "sku", "identity", "managedBy", "plan"}

// tagsMember is where tags stand in listedMembers: the tag filters read them.
const tagsMember = 2

// documentMembers are the raw values eachMember found of a document.
type documentMembers struct {
	typ, properties []byte
	listed          [len(listedMembers)][]byte
}

func readDocument(body []byte) documentMembers {
	var d documentMembers
	ok := eachMember(body, func(key, value []byte) {
		if string(value) == "null" { // the schema's objects do not allow null
			return
		}
		switch k := string(key); k {
		case "type":
			d.typ = value
		case "properties":
			d.properties = value
		default:
			for i, name := range listedMembers {
				if k == name {
					d.listed[i] = value
				}
			}
		}
	})
	if !ok {
		return documentMembers{} // listed by what its row says
	}
	return d
}

// resourceMatcher renders a stored resource for the lists, or rejects it.
type resourceMatcher struct {
	filter resourceFilter
	expand expansion
	// rendered holds the page's items one after another: an item is a
	// slice of it, which stays valid when it grows (only appended to),
	// so a page allocates a few buffers rather than one per item.
	rendered []byte
}

func (m *resourceMatcher) keep(res *tokend.Resource) (json.RawMessage, bool, error) {
	f := m.filter
	if !isTopLevelInGroup(res.Key) || res.Type == arm.GroupTypeKey {
		return nil, false, nil
	}
	if f.Name != "" && !strings.EqualFold(res.Name, f.Name) ||
		f.NameContains != "" && !strings.Contains(strings.ToLower(res.Name), strings.ToLower(f.NameContains)) ||
		f.ResourceGroup != "" && groupOfKey(res.Key) != strings.ToLower(f.ResourceGroup) {
		return nil, false, nil
	}
	doc := readDocument(res.Body)
	if f.TagName != "" && !hasTag(doc.listed[tagsMember], f.TagName, f.TagValue) {
		return nil, false, nil
	}
	start := len(m.rendered)
	b := m.rendered
	b = append(b, `{"id":`...)
	b = appendJSONString(b, res.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, res.Name)
	b = append(b, `,"type":`...)
	if typ, ok := plainString(doc.typ); ok && strings.EqualFold(typ, res.Type) {
		b = append(b, doc.typ...) // the provider's casing
	} else if id, err := arm.ParseID(res.ID); err == nil {
		b = appendJSONString(b, id.Type())
	} else {
		b = appendJSONString(b, res.Type)
	}
	for i, raw := range doc.listed {
		if len(raw) > 0 {
			b = append(append(append(append(b, ',', '"'), listedMembers[i]...), '"', ':'), raw...)
		}
	}
	if m.expand.created {
		b = append(append(append(b, `,"createdTime":"`...), arm.FormatTime(res.CreatedAt)...), '"')
	}
	if m.expand.changed {
		b = append(append(append(b, `,"changedTime":"`...), arm.FormatTime(res.UpdatedAt)...), '"')
	}
	if m.expand.state {
		b = append(b, `,"provisioningState":`...)
		b = append(b, provisioningState(doc.properties)...)
	}
	m.rendered = append(b, '}')
	return m.rendered[start:len(m.rendered):len(m.rendered)], true, nil
}

// provisioningState is the raw properties.provisioningState of a document.
// Every write completes before tokend answers it, so a document that does
// not keep a state of its own has succeeded.
func provisioningState(properties []byte) []byte {
	state := []byte(`"Succeeded"`)
	eachMember(properties, func(key, value []byte) {
		if string(key) == "provisioningState" && value[0] == '"' {
			state = value
		}
	})
	return state
}

// hasTag reports a tag named name (without regard to case, as ARM's tag
// names) and, when value is set, with exactly that value.
func hasTag(raw json.RawMessage, name string, value *string) bool {
	var tags map[string]string
	if json.Unmarshal(raw, &tags) != nil {
		return false
	}
	for k, v := range tags {
		if strings.EqualFold(k, name) && (value == nil || v == *value) {
			return true
		}
	}
	return false
}
