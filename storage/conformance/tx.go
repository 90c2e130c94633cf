package conformance

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

var errAbort = errors.New("abort")

// writeOneOfEach writes one entity of every kind through q and returns the
// keys to look for.
func writeOneOfEach(t *testing.T, q tokend.Queries) (tenantID, resourceKey, clientID string) {
	t.Helper()
	ctx := t.Context()
	tenant := &tokend.Tenant{ID: uuid.NewString(), DisplayName: "tx", CreatedAt: stamp(0)}
	must(t, q.CreateTenant(ctx, tenant))
	r := newResource(appID("s1", "rg", "tx-"+tenant.ID), typeContainerApp)
	must(t, q.CreateResource(ctx, r))
	c := newClient()
	must(t, q.CreateClient(ctx, c))
	must(t, q.PutMeta(ctx, "tx-"+tenant.ID, []byte("x")))
	must(t, q.RevokeToken(ctx, &tokend.Revocation{TokenID: "tx-" + tenant.ID, RevokedAt: stamp(0), ExpiresAt: stamp(time.Hour)}))
	return tenant.ID, r.Key, c.ID
}

func checkNoneOf(t *testing.T, s tokend.Store, tenantID, resourceKey, clientID string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetTenant(ctx, tenantID)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetResource(ctx, resourceKey)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetClient(ctx, clientID)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetMeta(ctx, "tx-"+tenantID)
	wantErr(t, err, tokend.ErrNotFound)
	if revoked, err := s.IsRevoked(ctx, "tx-"+tenantID); err != nil || revoked {
		t.Errorf("revocation survived a rollback (%v, %v)", revoked, err)
	}
}

func testTxRollback(t *testing.T, s tokend.Store) {
	var tenantID, resourceKey, clientID string
	err := s.InTx(t.Context(), func(q tokend.Queries) error {
		tenantID, resourceKey, clientID = writeOneOfEach(t, q)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	checkNoneOf(t, s, tenantID, resourceKey, clientID)
}

func testTxRollbackOnPanic(t *testing.T, s tokend.Store) {
	var tenantID, resourceKey, clientID string
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the panic to pass through InTx", v)
			}
		}()
		_ = s.InTx(t.Context(), func(q tokend.Queries) error {
			tenantID, resourceKey, clientID = writeOneOfEach(t, q)
			panic("boom")
		})
	}()
	checkNoneOf(t, s, tenantID, resourceKey, clientID)
	// The connection went back to the pool: the store still writes.
	must(t, s.PutMeta(t.Context(), "after-panic", []byte("ok")))
}

func testTxCommit(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	var tenantID, resourceKey, clientID string
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		tenantID, resourceKey, clientID = writeOneOfEach(t, q)
		// A transaction reads its own writes.
		if _, err := q.GetResource(ctx, resourceKey); err != nil {
			t.Errorf("read inside the transaction: %v", err)
		}
		list, err := q.ListResources(ctx, tokend.ResourceQuery{Type: typeContainerApp})
		if err != nil || len(list) != 1 {
			t.Errorf("list inside the transaction = %d, %v", len(list), err)
		}
		return nil
	}))
	_, err := s.GetTenant(ctx, tenantID)
	must(t, err)
	_, err = s.GetResource(ctx, resourceKey)
	must(t, err)
	_, err = s.GetClient(ctx, clientID)
	must(t, err)
	checkMeta(t, s, "tx-"+tenantID, "x")
	if revoked, err := s.IsRevoked(ctx, "tx-"+tenantID); err != nil || !revoked {
		t.Errorf("revocation not committed (%v, %v)", revoked, err)
	}
}

// testTxContinuesAfterConflict: ErrAlreadyExists inside a transaction is an
// answer, not a failure of the transaction (PostgreSQL would otherwise abort
// it), so the caller can go on and commit.
func testTxContinuesAfterConflict(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	r := newResource(appID("s1", "rg", "taken"), typeContainerApp)
	must(t, s.CreateResource(ctx, r))
	must(t, s.CreateMeta(ctx, "init", []byte("first")))
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		wantErr(t, q.CreateMeta(ctx, "init", []byte("second")), tokend.ErrAlreadyExists)
		wantErr(t, q.CreateResource(ctx, r), tokend.ErrAlreadyExists)
		wantErr(t, q.UpdateResource(ctx, r, "stale"), tokend.ErrPreconditionFailed)
		_, err := q.GetTenant(ctx, "missing")
		wantErr(t, err, tokend.ErrNotFound)
		return q.PutMeta(ctx, "after-conflict", []byte("ok"))
	}))
	checkMeta(t, s, "after-conflict", "ok")
	checkMeta(t, s, "init", "first")
}

func testTxLock(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	if err := s.Lock(ctx, "outside"); err == nil {
		t.Error("Lock outside a transaction succeeded")
	}
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.Lock(ctx, "rotate-keys"); err != nil {
			return err
		}
		// Taking the same lock twice in one transaction does not block.
		return q.Lock(ctx, "rotate-keys")
	}))
	// The lock ended with its transaction.
	must(t, s.InTx(ctx, func(q tokend.Queries) error { return q.Lock(ctx, "rotate-keys") }))
}

// testTxLockSerializes: a read-modify-write under Lock loses no update when
// many transactions run it at once.
func testTxLockSerializes(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	must(t, s.PutMeta(ctx, "counter", []byte("0")))
	const workers, each = 8, 5
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.InTx(ctx, func(q tokend.Queries) error {
					if err := q.Lock(ctx, "counter"); err != nil {
						return err
					}
					v, err := q.GetMeta(ctx, "counter")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(string(v))
					if err != nil {
						return err
					}
					return q.PutMeta(ctx, "counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkMeta(t, s, "counter", strconv.Itoa(workers*each))
}

// testTxConcurrentOutcomes: many transactions at once, some failing and
// some panicking, as an engine that batches commits (SQLite) runs them in
// one: each one's writes stand or go by its own outcome alone.
func testTxConcurrentOutcomes(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	const n = 48
	key := func(i int) string { return "outcome-" + strconv.Itoa(i) }
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.InTx(ctx, func(q tokend.Queries) error {
				if err := q.PutMeta(ctx, key(i), []byte("x")); err != nil {
					return err
				}
				switch i % 4 {
				case 1:
					return errAbort
				case 2:
					panic("share " + strconv.Itoa(i))
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		_, err := s.GetMeta(ctx, key(i))
		switch i % 4 {
		case 1:
			if !errors.Is(errs[i], errAbort) {
				t.Errorf("tx %d: InTx = %v, want its own error", i, errs[i])
			}
			wantErr(t, err, tokend.ErrNotFound)
		case 2:
			if panics[i] != "share "+strconv.Itoa(i) {
				t.Errorf("tx %d: panic %v did not reach its caller", i, panics[i])
			}
			wantErr(t, err, tokend.ErrNotFound)
		default:
			if errs[i] != nil || panics[i] != nil || err != nil {
				t.Errorf("tx %d: InTx = %v, panic %v, then GetMeta = %v", i, errs[i], panics[i], err)
			}
		}
	}
}

// testTxCanceledBeforeStart: a transaction whose context has ended does
// not run, and writes nothing.
func testTxCanceledBeforeStart(t *testing.T, s tokend.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.InTx(ctx, func(q tokend.Queries) error {
		ran = true
		return q.PutMeta(ctx, "canceled", []byte("x"))
	})
	if err == nil || ran {
		t.Errorf("InTx with an ended context = %v (ran %v)", err, ran)
	}
	_, err = s.GetMeta(t.Context(), "canceled")
	wantErr(t, err, tokend.ErrNotFound)
}
