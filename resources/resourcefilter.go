package resources

import (
	"encoding/json"
	"strings"
	"unicode"

	"github.com/tokend-dev/tokend/wire"
)

// resourceFilter is the $filter of Resources_List as ARM documents it: a
// conjunction of at most one of each clause. Values keep the caller's
// casing; matching decides what is case-insensitive.
type resourceFilter struct {
	ResourceType  string  `json:"type,omitempty"`
	Name          string  `json:"name,omitempty"`
	NameContains  string  `json:"contains,omitempty"`
	TagName       string  `json:"tag,omitempty"`
	TagValue      *string `json:"value,omitempty"`
	ResourceGroup string  `json:"group,omitempty"`
}

// canonical is the filter as the continuation token is bound to it.
func (f resourceFilter) canonical() string {
	b, _ := json.Marshal(f)
	return string(b)
}

func filterError(why string) *wire.Error {
	return wire.BadRequest("InvalidFilterInQueryString", "$filter", "The $filter is invalid: "+why+
		". tokend supports resourceType eq '…', name eq '…', substringof('…', name), resourceGroup eq '…', "+
		"tagName eq '…' and tagName eq '…' and tagValue eq '…', joined with 'and'.")
}

// parseResourceFilter parses the clauses
//
//	resourceType eq 'Microsoft.App/containerApps'
//	name eq 'web'            substringof('we', name)
//	tagName eq 'env'         tagValue eq 'prod' (with tagName)
//	resourceGroup eq 'rg'
//
// joined by "and"; keywords and property names match without regard to
// case, as ARM's do. Anything else is a 400 naming $filter.
func parseResourceFilter(s string) (resourceFilter, error) {
	var f resourceFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	toks, err := tokenizeFilter(s)
	if err != nil {
		return f, err
	}
	seen := map[string]bool{}
	for i := 0; ; {
		clause, n, err := parseClause(toks[i:])
		if err != nil {
			return f, err
		}
		if seen[clause.prop] {
			return f, filterError("'" + clause.prop + "' appears twice")
		}
		seen[clause.prop] = true
		switch clause.prop {
		case "resourcetype":
			f.ResourceType = clause.value
		case "name":
			f.Name = clause.value
		case "substringof":
			f.NameContains = clause.value
		case "tagname":
			f.TagName = clause.value
		case "tagvalue":
			v := clause.value
			f.TagValue = &v
		case "resourcegroup":
			f.ResourceGroup = clause.value
		default:
			return f, filterError("'" + wire.Clip(clause.prop) + "' cannot be filtered on")
		}
		i += n
		if i == len(toks) {
			break
		}
		if !toks[i].is("and") || i+1 == len(toks) {
			return f, filterError("expected 'and' between clauses")
		}
		i++
	}
	if f.TagValue != nil && f.TagName == "" {
		return f, filterError("tagValue needs tagName")
	}
	return f, nil
}

type filterClause struct{ prop, value string }

// parseClause reads "prop eq 'v'" or "substringof('v', name)" and says how
// many tokens it took.
func parseClause(t []filterToken) (filterClause, int, error) {
	if len(t) >= 3 && t[0].ident() && t[1].is("eq") && t[2].quoted {
		return filterClause{prop: strings.ToLower(t[0].text), value: t[2].text}, 3, nil
	}
	if len(t) >= 6 && t[0].is("substringof") && t[1].is("(") && t[2].quoted && t[3].is(",") && t[4].is("name") && t[5].is(")") {
		return filterClause{prop: "substringof", value: t[2].text}, 6, nil
	}
	return filterClause{}, 0, filterError("expected \"property eq 'value'\" or \"substringof('value', name)\"")
}

type filterToken struct {
	text   string
	quoted bool
}

func (t filterToken) is(word string) bool { return !t.quoted && strings.EqualFold(t.text, word) }

func (t filterToken) ident() bool {
	return !t.quoted && t.text != "" && strings.IndexFunc(t.text, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

// tokenizeFilter splits a filter into words, punctuation and quoted
// strings (” inside one is a quote, as OData escapes it).
func tokenizeFilter(s string) ([]filterToken, error) {
	if !wire.SQLText(s) {
		return nil, filterError("it is not UTF-8 text")
	}
	var out []filterToken
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			out = append(out, filterToken{text: string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			for i++; ; i++ {
				if i >= len(s) {
					return nil, filterError("a quoted value is not closed")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i++
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
			}
			out = append(out, filterToken{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			out = append(out, filterToken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}
