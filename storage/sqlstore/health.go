package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// health remembers whether storage has failed since it last wrote: a ping
// answers while the disk is full, so readiness needs to know that writes
// fail, and to find out when they work again without waiting for traffic.
type health struct{ failing atomic.Bool }

func (h *health) failed() { h.failing.Store(true) }

// probeKey is the meta row a readiness probe writes.
const probeKey = "readiness-probe"

// checkWrites is the readiness part of Ping: nothing to do while no
// failure was seen; after one, a small write tells whether writes work
// again (one synced write per readiness check, only while failing).
func (s *Store) checkWrites(ctx context.Context) error {
	if !s.health.failing.Load() {
		return nil
	}
	if err := s.PutMeta(ctx, probeKey, []byte(strconv.FormatInt(time.Now().UnixMicro(), 10))); err != nil {
		return fmt.Errorf("%s cannot write: %w", s.dialect.Name, err)
	}
	s.health.failing.Store(false)
	return nil
}
