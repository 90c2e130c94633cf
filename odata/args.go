package odata

import "strconv"

// Args collects the values of a statement's positional parameters, $1, $2,
// … in order. Values are always bound, never written into the SQL text, so
// nothing a client writes can change a statement's meaning.
type Args struct{ values []any }

// Add appends a value and returns its placeholder. Add the statement's own
// parameters (an account id, say) through the same Args, before or after
// the translation, so the numbering stays consistent.
func (a *Args) Add(v any) string {
	a.values = append(a.values, v)
	if n := len(a.values); n < len(placeholders) {
		return placeholders[n]
	}
	return "$" + strconv.Itoa(len(a.values))
}

// placeholders are "$0" … "$255", made once.
var placeholders = func() (p [256]string) {
	for i := range p {
		p[i] = "$" + strconv.Itoa(i)
	}
	return p
}()

// Values are the arguments to pass to QueryContext, in placeholder order.
func (a *Args) Values() []any { return a.values }

// Len is the number of parameters so far.
func (a *Args) Len() int { return len(a.values) }
