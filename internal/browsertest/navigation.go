package browsertest

import (
	"context"
	"net/url"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Request is one document request of the tab's top frame, as the browser
// sent it: every hop of a redirect chain is one Request, sent whether or not
// a server answers it.
type Request struct {
	Method string
	// URL is the full URL, including a fragment (which never reaches a
	// server: response_mode=fragment is seen only here).
	URL string
	// Body is a POST's body (a form_post response's fields).
	Body []byte

	requestID network.RequestID
	needBody  bool // the browser left the body out of the event (too long)
}

// Form parses Body as application/x-www-form-urlencoded.
func (r Request) Form() url.Values {
	v, _ := url.ParseQuery(string(r.Body))
	return v
}

// listenNavigations records the top frame's document requests. Chromium
// gives the top frame the target's id, which tells its requests from an
// iframe's.
func listenNavigations(ctx context.Context, t *chromedp.Target, rec *record[Request]) error {
	top := cdp.FrameID(t.TargetID)
	return chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Type != network.ResourceTypeDocument || ev.FrameID != top {
				return
			}
			r := Request{Method: ev.Request.Method, URL: ev.Request.URL + ev.Request.URLFragment, requestID: ev.RequestID}
			for _, e := range ev.Request.PostDataEntries {
				r.Body = append(r.Body, e.Bytes...)
			}
			r.needBody = ev.Request.HasPostData && len(r.Body) == 0
			rec.add(r)
		case *page.EventNavigatedWithinDocument:
			// A fragment set by script, or history.pushState: no request,
			// but where the page now is.
			if ev.FrameID == top {
				rec.add(Request{Method: "GET", URL: ev.URL})
			}
		}
	})
}

// WaitRequest waits until the browser sends its top frame to a URL starting
// with prefix, and returns that request: the next one since the last wait
// returned, so a flow run twice waits for its second redirect. It is how a
// test sees where a server sent the browser, fragment and form_post body
// included, also when nobody answers that URL.
func (b *Browser) WaitRequest(prefix string) Request {
	b.t.Helper()
	ctx, cancel := b.actionContext()
	defer cancel()
	r, err := b.nav.wait(ctx, func(r Request) bool { return strings.HasPrefix(r.URL, prefix) })
	if err != nil {
		b.fatalf("no navigation to %s…: %v; navigations so far:\n%s", prefix, errTimeout, b.describeNavigations())
	}
	if r.needBody {
		// The event leaves long bodies out; the network agent still has it.
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			got, err := cdp.Call(ctx, t, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: r.requestID})
			r.Body = got.PostData
			return err
		}))
		if err != nil {
			b.fatalf("read the body of POST %s: %v", r.URL, err)
		}
	}
	return r
}

// WaitURLPrefix is WaitRequest returning the full URL (with its fragment).
func (b *Browser) WaitURLPrefix(prefix string) string {
	b.t.Helper()
	return b.WaitRequest(prefix).URL
}

// Navigations returns every top-frame document request so far, in order:
// the whole redirect chain, for asserting where the browser was (and was
// not) sent.
func (b *Browser) Navigations() []Request {
	return b.nav.list()
}

func (b *Browser) describeNavigations() string {
	var sb strings.Builder
	for _, r := range b.nav.list() {
		sb.WriteString("    " + r.Method + " " + r.URL + "\n")
	}
	if sb.Len() == 0 {
		return "    (none)\n"
	}
	return sb.String()
}
