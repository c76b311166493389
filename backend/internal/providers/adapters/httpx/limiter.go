package httpx

import (
	"sync"
	"time"
)

// Limiter is an optional local budget of provider calls, such as the
// admin's "rate_limit_per_hour". Allow takes one call from the budget and
// returns false when none is left, so the call fails with
// CauseRateLimited without reaching the provider.
type Limiter interface {
	Allow() bool
}

// HourlyLimiter allows at most Limit calls in any sliding hour. It is safe
// for concurrent use.
type HourlyLimiter struct {
	limit int
	now   func() time.Time

	mu    sync.Mutex
	calls []time.Time // start times of the calls in the last hour, oldest first
}

// NewHourlyLimiter returns a limiter of limit calls per sliding hour. A nil
// now uses the system clock.
func NewHourlyLimiter(limit int, now func() time.Time) *HourlyLimiter {
	if now == nil {
		now = time.Now
	}
	return &HourlyLimiter{limit: limit, now: now}
}

// Allow records a call and returns true while fewer than the limit were
// made in the past hour.
func (l *HourlyLimiter) Allow() bool {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	cutoff := now.Add(-time.Hour)
	expired := 0
	for expired < len(l.calls) && !l.calls[expired].After(cutoff) {
		expired++
	}
	l.calls = l.calls[expired:]
	if len(l.calls) >= l.limit {
		return false
	}
	l.calls = append(l.calls, now)
	return true
}

// Limit returns the number of calls allowed per hour.
func (l *HourlyLimiter) Limit() int { return l.limit }
