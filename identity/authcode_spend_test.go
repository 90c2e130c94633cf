package identity

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// slowFamilies holds the first batch of new refresh families once armed,
// until released: an exchange whose family insert has not committed yet.
type slowFamilies struct {
	tokend.Store
	armed   atomic.Bool
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (s *slowFamilies) CreateRefreshFamilies(ctx context.Context, records []*tokend.RefreshFamilyCreation) error {
	if s.armed.Load() {
		s.once.Do(func() {
			close(s.started)
			<-s.release
		})
	}
	return s.Store.CreateRefreshFamilies(ctx, records)
}

func TestCodeReplayDuringFirstExchange(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCodeReplayDuringFirstExchange)
}

// A replay that arrives while the first exchange of its code is still
// writing finds what that exchange issued and revokes it: the family's
// insert is what spends the code, so no replay is answered before the
// family exists. (When the code was spent in a replay log beside the
// family insert, such a replay could revoke a family not yet there, and
// the first exchange's refresh token lived on.)
func testCodeReplayDuringFirstExchange(t *testing.T, store tokend.Store) {
	slow := &slowFamilies{Store: store, started: make(chan struct{}), release: make(chan struct{})}
	e := newUserEnv(t, slow)
	verifier, challenge := pkce("r")
	code := e.signedInCode(t, newTestBrowser(t, e), challenge)
	slow.armed.Store(true)

	type result struct {
		status int
		m      map[string]any
	}
	first, replay := make(chan result, 1), make(chan result, 1)
	go func() {
		status, m := e.redeem(t, code, verifier, appRedirect)
		first <- result{status, m}
	}()
	<-slow.started
	go func() {
		status, m := e.redeem(t, code, verifier, appRedirect)
		replay <- result{status, m}
	}()
	select {
	case r := <-replay:
		t.Fatalf("the replay was answered (%d %v) before the first exchange's family was stored", r.status, r.m)
	case <-time.After(50 * time.Millisecond):
	}
	close(slow.release)
	won, lost := <-first, <-replay
	if won.status != http.StatusOK {
		t.Fatalf("first exchange: %d %v", won.status, won.m)
	}
	wantOAuthError(t, lost.status, lost.m, http.StatusBadRequest, "invalid_grant", "54005")
	if _, err := e.svc.Authenticate(t.Context(), bearerRequest(won.m["access_token"].(string)), tokend.AudienceManagement); err == nil {
		t.Error("the first exchange's access token still authenticates after the replay")
	}
	status, m, _ := e.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {won.m["refresh_token"].(string)}})
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
}

func TestCodeWithoutOfflineAccessSpent(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCodeWithoutOfflineAccessSpent)
}

// An exchange that issues no refresh token spends its code all the same:
// a replay is refused, even one asking for offline_access, and revokes
// the access token.
func testCodeWithoutOfflineAccessSpent(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	verifier, challenge := pkce("o")
	code := e.signedInCode(t, newTestBrowser(t, e), challenge)
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {e.public.ID}, "code": {code},
		"redirect_uri": {appRedirect}, "code_verifier": {verifier}, "scope": {armScope + " openid"}}
	status, m, _ := e.token(t, form)
	if status != http.StatusOK || m["refresh_token"] != nil || m["access_token"] == nil {
		t.Fatalf("exchange without offline_access: %d %v", status, m)
	}
	status, m2 := e.redeem(t, code, verifier, appRedirect) // asks for offline_access
	wantOAuthError(t, status, m2, http.StatusBadRequest, "invalid_grant", "54005")
	if _, err := e.svc.Authenticate(t.Context(), bearerRequest(m["access_token"].(string)), tokend.AudienceManagement); err == nil {
		t.Error("the access token of a replayed code still authenticates")
	}
}

func TestCodeOfDeletedUser(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCodeOfDeletedUser)
}

// A code outlives nothing: once its user is deleted, it is refused (the
// exchange reads no user; the family insert that spends it finds none).
func testCodeOfDeletedUser(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	verifier, challenge := pkce("d")
	code := e.signedInCode(t, newTestBrowser(t, e), challenge)
	if _, err := e.svc.Users.Delete(t.Context(), e.tenant, e.user.ObjectID); err != nil {
		t.Fatal(err)
	}
	status, m := e.redeem(t, code, verifier, appRedirect)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
}
