package arm

import (
	"fmt"
	"strings"
)

// ID is a parsed ARM resource ID. Its fields keep the casing they were given;
// Key gives the canonical form storage uses.
type ID struct {
	SubscriptionID string
	ResourceGroup  string // empty at subscription scope
	Namespace      string // e.g. "Microsoft.App"; empty for groups and subscriptions
	// Types and Names alternate below the namespace: Types[i] is the type of
	// Names[i]. A nested resource has more than one pair.
	Types []string
	Names []string
}

// ParseID parses "/subscriptions/{s}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}...]".
// Keywords match case-insensitively.
func ParseID(s string) (ID, error) {
	segs := strings.Split(strings.Trim(s, "/"), "/")
	var id ID
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") || segs[1] == "" {
		return id, fmt.Errorf("resource id %q: must start with /subscriptions/{subscriptionId}", s)
	}
	id.SubscriptionID = segs[1]
	rest := segs[2:]
	if len(rest) >= 2 && strings.EqualFold(rest[0], "resourceGroups") {
		id.ResourceGroup = rest[1]
		rest = rest[2:]
	}
	if len(rest) == 0 {
		return id, nil
	}
	if !strings.EqualFold(rest[0], "providers") || len(rest) < 4 || len(rest)%2 != 0 {
		return id, fmt.Errorf("resource id %q: expected /providers/{namespace}/{type}/{name}", s)
	}
	id.Namespace = rest[1]
	for i := 2; i < len(rest); i += 2 {
		if rest[i] == "" || rest[i+1] == "" {
			return id, fmt.Errorf("resource id %q: empty segment", s)
		}
		id.Types = append(id.Types, rest[i])
		id.Names = append(id.Names, rest[i+1])
	}
	return id, nil
}

// String renders the ID with the casing it was given.
func (id ID) String() string {
	var b strings.Builder
	b.WriteString("/subscriptions/")
	b.WriteString(id.SubscriptionID)
	if id.ResourceGroup != "" {
		b.WriteString("/resourceGroups/")
		b.WriteString(id.ResourceGroup)
	}
	if id.Namespace != "" {
		b.WriteString("/providers/")
		b.WriteString(id.Namespace)
		for i := range id.Types {
			b.WriteByte('/')
			b.WriteString(id.Types[i])
			b.WriteByte('/')
			b.WriteString(id.Names[i])
		}
	}
	return b.String()
}

// Key is the canonical (lower-case) form of the ID: the storage key.
func (id ID) Key() string { return strings.ToLower(id.String()) }

// Name is the last name in the ID.
func (id ID) Name() string {
	switch {
	case len(id.Names) > 0:
		return id.Names[len(id.Names)-1]
	case id.ResourceGroup != "":
		return id.ResourceGroup
	default:
		return id.SubscriptionID
	}
}

// Type is the resource type as ARM writes it, e.g. "Microsoft.App/containerApps"
// or "Microsoft.ApiManagement/service/authorizationServers".
func (id ID) Type() string {
	switch {
	case id.Namespace != "":
		return id.Namespace + "/" + strings.Join(id.Types, "/")
	case id.ResourceGroup != "":
		return "Microsoft.Resources/resourceGroups"
	default:
		return "Microsoft.Resources/subscriptions"
	}
}

// TypeKey is the canonical form of Type.
func (id ID) TypeKey() string { return strings.ToLower(id.Type()) }

// Parent is the enclosing resource (for a nested resource), else the resource
// group, else the subscription.
func (id ID) Parent() ID {
	p := id
	switch {
	case len(id.Types) > 1:
		p.Types = id.Types[:len(id.Types)-1]
		p.Names = id.Names[:len(id.Names)-1]
	case len(id.Types) == 1:
		p.Namespace, p.Types, p.Names = "", nil, nil
	default:
		p.ResourceGroup = ""
	}
	return p
}

// GroupID is the ID of the resource group the resource lives in.
func (id ID) GroupID() ID {
	return ID{SubscriptionID: id.SubscriptionID, ResourceGroup: id.ResourceGroup}
}

// Child returns the ID of a resource of childType named name below id.
func (id ID) Child(namespace, childType, name string) ID {
	c := id
	if c.Namespace == "" {
		c.Namespace = namespace
	}
	c.Types = append(append([]string(nil), id.Types...), childType)
	c.Names = append(append([]string(nil), id.Names...), name)
	return c
}

// SubscriptionKey is the canonical scope key of a subscription.
func SubscriptionKey(subscriptionID string) string {
	return "/subscriptions/" + strings.ToLower(subscriptionID)
}
