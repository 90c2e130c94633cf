package azuretest

import (
	"html"
	"net/url"
	"regexp"
	"strings"
)

// HTMLForm is the first form of one of tokend's server-rendered pages (the
// sign-in form, a form_post answer), read the way a browser without
// script would submit it: its action and its hidden fields.
type HTMLForm struct {
	Action string
	Fields url.Values
}

var (
	formTag     = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// ParseHTMLForm reads the form on page; ok false when there is none.
func ParseHTMLForm(page string) (form HTMLForm, ok bool) {
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		return HTMLForm{}, false
	}
	form = HTMLForm{Action: html.UnescapeString(m[1]), Fields: url.Values{}}
	for _, in := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Fields.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return form, true
}

// IsSignInForm tells tokend's sign-in form from its other pages.
func IsSignInForm(page string) bool {
	return strings.Contains(page, `name="username"`) && strings.Contains(page, `name="password"`)
}

// RedirectAnswer reads what an authorization endpoint's redirect carries
// to the application: the redirect URI (without query or fragment) and
// the parameters, from the fragment when there is one (response_mode
// fragment), else from the query.
func RedirectAnswer(location string) (redirectURI string, params url.Values, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", nil, err
	}
	params = u.Query()
	if u.Fragment != "" {
		if params, err = url.ParseQuery(u.EscapedFragment()); err != nil {
			return "", nil, err
		}
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u.String(), params, nil
}
