package domain

import (
	"errors"

	"esimscan/backend/internal/platform/apperr"
)

// ErrProviderNotFound reports a slug that names no supported provider.
var ErrProviderNotFound = apperr.NotFound("provider_not_found",
	"unknown provider. Supported providers are airalo, esim-access, maya and esim-go.")

// ErrProviderNotConfigured reports a test, sync or enable of a provider whose
// settings were never saved.
var ErrProviderNotConfigured = apperr.Conflict("provider_not_configured",
	"the provider is not configured yet. Save its settings first.")

// ErrProviderNotTested reports an enable while the provider's last connection
// test did not succeed, or no test ran.
var ErrProviderNotTested = apperr.Conflict("provider_not_tested",
	"the provider's last connection test did not succeed. Run a successful test before enabling it.")

// ErrSyncRunning reports a sync start while another sync of the provider runs.
var ErrSyncRunning = apperr.Conflict("sync_running",
	"a sync of this provider is already running. Wait for it to finish.")

// ErrSyncNotRunning reports progress or an outcome for a sync that is not the
// provider's running sync, because it already finished or never started.
var ErrSyncNotRunning = errors.New("sync is not running")
