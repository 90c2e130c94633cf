package browsertest

import (
	"context"
	"errors"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Selectors are CSS selectors (document.querySelector); an element query
// waits, within the Browser's time, until a matching element exists.

// Navigate loads url in the tab and waits for the page to load.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	if err := b.NavigateErr(url); err != nil {
		b.fatalf("navigate to %s: %v", url, err)
	}
}

// NavigateErr is Navigate returning the error (a certificate the browser
// refuses, a redirect to a URL nobody answers) instead of failing the test.
func (b *Browser) NavigateErr(url string) error {
	ctx, cancel := b.actionContext()
	defer cancel()
	return chromedp.Do(ctx, chromedp.Navigate(url))
}

// Fill types value into the visible input matching selector, as a user does
// (key events), after clearing it.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	b.do("fill "+selector,
		chromedp.Clear(chromedp.CSS(selector)),
		chromedp.SendKeys(chromedp.CSS(selector), value))
}

// SetValue sets the value of any input, hidden ones included, without key
// events: for tests that tamper with a form (a wrong CSRF token).
func (b *Browser) SetValue(selector, value string) {
	b.t.Helper()
	b.do("set the value of "+selector, chromedp.SetValue(chromedp.CSS(selector), value))
}

// Remove deletes the elements matching selector from the page (a CSRF field
// a test wants missing). It waits for at least one.
func (b *Browser) Remove(selector string) {
	b.t.Helper()
	b.do("remove "+selector, chromedp.Query(chromedp.CSSAll(selector), chromedp.After(
		func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) error {
			for _, n := range nodes {
				if _, err := cdp.Call(ctx, t, dom.RemoveNode, dom.RemoveNodeParams{NodeID: n.NodeID}); err != nil {
					return err
				}
			}
			return nil
		})))
}

// Click clicks the visible element matching selector with the mouse, and
// does not wait for what follows; see Submit.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// Submit submits a form and waits for the page it leads to to load. selector
// names the submit button, clicked as a user does (its name and value are
// sent), or the form itself, submitted as pressing Enter would
// (requestSubmit: validation and submit handlers run, unlike form.submit()).
func (b *Browser) Submit(selector string) {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	trigger := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		nodes, err := chromedp.Nodes(chromedp.CSS(selector))(ctx, t)
		if err != nil {
			return err
		}
		if nodes[0].NodeName == "FORM" {
			// DOM-level submission through the protocol: works with
			// page scripts disabled, as a user's Enter key does.
			return callOnNode(ctx, t, nodes[0], `function() { this.requestSubmit(); }`)
		}
		_, err = chromedp.Click(chromedp.CSS(selector))(ctx, t)
		return err
	})
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger))
	if err != nil {
		b.fatalf("submit %s: %v", selector, err)
	}
}

// Text returns the rendered text of the element matching selector.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return get(b, "read the text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// Value returns the value of the input matching selector (hidden included).
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return get(b, "read the value of "+selector, chromedp.Value(chromedp.CSS(selector)))
}

// Attr returns an attribute of the element matching selector ("" if unset).
func (b *Browser) Attr(selector, name string) string {
	b.t.Helper()
	return get(b, "read "+name+" of "+selector, chromedp.QueryAfter(chromedp.CSS(selector),
		func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (string, error) {
			v, _ := nodes[0].Attribute(name)
			return v, nil
		}))
}

// Count returns how many elements match selector now, without waiting: for
// asserting that something is absent (no sign-in form when a session exists).
func (b *Browser) Count(selector string) int {
	b.t.Helper()
	nodes := get(b, "count "+selector, chromedp.Nodes(chromedp.CSSAll(selector), chromedp.AtLeast(0)))
	return len(nodes)
}

// URL returns the URL of the current page, fragment included (from the
// navigation history, so it does not depend on page scripts).
func (b *Browser) URL() string {
	b.t.Helper()
	h := get(b, "read the location", chromedp.NavigationEntries())
	if h.CurrentIndex < 0 || int(h.CurrentIndex) >= len(h.Entries) {
		b.fatalf("read the location: no current history entry")
	}
	return h.Entries[h.CurrentIndex].URL
}

// Cookies returns the browser's cookies for the given URLs (for the current
// page when none): to check a session cookie's Secure, HttpOnly and SameSite.
func (b *Browser) Cookies(urls ...string) []*network.Cookie {
	b.t.Helper()
	return get(b, "read cookies", chromedp.Action[[]*network.Cookie](
		func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
			res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: urls})
			return res.Cookies, err
		}))
}

// do runs steps within the Browser's time, failing the test on error.
func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, timeoutError(err))
	}
}

// get runs one action that returns a value, failing the test on error.
func get[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatalf("%s: %v", what, timeoutError(err))
	}
	return v
}

// timeoutError names a deadline as the harness's, so a failure says which
// limit ran out (an element that never appeared waits until it).
func timeoutError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.Join(errTimeout, err)
	}
	return err
}

// disableScripts turns page scripts off for the tab (NoJavaScript).
func disableScripts(ctx context.Context, t *chromedp.Target) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	return err
}

// callOnNode calls a JavaScript function with the node as this, through the
// protocol (Runtime.callFunctionOn runs even with page scripts disabled).
func callOnNode(ctx context.Context, t *chromedp.Target, n *chromedp.Node, fn string) error {
	r, err := cdp.Call(ctx, t, dom.ResolveNode, dom.ResolveNodeParams{NodeID: n.NodeID})
	if err != nil {
		return err
	}
	defer cdp.Call(ctx, t, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: r.Object.ObjectID})
	_, err = chromedp.CallFunctionOn[chromedp.Void](fn, func(p *runtime.CallFunctionOnParams) {
		p.ObjectID = r.Object.ObjectID
	})(ctx, t)
	return err
}
