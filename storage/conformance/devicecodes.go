package conformance

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

// RunDeviceCodes runs the DeviceCodeStore conformance tests.
func RunDeviceCodes(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"Lifecycle", testDeviceCodeLifecycle},
		{"UserCodeUniqueWhilePending", testDeviceUserCodeUnique},
		{"Decline", testDeviceCodeDecline},
		{"Polls", testDeviceCodePolls},
		{"Expiry", testDeviceCodeExpiry},
		{"RedeemRace", testDeviceCodeRedeemRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func newDeviceCode(userCode string) *tokend.DeviceCode {
	return &tokend.DeviceCode{
		ID: uuid.NewString(), UserCode: userCode, TenantID: uuid.NewString(), ClientID: uuid.NewString(),
		Scope: "https://management.core.windows.net//.default offline_access", Resource: "https://vault.azure.net",
		Status: tokend.DeviceCodePending, Interval: 5 * time.Second, CreatedAt: stamp(0), ExpiresAt: stamp(15 * time.Minute),
	}
}

func checkDeviceCode(t *testing.T, got, want *tokend.DeviceCode) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "AuthTime", got.AuthTime, want.AuthTime)
	checkTime(t, "PolledAt", got.PolledAt, want.PolledAt)
	if got.ID != want.ID || got.UserCode != want.UserCode || got.TenantID != want.TenantID || got.ClientID != want.ClientID ||
		got.Scope != want.Scope || got.Resource != want.Resource || got.Status != want.Status ||
		got.UserObjectID != want.UserObjectID || got.Interval != want.Interval {
		t.Errorf("device code = %+v, want %+v", got, want)
	}
}

func testDeviceCodeLifecycle(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	d := newDeviceCode("ABCDEFGHJ")
	must(t, s.CreateDeviceCode(ctx, d))
	if err := s.CreateDeviceCode(ctx, d); !errors.Is(err, tokend.ErrAlreadyExists) {
		t.Fatalf("second create: %v, want ErrAlreadyExists", err)
	}
	got, err := s.GetDeviceCode(ctx, d.ID)
	must(t, err)
	checkDeviceCode(t, got, d)
	got, err = s.GetDeviceCodeByUserCode(ctx, d.UserCode)
	must(t, err)
	checkDeviceCode(t, got, d)
	for _, err := range []error{
		func() error { _, err := s.GetDeviceCode(ctx, "nope"); return err }(),
		func() error { _, err := s.GetDeviceCodeByUserCode(ctx, "abcdefghj"); return err }(), // exact, not case-folded
	} {
		if !errors.Is(err, tokend.ErrNotFound) {
			t.Errorf("missing code: %v, want ErrNotFound", err)
		}
	}
	// Not approved yet: nothing to redeem.
	if ok, err := s.RedeemDeviceCode(ctx, d.ID, stamp(time.Minute)); err != nil || ok {
		t.Fatalf("redeem pending: %v %v", ok, err)
	}
	user, authTime := uuid.NewString(), stamp(time.Minute)
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodePending, user, authTime, stamp(time.Minute)); err == nil || ok {
		t.Fatalf("pending is not a decision: %v %v", ok, err)
	}
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodeApproved, user, authTime, stamp(time.Minute)); err != nil || !ok {
		t.Fatalf("approve: %v %v", ok, err)
	}
	// Decided once: a second decision does nothing.
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodeDeclined, uuid.NewString(), authTime, stamp(time.Minute)); err != nil || ok {
		t.Fatalf("decline after approval: %v %v", ok, err)
	}
	d.Status, d.UserObjectID, d.AuthTime = tokend.DeviceCodeApproved, user, authTime
	got, err = s.GetDeviceCode(ctx, d.ID)
	must(t, err)
	checkDeviceCode(t, got, d)
	if ok, err := s.RedeemDeviceCode(ctx, d.ID, stamp(2*time.Minute)); err != nil || !ok {
		t.Fatalf("redeem: %v %v", ok, err)
	}
	if ok, err := s.RedeemDeviceCode(ctx, d.ID, stamp(2*time.Minute)); err != nil || ok {
		t.Fatalf("second redeem: %v %v", ok, err)
	}
	got, err = s.GetDeviceCode(ctx, d.ID)
	must(t, err)
	if got.Status != tokend.DeviceCodeRedeemed {
		t.Fatalf("status after redemption = %s", got.Status)
	}
	if ok, err := s.DecideDeviceCode(ctx, "ZZZZZZZZZ", tokend.DeviceCodeApproved, user, authTime, stamp(time.Minute)); err != nil || ok {
		t.Fatalf("decide unknown user code: %v %v", ok, err)
	}
}

func testDeviceUserCodeUnique(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := newDeviceCode("BCDEFGHJK")
	must(t, s.CreateDeviceCode(ctx, a))
	b := newDeviceCode(a.UserCode)
	b.CreatedAt = stamp(time.Minute)
	if err := s.CreateDeviceCode(ctx, b); !errors.Is(err, tokend.ErrAlreadyExists) {
		t.Fatalf("user code of a pending code reused: %v, want ErrAlreadyExists", err)
	}
	// Once a has expired, its user code is free again, and a is gone.
	b.CreatedAt, b.ExpiresAt = a.ExpiresAt, a.ExpiresAt.Add(15*time.Minute)
	must(t, s.CreateDeviceCode(ctx, b))
	got, err := s.GetDeviceCodeByUserCode(ctx, a.UserCode)
	must(t, err)
	if got.ID != b.ID {
		t.Fatalf("user code finds %s, want the new code %s", got.ID, b.ID)
	}
	if _, err := s.GetDeviceCode(ctx, a.ID); !errors.Is(err, tokend.ErrNotFound) {
		t.Fatalf("expired holder: %v, want ErrNotFound", err)
	}
}

func testDeviceCodeDecline(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	d := newDeviceCode("CDEFGHJKL")
	must(t, s.CreateDeviceCode(ctx, d))
	user := uuid.NewString()
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodeDeclined, user, stamp(time.Minute), stamp(time.Minute)); err != nil || !ok {
		t.Fatalf("decline: %v %v", ok, err)
	}
	if ok, err := s.RedeemDeviceCode(ctx, d.ID, stamp(time.Minute)); err != nil || ok {
		t.Fatalf("a declined code was redeemed: %v %v", ok, err)
	}
	got, err := s.GetDeviceCode(ctx, d.ID)
	must(t, err)
	if got.Status != tokend.DeviceCodeDeclined || got.UserObjectID != user {
		t.Fatalf("declined code = %+v", got)
	}
}

func testDeviceCodePolls(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	d := newDeviceCode("DEFGHJKLM")
	must(t, s.CreateDeviceCode(ctx, d))
	poll := func(at time.Duration, want bool) {
		t.Helper()
		now := stamp(at)
		ok, err := s.PollDeviceCode(ctx, d.ID, now, now.Add(-d.Interval))
		if err != nil || ok != want {
			t.Fatalf("poll at %v: %v %v, want %v", at, ok, err, want)
		}
	}
	poll(time.Second, true)    // the first poll is never too soon
	poll(2*time.Second, false) // 1s after the last: too fast, not recorded
	poll(6*time.Second, true)  // 5s after the last recorded one
	poll(6*time.Second+time.Millisecond, false)
	got, err := s.GetDeviceCode(ctx, d.ID)
	must(t, err)
	checkTime(t, "PolledAt", got.PolledAt, stamp(6*time.Second))
	if ok, err := s.PollDeviceCode(ctx, "nope", stamp(0), stamp(0)); err != nil || ok {
		t.Fatalf("poll unknown code: %v %v", ok, err)
	}
}

func testDeviceCodeExpiry(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	d := newDeviceCode("EFGHJKLMN")
	must(t, s.CreateDeviceCode(ctx, d))
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodeApproved, uuid.NewString(), d.ExpiresAt, d.ExpiresAt); err != nil || ok {
		t.Fatalf("approved at expiry: %v %v", ok, err)
	}
	live := newDeviceCode("FGHJKLMNP")
	live.ExpiresAt = stamp(time.Hour)
	must(t, s.CreateDeviceCode(ctx, live))
	if ok, err := s.DecideDeviceCode(ctx, live.UserCode, tokend.DeviceCodeApproved, uuid.NewString(), stamp(0), stamp(0)); err != nil || !ok {
		t.Fatalf("approve: %v %v", ok, err)
	}
	if ok, err := s.RedeemDeviceCode(ctx, live.ID, live.ExpiresAt); err != nil || ok {
		t.Fatalf("redeemed at expiry: %v %v", ok, err)
	}
	n, err := s.PurgeDeviceCodes(ctx, d.ExpiresAt.Add(time.Second))
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d, want 1", n)
	}
	if _, err := s.GetDeviceCode(ctx, d.ID); !errors.Is(err, tokend.ErrNotFound) {
		t.Fatalf("purged code: %v", err)
	}
	if _, err := s.GetDeviceCode(ctx, live.ID); err != nil {
		t.Fatalf("unexpired code purged: %v", err)
	}
}

// Concurrent polls of an approved code: exactly one redeems it.
func testDeviceCodeRedeemRace(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	d := newDeviceCode("GHJKLMNPQ")
	must(t, s.CreateDeviceCode(ctx, d))
	if ok, err := s.DecideDeviceCode(ctx, d.UserCode, tokend.DeviceCodeApproved, uuid.NewString(), stamp(0), stamp(0)); err != nil || !ok {
		t.Fatalf("approve: %v %v", ok, err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.RedeemDeviceCode(ctx, d.ID, stamp(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d polls redeemed the code, want 1", n)
	}
}
