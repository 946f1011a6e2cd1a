package bot

import (
	"context"
	"time"
)

func (s noStore) AddCountersOnce(context.Context, CounterChange) (Applied, error) {
	s.fail("AddCountersOnce")
	return Applied{}, ErrUnavailable
}
func (s noStore) AddAudit(context.Context, AuditEntry) error {
	s.fail("AddAudit")
	return ErrUnavailable
}
func (s noStore) PutPending(context.Context, string, string, string, time.Duration) error {
	s.fail("PutPending")
	return ErrUnavailable
}
func (s noStore) TakePending(context.Context, string, string) (string, error) {
	s.fail("TakePending")
	return "", ErrUnavailable
}
func (s noStore) OpenRescue(context.Context, string, RescueReport) (RescueReport, bool, error) {
	s.fail("OpenRescue")
	return RescueReport{}, false, ErrUnavailable
}
func (s noStore) CloseRescue(context.Context, string, string, time.Time) (RescueReport, bool, error) {
	s.fail("CloseRescue")
	return RescueReport{}, false, ErrUnavailable
}
func (s noStore) OpenRescues(context.Context, int) ([]RescueReport, int, error) {
	s.fail("OpenRescues")
	return nil, 0, ErrUnavailable
}
