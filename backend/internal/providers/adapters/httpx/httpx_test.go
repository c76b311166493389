package httpx_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

var fastRetry = httpx.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}

// statusServer responses the given statuses in turn, then 200.
func statusServer(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(server.Close)
	return server, &calls
}

func get(url string) httpx.Call {
	return httpx.Call{
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/thing", nil)
		},
		Handle: func(*http.Response) error { return nil },
	}
}

func causeOf(t *testing.T, err error) adapters.Cause {
	t.Helper()
	var providerErr *adapters.Error
	require.ErrorAs(t, err, &providerErr)
	return providerErr.Cause
}

func TestDoer_Do_retriesServerErrorThenSucceeds(t *testing.T) {
	server, calls := statusServer(t, 503, 502)
	doer := &httpx.Doer{Retry: fastRetry}

	err := doer.Do(context.Background(), get(server.URL))

	require.NoError(t, err)
	require.Equal(t, int32(3), calls.Load())
}

func TestDoer_Do_doesNotRetryClientErrors(t *testing.T) {
	cases := map[int]adapters.Cause{
		400: adapters.CauseServerError,
		401: adapters.CauseCredentials,
		403: adapters.CauseCredentials,
		404: adapters.CauseNotFound,
	}
	for status, cause := range cases {
		t.Run(http.StatusText(status), func(t *testing.T) {
			server, calls := statusServer(t, status, status, status)
			doer := &httpx.Doer{Retry: fastRetry}

			err := doer.Do(context.Background(), get(server.URL))

			require.Equal(t, cause, causeOf(t, err))
			require.Equal(t, int32(1), calls.Load())
		})
	}
}

func TestDoer_Do_notFoundNamesPath(t *testing.T) {
	server, _ := statusServer(t, 404)
	doer := &httpx.Doer{Retry: fastRetry}

	err := doer.Do(context.Background(), get(server.URL))

	require.ErrorContains(t, err, "no API at /v1/thing")
}

func TestDoer_Do_maxAttemptsPerCall(t *testing.T) {
	server, calls := statusServer(t, 500, 500, 500)
	doer := &httpx.Doer{Retry: fastRetry}
	call := get(server.URL)
	call.MaxAttempts = 1

	err := doer.Do(context.Background(), call)

	require.Equal(t, adapters.CauseServerError, causeOf(t, err))
	require.Equal(t, int32(1), calls.Load())
}

func TestDoer_Do_retryableHandleError(t *testing.T) {
	server, calls := statusServer(t)
	doer := &httpx.Doer{Retry: fastRetry}
	call := get(server.URL)
	call.Handle = func(*http.Response) error {
		return httpx.Retryable(&adapters.Error{Cause: adapters.CauseServerError, Message: "busy"})
	}

	err := doer.Do(context.Background(), call)

	require.Equal(t, adapters.CauseServerError, causeOf(t, err))
	require.ErrorContains(t, err, "busy after 3 attempts")
	require.Equal(t, int32(3), calls.Load())
}

func TestDoer_Do_handleErrorReturnedUnchanged(t *testing.T) {
	server, calls := statusServer(t)
	doer := &httpx.Doer{Retry: fastRetry}
	sentinel := errors.New("caller stopped")
	call := get(server.URL)
	call.Handle = func(*http.Response) error { return sentinel }

	err := doer.Do(context.Background(), call)

	require.Equal(t, sentinel, err)
	require.Equal(t, int32(1), calls.Load())
}

func TestDoer_Do_cancelledWhileWaiting(t *testing.T) {
	server, calls := statusServer(t, 503, 503, 503)
	doer := &httpx.Doer{Retry: httpx.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Hour, MaxDelay: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	call := get(server.URL)
	call.HandleStatus = func(*http.Response) error {
		cancel() // the caller gives up while the Doer waits to retry
		return nil
	}

	err := doer.Do(ctx, call)

	require.Equal(t, adapters.CauseTimeout, causeOf(t, err))
	require.Equal(t, int32(1), calls.Load())
}

func TestDoer_Do_limiterRejects(t *testing.T) {
	server, calls := statusServer(t)
	doer := &httpx.Doer{Retry: fastRetry, Limiter: httpx.NewHourlyLimiter(1, nil)}

	require.NoError(t, doer.Do(context.Background(), get(server.URL)))
	err := doer.Do(context.Background(), get(server.URL))

	require.Equal(t, adapters.CauseRateLimited, causeOf(t, err))
	require.Equal(t, int32(1), calls.Load())
}

func TestClassifyTransport(t *testing.T) {
	secretURL := "https://127.0.0.1/x?api_key=secret-value"
	cases := []struct {
		name  string
		err   error
		cause adapters.Cause
	}{
		{"dns", &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}, adapters.CauseUnreachable},
		{"deadline", context.DeadlineExceeded, adapters.CauseTimeout},
		{"cancelled", context.Canceled, adapters.CauseTimeout},
		{"other", errors.New("connection reset by peer"), adapters.CauseUnreachable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wrapped := &url.Error{Op: "Post", URL: secretURL, Err: tc.err}

			got := httpx.ClassifyTransport(wrapped, "POST /x", time.Second)

			require.Equal(t, tc.cause, got.Cause)
			require.NotContains(t, got.Error(), "secret-value")
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	seconds, ok := httpx.ParseRetryAfter("7", now)
	require.True(t, ok)
	require.Equal(t, 7*time.Second, seconds)

	date, ok := httpx.ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now)
	require.True(t, ok)
	require.Equal(t, 90*time.Second, date)

	_, ok = httpx.ParseRetryAfter("soon", now)
	require.False(t, ok)
	_, ok = httpx.ParseRetryAfter("-3", now)
	require.False(t, ok)
	_, ok = httpx.ParseRetryAfter("", now)
	require.False(t, ok)
}

func TestHourlyLimiter_slidingHour(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	limiter := httpx.NewHourlyLimiter(2, func() time.Time { return now })

	require.True(t, limiter.Allow())
	now = now.Add(30 * time.Minute)
	require.True(t, limiter.Allow())
	require.False(t, limiter.Allow())
	now = now.Add(30*time.Minute + time.Second) // the first call is over an hour old
	require.True(t, limiter.Allow())
	require.False(t, limiter.Allow())
}
