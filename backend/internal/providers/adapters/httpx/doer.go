// Package httpx is the HTTP plumbing shared by the provider adapters:
// retries with backoff that honour Retry-After on 429 and 5xx responses, a
// deadline per attempt, an optional local call budget, and the
// classification of every failure into an adapters.Cause.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/providers/adapters"
)

// DefaultTimeout is the deadline of one attempt when neither the Doer nor
// the Call sets one.
const DefaultTimeout = 30 * time.Second

// drainLimit is how much of an unread body is discarded so that the
// connection can be reused. A longer body closes the connection instead.
const drainLimit = 64 << 10

// Doer runs provider calls. The zero value uses http.DefaultClient, the
// default retry policy, DefaultTimeout and no logging. A Doer is safe for
// concurrent use once configured.
type Doer struct {
	HTTPClient *http.Client
	Retry      RetryPolicy
	Timeout    time.Duration // per attempt
	Limiter    Limiter       // nil means no local budget
	Now        func() time.Time
	Logger     zerolog.Logger
}

// Call describes one provider request.
type Call struct {
	// NewRequest builds the request for one attempt, with ctx carrying the
	// attempt's deadline. It runs again for each retry, so signatures and
	// request ids are fresh.
	NewRequest func(ctx context.Context) (*http.Request, error)
	// Handle reads a 2xx response. Its error is returned unchanged, unless it
	// is marked with Retryable, in which case the call is retried.
	Handle func(resp *http.Response) error
	// HandleStatus, when set, receives every non-2xx response first. A nil
	// return falls back to the default classification.
	HandleStatus func(resp *http.Response) error
	// Timeout overrides the Doer's per-attempt deadline, for example for a
	// large catalog.
	Timeout time.Duration
	// MaxAttempts overrides the retry policy, and 1 disables retries for a
	// call that must not be repeated.
	MaxAttempts int
}

// retryableError marks a failure worth another attempt.
type retryableError struct {
	err   *adapters.Error
	after time.Duration // the provider's Retry-After, 0 when absent
}

func (r *retryableError) Error() string { return r.err.Error() }
func (r *retryableError) Unwrap() error { return r.err }

// Retryable marks err, returned from Call.Handle, as worth retrying with
// backoff, such as a provider's "system busy" code in a 200 response.
func Retryable(err *adapters.Error) error {
	return &retryableError{err: err}
}

// Do runs call, retrying per the policy. A failed call returns an
// *adapters.Error, or the error of Handle or NewRequest unchanged.
func (d *Doer) Do(ctx context.Context, call Call) error {
	policy := d.Retry.withDefaults()
	if call.MaxAttempts > 0 {
		policy.MaxAttempts = call.MaxAttempts
	}

	for attempt := 1; ; attempt++ {
		if d.Limiter != nil && !d.Limiter.Allow() {
			return &adapters.Error{
				Cause:   adapters.CauseRateLimited,
				Message: "local limit of calls per hour reached: wait or raise rate_limit_per_hour",
			}
		}
		err := d.attempt(ctx, call)
		var retry *retryableError
		if !errors.As(err, &retry) {
			return err
		}
		if attempt >= policy.MaxAttempts {
			return exhausted(retry.err, attempt)
		}
		wait := policy.backoff(attempt + 1)
		if retry.after > 0 {
			if retry.after > policy.MaxRetryAfter {
				return retry.err
			}
			wait = retry.after
		}
		d.Logger.Warn().
			Str("cause", string(retry.err.Cause)).
			Str("message", retry.err.Message).
			Int("attempt", attempt).
			Dur("wait", wait).
			Msg("retrying provider call")
		if err := sleep(ctx, wait); err != nil {
			return ClassifyTransport(err, "waiting to retry", wait)
		}
	}
}

func (d *Doer) attempt(ctx context.Context, call Call) error {
	timeout := d.timeout(call)
	attemptCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := call.NewRequest(attemptCtx)
	if err != nil {
		return fmt.Errorf("build provider request: %w", err)
	}
	client := d.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return ClassifyTransport(err, Label(req), timeout)
	}
	defer func() {
		_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
		_ = resp.Body.Close()
	}()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return call.Handle(resp)
	}
	if call.HandleStatus != nil {
		if err := call.HandleStatus(resp); err != nil {
			return err
		}
	}
	return d.statusError(resp)
}

func (d *Doer) timeout(call Call) time.Duration {
	switch {
	case call.Timeout > 0:
		return call.Timeout
	case d.Timeout > 0:
		return d.Timeout
	default:
		return DefaultTimeout
	}
}

// statusError classifies a non-2xx response.
func (d *Doer) statusError(resp *http.Response) error {
	label := Label(resp.Request)
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		after, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), now())
		err := &adapters.Error{
			Cause:      adapters.CauseRateLimited,
			Message:    fmt.Sprintf("provider rate limit reached (HTTP 429, %s)", label),
			RetryAfter: after,
		}
		return &retryableError{err: err, after: after}
	case status >= 500:
		err := &adapters.Error{
			Cause:   adapters.CauseServerError,
			Message: fmt.Sprintf("provider failed with HTTP %d (%s)", status, label),
		}
		return &retryableError{err: err}
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: fmt.Sprintf("rejected credentials (HTTP %d, %s)", status, label),
		}
	case status == http.StatusNotFound, status == http.StatusMethodNotAllowed, status == http.StatusGone:
		return &adapters.Error{
			Cause: adapters.CauseNotFound,
			Message: fmt.Sprintf("no API at %s (HTTP %d): check the base URL and the path for this API version",
				resp.Request.URL.Path, status),
		}
	case status >= 400:
		return &adapters.Error{
			Cause:   adapters.CauseServerError,
			Message: fmt.Sprintf("provider rejected the request with HTTP %d (%s)", status, label),
		}
	default:
		return &adapters.Error{
			Cause:   adapters.CauseBadResponse,
			Message: fmt.Sprintf("unexpected HTTP status %d (%s)", status, label),
		}
	}
}

// exhausted reports the last retryable failure once no attempt is left.
func exhausted(last *adapters.Error, attempts int) *adapters.Error {
	final := *last
	if attempts > 1 {
		final.Message = fmt.Sprintf("%s after %d attempts", last.Message, attempts)
	}
	return &final
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
