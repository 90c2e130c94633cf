package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// A browser session lets a signed-in browser skip the sign-in form until
// it expires, the user signs out (logout) or a flow asks for prompt=login.
// The cookie holds the session sealed (AES-256-GCM under the key-
// encryption key): nothing is stored per session; signing out revokes its
// id through the revocation list every node follows.
const (
	sessionCookieName = "tokend_session"
	sessionAAD        = "tokend browser session v1"
	sessionRevokedPfx = "session:"
)

type browserSession struct {
	ID       string `json:"i"`
	User     string `json:"u"`
	Tenant   string `json:"t"`
	AuthTime int64  `json:"a"`
	Exp      int64  `json:"e"`
}

// startSession sets the session cookie for user (Secure over TLS,
// HttpOnly, SameSite=Lax: sent on the top-level navigation an application
// starts a sign-in with, which is what lets a second sign-in skip the
// form, and never on a cross-site POST).
func (s *Service) startSession(w http.ResponseWriter, r *http.Request, tenantID string, user *tokend.User, authTime time.Time) error {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	exp := authTime.Add(s.cfg.SessionLifetime)
	plain, err := json.Marshal(browserSession{ID: base64.RawURLEncoding.EncodeToString(id[:]), User: user.ObjectID,
		Tenant: tenantID, AuthTime: authTime.Unix(), Exp: exp.Unix()})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookieName, Value: base64.RawURLEncoding.EncodeToString(s.cfg.Box.Seal(plain, []byte(sessionAAD))),
		Path: s.basePath() + "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		Expires: exp, MaxAge: int(s.cfg.SessionLifetime.Seconds()),
	})
	return nil
}

// readSession is the browser's session, unexpired and not signed out.
func (s *Service) readSession(r *http.Request) (*browserSession, bool) {
	c, err := r.Cookie(sessionCookieName)
	if err != nil || c.Value == "" || len(c.Value) > 4096 {
		return nil, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, false
	}
	plain, err := s.cfg.Box.Open(sealed, []byte(sessionAAD))
	if err != nil {
		return nil, false
	}
	var sess browserSession
	if json.Unmarshal(plain, &sess) != nil || sess.ID == "" || s.cfg.Now().Unix() >= sess.Exp ||
		s.deny.contains(sessionRevokedPfx+sess.ID) {
		return nil, false
	}
	return &sess, true
}

// sessionUser is the user the browser is signed in as in tenantID, and
// when they signed in; ok false when there is no such session (or the
// user is gone).
func (s *Service) sessionUser(ctx context.Context, r *http.Request, tenantID string) (*tokend.User, time.Time, bool, error) {
	sess, ok := s.readSession(r)
	if !ok || !strings.EqualFold(sess.Tenant, tenantID) {
		return nil, time.Time{}, false, nil
	}
	user, err := s.cfg.Store.GetUser(ctx, sess.User)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, err
	}
	return user, time.Unix(sess.AuthTime, 0), true, nil
}

// endSession signs the browser out: its session id is revoked on every
// node, and the cookie cleared.
func (s *Service) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: sessionCookieName, Value: "", Path: s.basePath() + "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	sess, ok := s.readSession(r)
	if !ok {
		return nil
	}
	return s.Revoke(ctx, sessionRevokedPfx+sess.ID, time.Unix(sess.Exp, 0))
}
