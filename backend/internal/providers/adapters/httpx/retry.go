package httpx

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy bounds the retries of one call. Only 429, 5xx and errors
// marked with Retryable are retried; other 4xx responses and transport
// failures are not, because a POST that reached the provider may have
// taken effect.
type RetryPolicy struct {
	// MaxAttempts counts every attempt, the first included, so 1 disables
	// retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt. Each later one
	// doubles it, up to MaxDelay, with up to half of it as random jitter.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter is the longest Retry-After wait honoured. A provider
	// asking for more ends the call with CauseRateLimited at once.
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns three attempts, a backoff of 250 to 500 ms
// and then 500 ms to 1 s, and Retry-After waits of at most 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:   3,
		BaseDelay:     500 * time.Millisecond,
		MaxDelay:      5 * time.Second,
		MaxRetryAfter: 30 * time.Second,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	defaults := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = defaults.MaxAttempts
	}
	if p.BaseDelay < 0 {
		p.BaseDelay = 0
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = defaults.MaxRetryAfter
	}
	return p
}

// backoff returns the wait before attempt number next (2 for the first
// retry): BaseDelay doubled per retry, capped at MaxDelay, the upper half
// randomised so that clients do not retry in step.
func (p RetryPolicy) backoff(next int) time.Duration {
	delay := p.BaseDelay
	for i := 2; i < next && delay < p.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, p.MaxDelay)
	if delay <= 1 {
		return delay
	}
	half := delay / 2
	return half + rand.N(delay-half+1)
}

// ParseRetryAfter reads a Retry-After header given in seconds or as an
// HTTP date. It returns false when the header is absent or unreadable.
func ParseRetryAfter(header string, now time.Time) (time.Duration, bool) {
	if header == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(header); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(seconds) * time.Second, true
	}
	at, err := http.ParseTime(header)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}
