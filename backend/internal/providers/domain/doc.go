// Package domain holds the Provider aggregate: one wholesale eSIM provider's
// settings, sealed credentials, connection tests, syncs and whether the
// store sells its packages. Its stream is provider-<slug>.
//
// Commands: Configure, RecordTest, StartSync, ProgressSync, CompleteSync,
// FailSync, Enable, Disable. Events: ProviderConfigured, ProviderMarginSet,
// ProviderCredentialSet, ProviderTested, SyncStarted, SyncProgressed,
// SyncCompleted, SyncFailed, ProviderEnabled, ProviderDisabled.
//
// Commands return the events to append; the caller appends them and then
// calls Apply, so the aggregate never changes on a failed command.
package domain
