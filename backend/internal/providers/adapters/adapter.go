// Package adapters declares what esimScan needs from a wholesale eSIM
// provider's API, and the errors adapters report. Each provider's client
// lives in a subpackage (esimaccess, airalo, maya, esimgo).
package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Cause classifies a failed call in words an admin can act on. The same
// values appear in the API's test and sync results.
type Cause string

const (
	CauseCredentials Cause = "credentials"  // rejected, or not decryptable with APP_KEY
	CauseUnreachable Cause = "unreachable"  // DNS failure, connection refused, TLS failure
	CauseTimeout     Cause = "timeout"      // no response within the deadline
	CauseNotFound    Cause = "not_found"    // wrong path or base URL
	CauseRateLimited Cause = "rate_limited" // 429 after retries, or the local hourly limit
	CauseBadResponse Cause = "bad_response" // unexpected shape or units
	CauseServerError Cause = "server_error" // 5xx after retries, or a provider error not classified otherwise
	// CauseRejected means the provider understood the request and refused
	// it for a business reason, such as an insufficient balance, a package
	// sold out or withdrawn, an unknown ICCID or a quantity limit. Sending
	// the same request again does not help until someone acts, so adapters
	// never retry it, and Message states what the admin must do.
	CauseRejected Cause = "rejected"
)

// Error is a failed provider call. Message never contains a secret.
type Error struct {
	Cause   Cause
	Message string
	// RetryAfter is the wait the provider asked for, when it sent one.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Cause, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Cause, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// CauseOf returns the cause of err, or CauseServerError for an error that
// is not an *Error.
func CauseOf(err error) Cause {
	var providerErr *Error
	if errors.As(err, &providerErr) {
		return providerErr.Cause
	}
	return CauseServerError
}

// Balance is the merchant's prepaid balance at the provider.
type Balance struct {
	Amount money.Money
}

// Package is one sellable package in the provider's catalog, in esimScan's
// units: data in MB (1 MB = 1,048,576 bytes where the provider counts
// bytes), validity in days, wholesale price in the provider's currency.
type Package struct {
	ProviderPackageID string
	Name              string
	Countries         []string // ISO 3166-1 alpha-2, upper case
	RegionCode        string   // empty for a single-country package
	RegionName        string
	DataMB            int64 // 0 when Unlimited
	Unlimited         bool
	Daily             bool // DataMB is a daily allowance
	ValidityDays      int
	Wholesale         money.Money
	Operators         []string
}

// OrderRequest is a request to the provider for eSIMs. Reference is esimScan's own
// idempotency key for the order: the same reference never buys twice where
// the provider supports it.
type OrderRequest struct {
	Reference         string
	ProviderPackageID string
	Quantity          int
	// Wholesale is the expected unit price, sent where the provider checks it.
	Wholesale money.Money

	// The fields below let adapters of providers without an idempotency
	// key find an order that an earlier process bought for Reference.
	// Adapters of providers with such a key ignore them, and an adapter
	// uses them only when its own memory has no entry for Reference.

	// OutcomeUnknownSince, when not zero, is when an earlier call for
	// Reference started whose outcome was never recorded, so that call may
	// have bought the order. The adapter looks orders up from that time on
	// before it buys.
	OutcomeUnknownSince time.Time
	// Claimed, when set, reports whether another esimScan order already
	// recorded the provider order with this id. A lookup never takes a
	// claimed order as this one.
	Claimed func(ctx context.Context, providerOrderID string) (bool, error)
	// OpenedOrderID is the provider order that an earlier call for
	// Reference opened and reported through Opened, or empty. An adapter
	// that opens orders looks this one up before opening another.
	OpenedOrderID string
	// Opened, when set, is called by an adapter that opens a provider order
	// before it charges for it, such as Maya's customer that owns the
	// eSIMs, with that order's id, after opening and before the first
	// charging call. The caller records the id durably and passes it back
	// as OpenedOrderID. An error from Opened stops the order before it
	// charges and is returned wrapped.
	Opened func(ctx context.Context, providerOrderID string) error
}

// ESIM is an issued eSIM profile.
type ESIM struct {
	ICCID          string
	LPA            string // "LPA:1$<SM-DP+ address>$<matching id>"
	SMDPAddress    string
	ActivationCode string // the matching id
}

// OrderResult is the provider's response to an order. When Pending is true
// the profiles are allocated later: poll with QueryOrder using
// ProviderOrderID.
type OrderResult struct {
	ProviderOrderID string
	Pending         bool
	ESIMs           []ESIM
}

// Client is one provider's API, configured with its base URL and
// credentials. Implementations are safe for concurrent use.
type Client interface {
	// Balance calls the provider's lightest authenticated endpoint.
	Balance(ctx context.Context) (Balance, error)

	// ListPackages streams every package of the catalog to yield, page by
	// page, without holding the whole catalog in memory. A package listed
	// twice is yielded twice; the caller deduplicates. An error from yield
	// stops the listing and is returned.
	ListPackages(ctx context.Context, yield func(Package) error) error

	// Order buys eSIMs.
	Order(ctx context.Context, req OrderRequest) (OrderResult, error)

	// QueryOrder returns the eSIMs of an order placed with Order; Pending is
	// true while the provider is still allocating them.
	QueryOrder(ctx context.Context, providerOrderID string) (OrderResult, error)
}

// Settings configure one provider's Client: the base URL without a
// trailing slash, the decrypted credential fields (for example
// "access_code" and "secret_key"), the advanced overrides
// ("balance_path", "package_list_path", "package_list_body"; empty means
// the built-in default) and the optional hourly call limit.
type Settings struct {
	BaseURL          string
	Credentials      map[string]string
	Advanced         map[string]string
	RateLimitPerHour int // 0 means no limit
}

// Factory builds a Client for one provider from its settings.
type Factory func(settings Settings) (Client, error)

// TopUpRequest adds data to an issued eSIM. Reference is esimScan's own
// idempotency key for the top-up: the same reference never charges twice
// where the provider supports it. A non-zero Wholesale is sent as the
// expected price, where the provider checks it.
type TopUpRequest struct {
	Reference         string
	ICCID             string
	ProviderPackageID string
	Wholesale         money.Money

	// OutcomeUnknownSince and Claimed mean what they mean in OrderRequest.
	OutcomeUnknownSince time.Time
	Claimed             func(ctx context.Context, providerOrderID string) (bool, error)
}

// TopUpResult is the provider's response to a top-up. ProviderReference is
// the provider's id of the top-up, empty when it returns none.
type TopUpResult struct {
	ProviderReference string
	ICCID             string
}

// TopUpper is implemented by the Clients of providers that sell more data
// for an eSIM they issued. A Client that does not implement it does not
// support top-ups.
type TopUpper interface {
	// ListTopUps returns the packages that can top up the eSIM with this
	// ICCID, with their wholesale prices. An eSIM the provider does not
	// know, or that cannot be topped up, gives an empty list or an error.
	ListTopUps(ctx context.Context, iccid string) ([]Package, error)

	// TopUp buys a top-up package for the eSIM. Where the provider supports
	// it, a repeated call with the same Reference returns the first top-up.
	TopUp(ctx context.Context, req TopUpRequest) (TopUpResult, error)
}

// Usage is the data use of an issued eSIM as the provider last reported it.
// Data is in esimScan's MB (BytesPerMB bytes where the provider counts
// bytes). TotalMB, UsedMB and RemainingMB are nil when the plan is
// unlimited or the provider does not report the figure. ExpiresAt is nil
// when the provider reports no end of validity.
type Usage struct {
	TotalMB     *int64
	UsedMB      *int64
	RemainingMB *int64
	ExpiresAt   *time.Time
	// Status is one of the UsageStatus values.
	Status string
	// AsOf is when the provider measured the figures, or when the adapter
	// read them if the provider reports no time.
	AsOf time.Time
}

// Usage statuses, the same for every provider.
const (
	UsageStatusNotActive = "not_active" // issued, not yet used on a network
	UsageStatusActive    = "active"
	UsageStatusDepleted  = "depleted" // the data is used up
	UsageStatusExpired   = "expired"
	UsageStatusUnknown   = "unknown" // revoked, recycled, or a status esimScan does not know
)

// UsageReader is implemented by the Clients of providers that report the
// data use of an eSIM they issued. A Client that does not implement it
// reports no usage. An ICCID the provider does not know gives an *Error
// with CauseRejected.
type UsageReader interface {
	Usage(ctx context.Context, iccid string) (Usage, error)
}

// BytesToUsageMB converts a byte count of a usage report to MB of
// BytesPerMB bytes, rounded to the nearest MB. Unlike BytesToMB it keeps
// 0, and a negative count gives 0.
func BytesToUsageMB(bytes int64) int64 {
	if bytes <= 0 {
		return 0
	}
	return (bytes + BytesPerMB/2) / BytesPerMB
}
