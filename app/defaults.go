package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// EnsureDefaults creates the default tenant and subscription on first
// start and returns them. Nodes racing on one database agree through
// CreateMeta: one value wins.
func EnsureDefaults(ctx context.Context, store tokend.Store) (*tokend.Tenant, *tokend.Subscription, error) {
	tid, err := ensureMeta(ctx, store, "default-tenant")
	if err != nil {
		return nil, nil, err
	}
	tenant, err := store.GetTenant(ctx, tid)
	if errors.Is(err, tokend.ErrNotFound) {
		t := &tokend.Tenant{ID: tid, DisplayName: "Default Directory", CreatedAt: time.Now().UTC()}
		if err := store.CreateTenant(ctx, t); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
			return nil, nil, fmt.Errorf("create default tenant: %w", err)
		}
		tenant, err = store.GetTenant(ctx, tid)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load default tenant: %w", err)
	}
	sid, err := ensureMeta(ctx, store, "default-subscription")
	if err != nil {
		return nil, nil, err
	}
	sub, err := store.GetSubscription(ctx, sid)
	if errors.Is(err, tokend.ErrNotFound) {
		s := &tokend.Subscription{ID: sid, TenantID: tid, DisplayName: "Default Subscription", State: "Enabled", CreatedAt: time.Now().UTC()}
		if err := store.CreateSubscription(ctx, s); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
			return nil, nil, fmt.Errorf("create default subscription: %w", err)
		}
		sub, err = store.GetSubscription(ctx, sid)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load default subscription: %w", err)
	}
	return tenant, sub, nil
}

// ensureMeta reads key, creating it with a fresh UUID when missing.
func ensureMeta(ctx context.Context, store tokend.Store, key string) (string, error) {
	v, err := store.GetMeta(ctx, key)
	if err == nil {
		return string(v), nil
	}
	if !errors.Is(err, tokend.ErrNotFound) {
		return "", fmt.Errorf("read %s: %w", key, err)
	}
	if err := store.CreateMeta(ctx, key, []byte(uuid.NewString())); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		return "", fmt.Errorf("create %s: %w", key, err)
	}
	return ensureMeta(ctx, store, key)
}
