package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

// Device-code sign-ins (migration 0610_device_codes.sql). Every change of
// state is one conditional UPDATE, so two nodes deciding or redeeming the
// same code cannot both succeed.
const (
	deviceCodeColumns      = `id, user_code, tenant_id, client_id, scope, resource, status, user_object_id, auth_time, interval_ms, polled_at, created_at, expires_at`
	releaseUserCodeSQL     = `DELETE FROM device_codes WHERE user_code = $1 AND expires_at <= $2`
	createDeviceCodeSQL    = `INSERT INTO device_codes (` + deviceCodeColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, '', 0, $8, 0, $9, $10) ON CONFLICT DO NOTHING`
	getDeviceCodeSQL       = `SELECT ` + deviceCodeColumns + ` FROM device_codes WHERE id = $1`
	getDeviceCodeByUserSQL = `SELECT ` + deviceCodeColumns + ` FROM device_codes WHERE user_code = $1`
	decideDeviceCodeSQL    = `UPDATE device_codes SET status = $2, user_object_id = $3, auth_time = $4 WHERE user_code = $1 AND status = 'pending' AND expires_at > $5`
	pollDeviceCodeSQL      = `UPDATE device_codes SET polled_at = $2 WHERE id = $1 AND polled_at <= $3`
	redeemDeviceCodeSQL    = `UPDATE device_codes SET status = 'redeemed' WHERE id = $1 AND status = 'approved' AND expires_at > $2`
	purgeDeviceCodesSQL    = `DELETE FROM device_codes WHERE expires_at < $1`
)

// CreateDeviceCode stores d after releasing its user code from an expired
// holder. The two statements need no transaction: a holder that expired
// stays expired, and a concurrent insert of the same user code makes this
// one report ErrAlreadyExists (the caller draws another code).
func (q *queries) CreateDeviceCode(ctx context.Context, d *tokend.DeviceCode) (err error) {
	defer q.done("CreateDeviceCode", time.Now(), &err)
	if _, err := q.write.ExecContext(ctx, releaseUserCodeSQL, d.UserCode, toMicros(d.CreatedAt)); err != nil {
		return fmt.Errorf("create device code: release user code: %w", q.classify(err))
	}
	status := d.Status
	if status == "" {
		status = tokend.DeviceCodePending
	}
	err = q.insert(ctx, createDeviceCodeSQL, d.ID, d.UserCode, d.TenantID, d.ClientID, d.Scope, d.Resource, string(status),
		d.Interval.Milliseconds(), toMicros(d.CreatedAt), toMicros(d.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create device code: %w", err)
	}
	return nil
}

func (q *queries) GetDeviceCode(ctx context.Context, id string) (_ *tokend.DeviceCode, err error) {
	defer q.done("GetDeviceCode", time.Now(), &err)
	d, err := q.scanDeviceCode(q.queryRow(ctx, getDeviceCodeSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get device code: %w", err)
	}
	return d, nil
}

func (q *queries) GetDeviceCodeByUserCode(ctx context.Context, userCode string) (_ *tokend.DeviceCode, err error) {
	defer q.done("GetDeviceCodeByUserCode", time.Now(), &err)
	d, err := q.scanDeviceCode(q.queryRow(ctx, getDeviceCodeByUserSQL, userCode))
	if err != nil {
		return nil, fmt.Errorf("get device code by user code: %w", err)
	}
	return d, nil
}

func (q *queries) scanDeviceCode(row interface{ Scan(...any) error }) (*tokend.DeviceCode, error) {
	var d tokend.DeviceCode
	var status string
	var authTime, interval, polled, created, expires int64
	if err := row.Scan(&d.ID, &d.UserCode, &d.TenantID, &d.ClientID, &d.Scope, &d.Resource, &status, &d.UserObjectID,
		&authTime, &interval, &polled, &created, &expires); err != nil {
		return nil, q.classify(err)
	}
	d.Status = tokend.DeviceCodeStatus(status)
	d.Interval = time.Duration(interval) * time.Millisecond
	if authTime != 0 {
		d.AuthTime = fromMicros(authTime)
	}
	if polled != 0 {
		d.PolledAt = fromMicros(polled)
	}
	d.CreatedAt, d.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &d, nil
}

func (q *queries) DecideDeviceCode(ctx context.Context, userCode string, status tokend.DeviceCodeStatus, userObjectID string, authTime, now time.Time) (_ bool, err error) {
	defer q.done("DecideDeviceCode", time.Now(), &err)
	if status != tokend.DeviceCodeApproved && status != tokend.DeviceCodeDeclined {
		return false, fmt.Errorf("decide device code: status %q is not a decision", status)
	}
	ok, err := q.updated(ctx, decideDeviceCodeSQL, userCode, string(status), userObjectID, toMicros(authTime), toMicros(now))
	if err != nil {
		return false, fmt.Errorf("decide device code: %w", err)
	}
	return ok, nil
}

func (q *queries) PollDeviceCode(ctx context.Context, id string, now, notBefore time.Time) (_ bool, err error) {
	defer q.done("PollDeviceCode", time.Now(), &err)
	ok, err := q.updated(ctx, pollDeviceCodeSQL, id, toMicros(now), toMicros(notBefore))
	if err != nil {
		return false, fmt.Errorf("poll device code: %w", err)
	}
	return ok, nil
}

func (q *queries) RedeemDeviceCode(ctx context.Context, id string, now time.Time) (_ bool, err error) {
	defer q.done("RedeemDeviceCode", time.Now(), &err)
	ok, err := q.updated(ctx, redeemDeviceCodeSQL, id, toMicros(now))
	if err != nil {
		return false, fmt.Errorf("redeem device code: %w", err)
	}
	return ok, nil
}

func (q *queries) PurgeDeviceCodes(ctx context.Context, before time.Time) (_ int, err error) {
	defer q.done("PurgeDeviceCodes", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, purgeDeviceCodesSQL, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge device codes: %w", q.classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// updated runs a conditional UPDATE and reports whether it changed a row.
func (q *queries) updated(ctx context.Context, query string, args ...any) (bool, error) {
	res, err := q.write.ExecContext(ctx, query, args...)
	if err != nil {
		return false, q.classify(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rows affected: %w", err)
	}
	return n == 1, nil
}
