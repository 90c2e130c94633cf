package resources

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPageCache(t *testing.T) {
	t.Parallel()
	c := newPageCache(100)
	page := func(s string) json.RawMessage { return json.RawMessage(s) }
	if _, ok := c.get("a", 0); ok {
		t.Fatal("an empty cache answered")
	}
	c.put("a", 3, page(`[3]`))
	if b, ok := c.get("a", 3); !ok || string(b) != `[3]` {
		t.Fatalf("get at the generation put = %s, %v", b, ok)
	}
	for _, g := range []int64{2, 4} {
		if _, ok := c.get("a", g); ok {
			t.Errorf("a page of generation 3 answered for %d", g)
		}
	}
	// A racing reader's older page does not replace a newer one.
	c.put("a", 2, page(`[2]`))
	if b, ok := c.get("a", 3); !ok || string(b) != `[3]` {
		t.Errorf("an older put replaced the newer page: %s, %v", b, ok)
	}
	c.put("a", 4, page(`[4]`))
	if b, ok := c.get("a", 4); !ok || string(b) != `[4]` {
		t.Errorf("a newer put = %s, %v", b, ok)
	}
	// Past the bound it starts over; a page larger than the bound is not kept.
	c.put("b", 1, page(strings.Repeat("x", 97))) // with "a": 102 bytes
	if _, ok := c.get("a", 4); ok {
		t.Error("the cache grew past its bound")
	}
	if _, ok := c.get("b", 1); !ok {
		t.Error("the page that filled the cache is missing")
	}
	c.put("c", 1, page(strings.Repeat("x", 200)))
	if _, ok := c.get("c", 1); ok {
		t.Error("a page larger than the cache was kept")
	}
	off := newPageCache(-1)
	off.put("a", 1, page(`[]`))
	if _, ok := off.get("a", 1); ok {
		t.Error("a cache of no bytes remembered a page")
	}
}
