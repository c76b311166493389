// Package server wires esimScan together: the event store, Redis, the
// projectors, the command handlers, their reactions and the HTTP API.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	accountsapp "esimscan/backend/internal/accounts/app"
	catalogapp "esimscan/backend/internal/catalog/app"
	customersapp "esimscan/backend/internal/customers/app"
	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/wmsource"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/payments/settings"
	"esimscan/backend/internal/platform/config"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/logging"
	"esimscan/backend/internal/platform/reactor"
	"esimscan/backend/internal/platform/secrets"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/projections/audit"
	"esimscan/projections/catalog"
	"esimscan/projections/customers"
	"esimscan/projections/orders"
	"esimscan/projections/projection"
	"esimscan/projections/providers"
	"esimscan/projections/reports"
)

// Server is one running esimScan process.
type Server struct {
	cfg       config.Config
	logger    zerolog.Logger
	store     eventstore.Store
	redis     redisHandle
	keys      *secrets.Keyring
	runner    *projection.Runner
	accounts  *accountsapp.Service
	catalog   *catalogapp.Service
	provider  *providersapp.Service
	orders    *ordersapp.Service
	payments  *settings.Service
	email     *emailapp.Service
	customers *customersapp.Service
	paypal    *paypalGateways
	sandbox   *sandbox
	app       *fiber.App
	listener  net.Listener
}

// Projectors returns one of each read model's projector, in a fixed order.
func Projectors() []projection.Projector {
	return []projection.Projector{
		catalog.NewProjector(),
		providers.NewProjector(),
		orders.NewProjector(),
		audit.NewProjector(),
		reports.NewProjector(),
		customers.NewProjector(),
	}
}

// New opens the stores and builds the services and routes. It listens on
// cfg.Addr at once, so a taken port fails here, not later.
func New(ctx context.Context, cfg config.Config, logger zerolog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, logger: logger}
	if cfg.PublicURL == "" {
		logger.Warn().Str("fallback", "http://"+cfg.Addr).
			Msg("ESIMSCAN_PUBLIC_URL is not set: email links use the listen address and checkout returns to the request's host; set it before going live")
	}
	var err error
	if s.keys, err = LoadKeyring(cfg, logger); err != nil {
		return nil, err
	}
	if s.store, err = OpenStore(cfg, logger); err != nil {
		return nil, err
	}
	if s.redis, err = OpenRedis(ctx, cfg); err != nil {
		s.store.Close()
		return nil, err
	}
	if s.redis.InProcess == nil {
		if err := projection.CheckEvictionPolicy(ctx, s.redis.Client); err != nil {
			s.closeStores()
			return nil, fmt.Errorf("redis: %w (set maxmemory-policy noeviction, or read models lose keys silently)", err)
		}
	}
	source := wmsource.NewSource(s.store, logging.Watermill{Logger: logger.With().Str("component", "watermill").Logger()})
	s.runner, err = projection.NewRunner(s.redis.Client, source, logger, Projectors()...)
	if err != nil {
		s.closeStores()
		return nil, err
	}
	if cfg.Sandbox {
		s.sandbox = newSandbox(s.keys, logger)
	}
	s.buildServices()
	s.app = s.routes()
	if s.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		s.closeStores()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return s, nil
}

func (s *Server) buildServices() {
	repo := &esrepo.Repository{Store: s.store}
	now := func() time.Time { return time.Now().UTC() }
	s.accounts = accountsapp.NewService(accountsapp.Deps{
		Repo:       repo,
		Redis:      s.redis.Client,
		Logger:     s.logger, // the service adds its component
		SessionTTL: 12 * time.Hour,
		Now:        now,
	})
	s.catalog = catalogapp.NewService(catalogapp.Deps{
		Repo:   repo,
		Logger: s.logger.With().Str("component", "catalog").Logger(),
	})
	s.provider = providersapp.NewService(providersapp.Deps{
		Repo:       repo,
		Keys:       s.keys,
		Factories:  SharedLimitFactories(s.sandbox, RedisLimiters(s.redis.Client, s.logger.With().Str("component", "ratelimit").Logger())),
		Catalog:    s.catalog,
		Logger:     s.logger.With().Str("component", "providers").Logger(),
		SyncBudget: s.cfg.SyncBudget,
		Now:        now,
	})
	s.payments = newPaymentSettings(repo, s.keys, s.logger) // the service adds its component
	s.paypal = &paypalGateways{settings: s.payments, apiBase: s.cfg.PayPalAPIBase, logger: s.logger.With().Str("component", "paypal").Logger()}
	s.orders = ordersapp.NewService(ordersapp.Deps{
		Repo:         repo,
		Pricing:      pricing{views: catalog.NewQueries(s.redis.Client), catchUp: s.catchUp},
		Driver:       s.cfg.Driver,
		TestPayments: s.cfg.TestPayments,
		Providers:    s.liveProviders(),
		Gateways: paymentGateways{
			settings: s.payments, stripeAPIBase: s.cfg.StripeAPIBase, testPayments: s.cfg.TestPayments,
			PayPal: s.paypal.Gateway,
		},
		Logger: s.logger, // the service adds its component
		Now:    now,
	})
	s.orders.UseProviderOrderIndex(orders.NewQueries(s.redis.Client))
	s.email = s.newEmailService()
	s.customers = s.newCustomersService(s.email)
}

// PublicURL returns the address customers open the store at, without a
// trailing slash: ESIMSCAN_PUBLIC_URL, or "http://" and the listen
// address in development without it.
func (s *Server) PublicURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return "http://" + s.cfg.Addr
}

// servesHTTPS reports whether ESIMSCAN_PUBLIC_URL is an https:// address,
// which makes the session cookies Secure and adds Strict-Transport-Security.
// The server itself speaks plain HTTP behind a TLS-terminating proxy, so the
// connection cannot tell.
func (s *Server) servesHTTPS() bool {
	return strings.HasPrefix(strings.ToLower(s.cfg.PublicURL), "https://")
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Run serves until ctx ends, then shuts down in order: HTTP first, then
// background work, then the stores.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var background sync.WaitGroup
	errs := make(chan error, 3)

	background.Add(1)
	go func() {
		defer background.Done()
		if err := s.runner.Run(ctx); err != nil && ctx.Err() == nil {
			errs <- fmt.Errorf("projections: %w", err)
		}
	}()
	if err := s.provider.RecoverInterruptedSyncs(ctx); err != nil {
		s.logger.Error().Err(err).Msg("marking interrupted syncs failed did not finish; they are retried at the next start")
	}
	reactions := append(s.provider.Reactions(), s.orders.Reactions()...)
	reactions = append(reactions, s.email.Reactions()...)
	background.Add(1)
	go func() {
		defer background.Done()
		if err := reactor.Run(ctx, s.store, s.logger.With().Str("component", "reactor").Logger(), reactions...); err != nil && ctx.Err() == nil {
			errs <- fmt.Errorf("reactions: %w", err)
		}
	}()
	background.Add(1)
	go func() {
		defer background.Done()
		s.runScheduler(ctx)
	}()
	if s.redis.InProcess == nil {
		background.Add(1)
		go func() {
			defer background.Done()
			s.heartbeat(ctx)
		}()
	}
	go func() {
		if err := s.app.Listener(s.listener); err != nil {
			errs <- fmt.Errorf("http: %w", err)
		}
	}()
	s.logger.Info().Str("addr", s.Addr()).Str("driver", s.cfg.Driver).Bool("embedded_store", s.cfg.EventStoreURL == "").
		Bool("in_process_redis", s.redis.InProcess != nil).Bool("sandbox", s.sandbox != nil).Msg("esimscan serving")

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
		s.logger.Error().Err(runErr).Msg("a component stopped; shutting down")
	}
	return errors.Join(runErr, s.shutdown(cancel, &background))
}

func (s *Server) shutdown(cancel context.CancelFunc, background *sync.WaitGroup) error {
	s.logger.Info().Msg("shutting down")
	httpErr := s.app.ShutdownWithTimeout(10 * time.Second)
	cancel()
	background.Wait()
	s.provider.Wait()
	s.orders.Wait()
	s.email.Wait()
	s.customers.Wait()
	err := errors.Join(httpErr, s.closeStores())
	s.logger.Info().Msg("stopped")
	return err
}

func (s *Server) closeStores() error {
	var errs []error
	if s.redis.Client != nil {
		errs = append(errs, s.redis.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}

// HeartbeatKey marks a running server in an external Redis, so that the
// replay command does not race it.
const HeartbeatKey = "esimscan:serve:heartbeat"

func (s *Server) heartbeat(ctx context.Context) {
	ticker := time.NewTicker(5 * time.Second)
	defer ticker.Stop()
	for {
		if err := s.redis.Client.Set(ctx, HeartbeatKey, s.Addr(), 15*time.Second).Err(); err != nil && ctx.Err() == nil {
			s.logger.Warn().Err(err).Msg("writing the server heartbeat to Redis failed")
		}
		select {
		case <-ctx.Done():
			s.redis.Client.Del(context.Background(), HeartbeatKey)
			return
		case <-ticker.C:
		}
	}
}
