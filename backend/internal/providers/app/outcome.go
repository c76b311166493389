package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
)

// MessageUndecryptable is the outcome message when stored credentials no
// longer open, which happens when APP_KEY changed.
const MessageUndecryptable = "the stored credentials cannot be decrypted with the current APP_KEY. Enter them again and save."

// MessageInterrupted is the SyncFailed message of a sync that was running
// when the server stopped.
const MessageInterrupted = "interrupted: the server stopped while this sync ran"

// describeFailure turns a failed provider call into a cause and a message
// safe to show an admin. timeout is the deadline that applied to the call.
func describeFailure(err error, timeout time.Duration) (adapters.Cause, string) {
	var providerErr *adapters.Error
	switch {
	case errors.Is(err, secrets.ErrUndecryptable):
		return adapters.CauseCredentials, MessageUndecryptable
	case errors.As(err, &providerErr):
		return providerErr.Cause, providerErr.Message
	case errors.Is(err, context.DeadlineExceeded):
		return adapters.CauseTimeout, fmt.Sprintf("the provider did not answer within %s", timeout)
	case errors.Is(err, ErrNoAdapter):
		return adapters.CauseServerError, "esimScan has no client for this provider in this build"
	default:
		// Other errors may carry internal detail, so the admin is shown a
		// fixed message and the error goes to the server log only.
		return adapters.CauseServerError, "the call failed inside esimScan. See the server log for the error."
	}
}
