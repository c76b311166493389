// Package domain holds the Catalog aggregate: the packages imported from one
// provider, with the store's own decisions about them (margin override,
// enabled). Its stream is catalog-<slug>.
//
// Commands: a sync diff (NewSyncDiff, Observe, Events) and UpdatePackage.
// Events: PackageAdded, PackageChanged, PackageWithdrawn, CatalogSynced,
// PackageMarginSet, PackageEnabled, PackageDisabled.
package domain
