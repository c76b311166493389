// Package catalog projects provider packages, margins and availability into
// the catalog read model: the sellable packages per country and region with
// their selling prices, and every package of a provider for the admin.
package catalog

import (
	"context"
	"fmt"
	"sort"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// Name is the catalog projector's name and checkpoint key.
const Name = "catalog"

type projector struct{}

// NewProjector returns the catalog projector. It keeps no state of its own
// and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// Apply queues the catalog writes for ev on tx. Work per event is bounded by
// the package it names, except for a provider's margin change, enable or
// disable, which visit that provider's packages.
func (projector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	switch ev.Type {
	case typeProviderMarginSet:
		return applyProviderMarginSet(ctx, rdb, tx, ev)
	case typeProviderEnabled, typeProviderDisabled:
		return applyProviderToggled(ctx, rdb, tx, ev)
	case typePackageAdded, typePackageChanged:
		return applyPackageListed(ctx, rdb, tx, ev)
	case typePackageWithdrawn, typePackageEnabled, typePackageDisabled, typePackageMarginSet:
		return applyPackageUpdated(ctx, rdb, tx, ev)
	}
	return nil
}

func applyProviderMarginSet(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	var payload providerMarginSet
	if err := decode(ev.Type, ev.Data, &payload); err != nil {
		return err
	}
	if err := requireFields(ev.Type, map[string]string{"slug": payload.Slug}); err != nil {
		return err
	}
	before, err := loadProvider(ctx, rdb, payload.Slug)
	if err != nil {
		return err
	}
	after := before
	after.Margin = 0
	if payload.NewPercent != nil {
		after.Margin = *payload.NewPercent
	}
	return updateProvider(ctx, rdb, tx, payload.Slug, before, after)
}

func applyProviderToggled(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	var payload providerToggled
	if err := decode(ev.Type, ev.Data, &payload); err != nil {
		return err
	}
	if err := requireFields(ev.Type, map[string]string{"slug": payload.Slug}); err != nil {
		return err
	}
	before, err := loadProvider(ctx, rdb, payload.Slug)
	if err != nil {
		return err
	}
	after := before
	after.Enabled = ev.Type == typeProviderEnabled
	return updateProvider(ctx, rdb, tx, payload.Slug, before, after)
}

// updateProvider stores the provider's new state and moves each of its
// packages in the indexes when its price or availability changes.
func updateProvider(
	ctx context.Context,
	rdb redis.Cmdable,
	tx redis.Pipeliner,
	slug string,
	before, after providerState,
) error {
	if err := saveProvider(ctx, tx, slug, after); err != nil {
		return err
	}
	if before == after {
		return nil
	}
	ids, err := rdb.SMembers(ctx, providerPackagesKey(slug)).Result()
	if err != nil {
		return fmt.Errorf("list packages of provider %s: %w", slug, err)
	}
	sort.Strings(ids)
	packages, err := loadPackages(ctx, rdb, ids)
	if err != nil {
		return err
	}
	for _, pkg := range packages {
		old, wasListed := listingOf(pkg, before)
		updated, isListed := listingOf(pkg, after)
		relist(ctx, tx, old, wasListed, updated, isListed)
	}
	return nil
}

// applyPackageListed stores the full package of PackageAdded or
// PackageChanged. The admin's override and enabled flag survive, and a
// package listed again after a withdrawal is no longer withdrawn.
func applyPackageListed(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	var payload packageListed
	if err := decode(ev.Type, ev.Data, &payload); err != nil {
		return err
	}
	err := requireFields(ev.Type, map[string]string{
		"package_id":         payload.PackageID,
		"provider":           payload.Provider,
		"wholesale.currency": payload.Wholesale.Currency,
	})
	if err != nil {
		return err
	}
	before, err := loadPackage(ctx, rdb, payload.PackageID)
	if err != nil {
		return err
	}
	after := &packageState{
		ID:                payload.PackageID,
		Provider:          payload.Provider,
		ProviderPackageID: payload.ProviderPackageID,
		Name:              payload.Name,
		Countries:         normalizeCountries(payload.Countries),
		RegionCode:        payload.RegionCode,
		RegionName:        payload.RegionName,
		DataMB:            payload.DataMB,
		Unlimited:         payload.Unlimited,
		Daily:             payload.Daily,
		Operators:         payload.Operators,
		ValidityDays:      payload.ValidityDays,
		Wholesale:         payload.Wholesale,
	}
	if payload.Unlimited {
		after.DataMB = nil
	}
	if before != nil {
		after.MarginOverride = before.MarginOverride
		after.Disabled = before.Disabled
	}
	return updatePackage(ctx, rdb, tx, before, after)
}

// applyPackageUpdated applies PackageWithdrawn, PackageEnabled,
// PackageDisabled and PackageMarginSet. Events naming a package the catalog
// has never seen are ignored, because the catalog stream always lists a
// package before it changes one.
func applyPackageUpdated(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	var payload packageUpdated
	if err := decode(ev.Type, ev.Data, &payload); err != nil {
		return err
	}
	if err := requireFields(ev.Type, map[string]string{"package_id": payload.PackageID}); err != nil {
		return err
	}
	before, err := loadPackage(ctx, rdb, payload.PackageID)
	if err != nil || before == nil {
		return err
	}
	after := *before
	switch ev.Type {
	case typePackageWithdrawn:
		after.Withdrawn = true
	case typePackageEnabled:
		after.Disabled = false
	case typePackageDisabled:
		after.Disabled = true
	case typePackageMarginSet:
		after.MarginOverride = payload.NewPercent
	}
	return updatePackage(ctx, rdb, tx, before, &after)
}

// updatePackage stores after and moves the package from its index entry
// under before to its entry under after.
func updatePackage(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, before, after *packageState) error {
	provider, err := loadProvider(ctx, rdb, after.Provider)
	if err != nil {
		return err
	}
	if err := savePackage(ctx, tx, after); err != nil {
		return err
	}
	// A package id is derived from its provider's slug, so a package never
	// moves to another provider.
	if after.Withdrawn {
		tx.SRem(ctx, providerPackagesKey(after.Provider), after.ID)
	} else {
		tx.SAdd(ctx, providerPackagesKey(after.Provider), after.ID)
	}
	old, wasListed := listingOf(before, provider)
	updated, isListed := listingOf(after, provider)
	relist(ctx, tx, old, wasListed, updated, isListed)
	return nil
}
