// Package app runs the commands of the orders context: placing an order,
// checkout, top-ups of issued eSIMs, recording gateway payments,
// cancelling, refunding, paying
// through the test gateway, fulfilling it by hand, retrying a
// failed provisioning, and the ProvisionESIMOnOrderPaid reaction that
// drives provisioning with the manual, stub or live driver.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// ErrPackageNotFound is the error Pricing returns for an unknown package id.
var ErrPackageNotFound = errors.New("package not found")

// Quote is a package's selling price and description at this moment.
type Quote struct {
	PackageID         string
	Provider          string
	ProviderPackageID string
	Name              string
	Countries         []string
	DataMB            *int64
	Unlimited         bool
	Daily             bool // DataMB is a daily allowance
	ValidityDays      int
	UnitPrice         money.Money
	Sellable          bool
}

// Pricing quotes catalog packages. Quote returns ErrPackageNotFound for an
// unknown id.
type Pricing interface {
	Quote(ctx context.Context, packageID string) (Quote, error)
}

// ProviderClients returns the configured API client of a provider, by
// slug. The providers application's Service implements it.
type ProviderClients interface {
	ClientFor(ctx context.Context, slug string) (adapters.Client, error)
}

// Defaults of the live driver's timing.
const (
	DefaultLiveDeadline    = 15 * time.Minute
	DefaultPollInterval    = 5 * time.Second
	DefaultMaxPollInterval = 60 * time.Second
)

// DefaultCaptureRecoveryDelay is how long a payment capture may hold an
// order before the capture reaction tries it again, when
// Deps.CaptureRecoveryDelay is 0. DefaultMaxCaptureRecoveryDelay bounds
// the doubling wait between later tries, when
// Deps.MaxCaptureRecoveryDelay is 0.
const (
	DefaultCaptureRecoveryDelay    = time.Minute
	DefaultMaxCaptureRecoveryDelay = 15 * time.Minute
)

// Deps are the collaborators of the orders service. Driver is "manual",
// "stub" or "live"; TestPayments enables the test payment gateway.
// Gateways provides the payment gateways of checkout and refunds; without
// it every gateway reports that it is not configured.
//
// The live driver orders from the package's provider through Providers.
// It waits up to LiveDeadline for the eSIMs after provisioning starts or is
// retried, and polls the provider first after PollInterval, then at
// doubling intervals up to MaxPollInterval. Zero durations take the
// defaults above. Without Providers, live orders stay in provisioning until
// an admin fulfils them.
//
// CaptureRecoveryDelay is how long a PaymentCaptureStarted may stand before
// the capture reaction runs the capture again, as after a crash between
// the hold and the capture. While the hold remains it tries again after
// twice the last wait, up to MaxCaptureRecoveryDelay.
type Deps struct {
	Repo            *esrepo.Repository
	Pricing         Pricing
	Driver          string
	TestPayments    bool
	Gateways        Gateways
	Providers       ProviderClients
	LiveDeadline    time.Duration
	PollInterval    time.Duration
	MaxPollInterval time.Duration

	CaptureRecoveryDelay    time.Duration
	MaxCaptureRecoveryDelay time.Duration
	Logger                  zerolog.Logger
	Now                     func() time.Time
}

// Service runs order commands. It is safe for concurrent use.
type Service struct {
	repo         *esrepo.Repository
	pricing      Pricing
	driver       string
	testPayments bool
	gateways     Gateways
	customers    CustomerAccounts // set by UseCustomerAccounts
	margins      ProviderMargins  // set by UseProviderMargins

	providerOrders ProviderOrderIndex // set by UseProviderOrderIndex
	logger         zerolog.Logger
	now            func() time.Time

	providers       ProviderClients
	liveDeadline    time.Duration
	pollInterval    time.Duration
	maxPollInterval time.Duration
	captureRecovery time.Duration
	maxCaptureRetry time.Duration

	locks orderLocks // see orderLocks

	handlers     sync.WaitGroup
	workers      sync.WaitGroup // live driver goroutines
	liveMu       sync.Mutex
	liveRuns     map[string]*liveRun // by order id, while a worker runs
	liveWarnOnce sync.Once
}

// NewService returns a Service. A nil Now uses time.Now and an empty
// Driver means "manual".
func NewService(deps Deps) *Service {
	service := &Service{
		repo:         deps.Repo,
		pricing:      deps.Pricing,
		driver:       deps.Driver,
		testPayments: deps.TestPayments,
		gateways:     deps.Gateways,
		logger:       deps.Logger.With().Str("component", "orders").Logger(),
		now:          deps.Now,

		providers:       deps.Providers,
		liveDeadline:    orDefault(deps.LiveDeadline, DefaultLiveDeadline),
		pollInterval:    orDefault(deps.PollInterval, DefaultPollInterval),
		maxPollInterval: orDefault(deps.MaxPollInterval, DefaultMaxPollInterval),
		captureRecovery: orDefault(deps.CaptureRecoveryDelay, DefaultCaptureRecoveryDelay),
		maxCaptureRetry: orDefault(deps.MaxCaptureRecoveryDelay, DefaultMaxCaptureRecoveryDelay),
		liveRuns:        map[string]*liveRun{},
	}
	if service.now == nil {
		service.now = time.Now
	}
	if service.driver == "" {
		service.driver = domain.DriverManual
	}
	service.maxPollInterval = max(service.maxPollInterval, service.pollInterval)
	service.maxCaptureRetry = max(service.maxCaptureRetry, service.captureRecovery)
	return service
}

func orDefault(value, fallback time.Duration) time.Duration {
	if value <= 0 {
		return fallback
	}
	return value
}

// Wait blocks until every reaction handler in progress and every live
// driver goroutine has returned, for tests and shutdown. Live driver
// goroutines end when the context of the reaction that started them ends.
func (s *Service) Wait() {
	s.handlers.Wait()
	s.workers.Wait()
}

// maxAttempts bounds how often a command reloads an order after a
// concurrent change before it reports the conflict.
const maxAttempts = 5

func streamOf(orderID string) string { return "order-" + orderID }

// validOrderID reports whether id has the form of the ids PlaceOrder makes,
// so that no other text reaches a stream name.
func validOrderID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// loadedOrder is an order rebuilt from its stream, with the state of the
// stream it was read at.
type loadedOrder struct {
	order      *domain.Order
	customerID string // the account that placed the order, "" for a guest
	expected   eventstore.ExpectedRevision
	current    eventstore.AppendResult // revision and position of the last event
}

// loadOrder rebuilds an order and returns the revision to append with.
func (s *Service) loadOrder(ctx context.Context, orderID string) (loadedOrder, error) {
	loaded := loadedOrder{order: &domain.Order{}}
	expected, err := s.repo.Load(ctx, streamOf(orderID), func(event eventstore.RecordedEvent) error {
		loaded.current = eventstore.AppendResult{NextRevision: event.Revision, Position: event.Position}
		if event.Type == domain.EventOrderPlaced {
			var placed struct {
				CustomerID string `json:"customer_id"`
			}
			if err := decodeEvent(event, &placed); err != nil {
				return err
			}
			loaded.customerID = placed.CustomerID
		}
		return loaded.order.Apply(event.Type, event.Data)
	})
	if err != nil {
		return loadedOrder{}, fmt.Errorf("load order %s: %w", orderID, err)
	}
	loaded.expected = expected
	return loaded, nil
}

// decideFunc returns the events a command appends to a loaded order. No
// events means the work is already done.
type decideFunc func(order *domain.Order) ([]esrepo.Event, error)

// update runs load, decide, append on one order, and loads and decides
// again when another writer changed the order in between. With no events
// to append it returns the revision and position of the order's last event.
func (s *Service) update(ctx context.Context, orderID string, decide decideFunc) (eventstore.AppendResult, error) {
	for attempt := 1; ; attempt++ {
		loaded, err := s.loadOrder(ctx, orderID)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		events, err := decide(loaded.order)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if len(events) == 0 {
			return loaded.current, nil
		}
		result, err := s.repo.Append(ctx, streamOf(orderID), loaded.expected, events...)
		if errors.Is(err, esrepo.ErrConflict) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("update order %s: %w", orderID, err)
		}
		return result, nil
	}
}

// commandError turns the domain's rule errors into errors the HTTP edge
// maps to a status and code.
func commandError(err error) error {
	var transition *domain.TransitionError
	switch {
	case errors.As(err, &transition):
		return &apperr.Error{Kind: apperr.KindConflict, Code: transition.Code, Message: transition.Error(), Err: err}
	case errors.Is(err, domain.ErrCaptureInProgress):
		return &apperr.Error{Kind: apperr.KindConflict, Code: CodeCaptureInProgress, Message: err.Error(), Err: err}
	case errors.Is(err, domain.ErrAmountMismatch):
		return &apperr.Error{Kind: apperr.KindConflict, Code: "payment_amount_mismatch", Message: err.Error(), Err: err}
	case errors.Is(err, domain.ErrRefundExceedsPaid):
		return &apperr.Error{Kind: apperr.KindInvalid, Code: "refund_exceeds_paid", Field: "amount", Message: err.Error(), Err: err}
	case errors.Is(err, domain.ErrInvalidRefundAmount):
		return &apperr.Error{Kind: apperr.KindInvalid, Code: "invalid_amount", Field: "amount", Message: err.Error(), Err: err}
	case errors.Is(err, domain.ErrESIMCount):
		return &apperr.Error{Kind: apperr.KindConflict, Code: "esim_count_mismatch", Message: err.Error(), Err: err}
	}
	return err
}

func errOrderNotFound() error {
	return apperr.NotFound("order_not_found", "order not found")
}

// CodeCaptureInProgress is the code of the Conflict error of a command
// that a running payment capture of the order forbids.
const CodeCaptureInProgress = "payment_capture_in_progress"

// errMalformedOrderID reports an order id that no order can have, named
// by a gateway's webhook. Webhooks acknowledge it, because a retry cannot
// help.
func errMalformedOrderID(orderID string) error {
	return apperr.Invalid("order_id", "invalid_order_id",
		fmt.Sprintf("order id %.64q is not an id this store makes", orderID))
}
