package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	subscriptionColumns   = `id, tenant_id, display_name, state, created_at`
	createSubscriptionSQL = `INSERT INTO subscriptions (` + subscriptionColumns + `)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`
	getSubscriptionSQL   = `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE id = $1`
	listSubscriptionsSQL = `SELECT ` + subscriptionColumns + ` FROM subscriptions ORDER BY id`
)

func (q *queries) CreateSubscription(ctx context.Context, s *tokend.Subscription) (err error) {
	defer q.done("CreateSubscription", time.Now(), &err)
	err = q.insert(ctx, createSubscriptionSQL,
		s.ID, s.TenantID, s.DisplayName, s.State, toMicros(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("create subscription %s: %w", s.ID, err)
	}
	return nil
}

func (q *queries) GetSubscription(ctx context.Context, id string) (_ *tokend.Subscription, err error) {
	defer q.done("GetSubscription", time.Now(), &err)
	s, err := scanSubscription(q.queryRow(ctx, getSubscriptionSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get subscription %s: %w", id, q.classify(err))
	}
	return s, nil
}

func (q *queries) ListSubscriptions(ctx context.Context) (_ []*tokend.Subscription, err error) {
	defer q.done("ListSubscriptions", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanSubscription, listSubscriptionsSQL)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return list, nil
}

func scanSubscription(row scanner) (*tokend.Subscription, error) {
	var s tokend.Subscription
	var created int64
	if err := row.Scan(&s.ID, &s.TenantID, &s.DisplayName, &s.State, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = fromMicros(created)
	return &s, nil
}
