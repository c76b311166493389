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
// test did not succeed, no test ran, or the connection settings changed
// after the test.
var ErrProviderNotTested = apperr.Conflict("provider_not_tested",
	"the provider has no successful connection test since its connection settings last changed. Run a successful test before enabling it.")

// ErrSettingsChangedDuringTest reports a connection test whose outcome is
// not recorded because a save changed the connection settings while it ran.
var ErrSettingsChangedDuringTest = apperr.Conflict("provider_settings_changed",
	"the provider's connection settings changed while the test ran. Run the test again.")

// ErrSyncRunning reports a sync start while another sync of the provider runs.
var ErrSyncRunning = apperr.Conflict("sync_running",
	"a sync of this provider is already running. Wait for it to finish.")

// ErrSyncNotRunning reports progress or an outcome for a sync that is not the
// provider's running sync, because it already finished or never started.
var ErrSyncNotRunning = errors.New("sync is not running")
