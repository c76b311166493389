package domain

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"esimscan/backend/money"
)

// PackageID returns the stable id of a provider's package: the first 16
// characters of the lowercase, unpadded base32 of SHA-256 over
// "<slug> NUL <provider package id>".
func PackageID(slug, providerPackageID string) string {
	key := packageKeyOf(slug, providerPackageID)
	return string(key[:])
}

// packageIDLength is the length of every package id.
const packageIDLength = 16

// lowerBase32 is the alphabet of package ids.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// packageKeyOf returns PackageID(slug, providerPackageID) as a key without
// allocating strings.
func packageKeyOf(slug, providerPackageID string) packageKey {
	hasher := sha256.New()
	hasher.Write([]byte(slug))
	hasher.Write([]byte{0})
	hasher.Write([]byte(providerPackageID))
	var sum [sha256.Size]byte
	hasher.Sum(sum[:0])
	// 10 bytes encode to exactly 16 base32 characters.
	var key packageKey
	lowerBase32.Encode(key[:], sum[:10])
	return key
}

// Content is the provider's description of one package: the fields a sync
// compares. The store's own decisions (margin, enabled) are not part of it.
type Content struct {
	ProviderPackageID string
	Name              string
	Countries         []string
	RegionCode        string
	RegionName        string
	DataMB            int64 // 0 when Unlimited
	Unlimited         bool
	Daily             bool
	ValidityDays      int
	Wholesale         money.Money
	Operators         []string
}

// Hash is the SHA-256 of a package's normalized content.
type Hash [sha256.Size]byte

// ErrInvalidPackage reports provider content that cannot be imported.
var ErrInvalidPackage = errors.New("invalid package")

// Normalize returns c with countries upper-cased, and countries and
// operators sorted without duplicates, so that a provider reordering them
// is not a change.
func (c Content) Normalize() Content {
	countries := make([]string, 0, len(c.Countries))
	for _, country := range c.Countries {
		countries = append(countries, strings.ToUpper(strings.TrimSpace(country)))
	}
	c.Countries = sortedUnique(countries)
	c.Operators = sortedUnique(slices.Clone(c.Operators))
	c.Wholesale = money.New(c.Wholesale.Amount, c.Wholesale.Currency)
	if c.Unlimited {
		c.DataMB = 0
	}
	return c
}

func sortedUnique(values []string) []string {
	values = slices.DeleteFunc(values, func(v string) bool { return v == "" })
	slices.Sort(values)
	values = slices.Compact(values)
	if values == nil {
		return []string{}
	}
	return values
}

// Validate reports content that cannot be imported: a missing id, a
// currency that is not three letters, or negative amounts.
func (c Content) Validate() error {
	switch {
	case c.ProviderPackageID == "":
		return fmt.Errorf("%w: a package has no provider package id", ErrInvalidPackage)
	case !isCurrencyCode(c.Wholesale.Currency):
		return fmt.Errorf("%w: package %q has currency %q, not a three-letter ISO 4217 code",
			ErrInvalidPackage, c.ProviderPackageID, c.Wholesale.Currency)
	case c.Wholesale.Amount < 0 || c.DataMB < 0 || c.ValidityDays < 0:
		return fmt.Errorf("%w: package %q has a negative price, data allowance or validity",
			ErrInvalidPackage, c.ProviderPackageID)
	}
	return nil
}

func isCurrencyCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Hash returns the SHA-256 of c's canonical JSON. Call it on normalized
// content so that equal packages hash equally.
func (c Content) Hash() Hash {
	canonical, err := json.Marshal(struct {
		ID           string
		Name         string
		Countries    []string
		RegionCode   string
		RegionName   string
		DataMB       int64
		Unlimited    bool
		Daily        bool
		ValidityDays int
		Wholesale    string
		Currency     string
		Operators    []string
	}{
		c.ProviderPackageID, c.Name, c.Countries, c.RegionCode, c.RegionName, c.DataMB,
		c.Unlimited, c.Daily, c.ValidityDays, c.Wholesale.Amount.String(), c.Wholesale.Currency, c.Operators,
	})
	if err != nil {
		// Strings, numbers and slices of strings always encode.
		panic(fmt.Errorf("encode package content: %w", err))
	}
	return sha256.Sum256(canonical)
}

// Data returns the event payload of c for the provider slug and syncID.
func (c Content) Data(slug, syncID string) PackageData {
	data := PackageData{
		PackageID:         PackageID(slug, c.ProviderPackageID),
		Provider:          slug,
		ProviderPackageID: c.ProviderPackageID,
		Name:              c.Name,
		Countries:         c.Countries,
		RegionCode:        c.RegionCode,
		RegionName:        c.RegionName,
		Unlimited:         c.Unlimited,
		Daily:             c.Daily,
		ValidityDays:      c.ValidityDays,
		Wholesale:         money.Precise(c.Wholesale),
		Operators:         c.Operators,
		SyncID:            syncID,
	}
	if !c.Unlimited {
		dataMB := c.DataMB
		data.DataMB = &dataMB
	}
	return data
}

// Content returns the provider content that d carries.
func (d PackageData) Content() Content {
	content := Content{
		ProviderPackageID: d.ProviderPackageID,
		Name:              d.Name,
		Countries:         d.Countries,
		RegionCode:        d.RegionCode,
		RegionName:        d.RegionName,
		Unlimited:         d.Unlimited,
		Daily:             d.Daily,
		ValidityDays:      d.ValidityDays,
		Wholesale:         money.Money(d.Wholesale),
		Operators:         d.Operators,
	}
	if d.DataMB != nil {
		content.DataMB = *d.DataMB
	}
	return content.Normalize()
}
