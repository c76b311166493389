package server

import (
	"context"
	"net/http"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	"esimscan/backend/internal/providers/adapters/esimgo"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/internal/providers/adapters/maya"
	"esimscan/backend/internal/providers/ratelimit"
	"esimscan/backend/internal/providers/scheduler"
)

// LimiterFunc returns the limiter of a provider's calls for its
// rate_limit_per_hour, or nil when perHour sets no limit.
type LimiterFunc func(slug string, perHour int) httpx.Limiter

// RedisLimiters returns a LimiterFunc whose limiters count calls in rdb,
// so that rate_limit_per_hour applies across all instances sharing rdb. A
// limiter rejects calls while Redis is unreachable and logs why to logger.
func RedisLimiters(rdb redis.UniversalClient, logger zerolog.Logger) LimiterFunc {
	return func(slug string, perHour int) httpx.Limiter {
		if perHour <= 0 {
			return nil
		}
		return ratelimit.NewRedisLimiter(rdb, ratelimit.ProviderKey(slug), perHour, nil,
			ratelimit.WithLogger(logger.With().Str("provider", slug).Logger()))
	}
}

// SharedLimitFactories returns the clients of Factories, with each one's
// rate_limit_per_hour enforced by the limiter from limiters in place of
// the adapter's in-process limiter.
func SharedLimitFactories(sb *sandbox, limiters LimiterFunc) map[string]adapters.Factory {
	plain := Factories(sb)
	return map[string]adapters.Factory{
		"airalo": func(settings adapters.Settings) (adapters.Client, error) {
			return asClient(airalo.New(settings, limiterOption(limiters, "airalo", settings, airalo.WithLimiter)...))
		},
		"maya": func(settings adapters.Settings) (adapters.Client, error) {
			return asClient(maya.New(settings, limiterOption(limiters, "maya", settings, maya.WithLimiter)...))
		},
		"esim-go": func(settings adapters.Settings) (adapters.Client, error) {
			return asClient(esimgo.New(settings, limiterOption(limiters, "esim-go", settings, esimgo.WithLimiter)...))
		},
		"esim-access": func(settings adapters.Settings) (adapters.Client, error) {
			opts := limiterOption(limiters, "esim-access", settings, esimaccess.WithLimiter)
			if isSandboxURL(settings.BaseURL) {
				if sb == nil {
					// Factories returns the error that explains the sandbox is off.
					return plain["esim-access"](settings)
				}
				opts = append(opts, esimaccess.WithHTTPClient(&http.Client{Transport: sb}))
			}
			return asClient(esimaccess.New(settings, opts...))
		},
	}
}

// limiterOption returns the adapter option that installs the shared
// limiter of slug, or no option when its settings set no limit.
func limiterOption[O any](limiters LimiterFunc, slug string, settings adapters.Settings, withLimiter func(httpx.Limiter) O) []O {
	limiter := limiters(slug, settings.RateLimitPerHour)
	if limiter == nil {
		return nil
	}
	return []O{withLimiter(limiter)}
}

// asClient returns client as an adapters.Client, and a nil interface, not a
// nil pointer inside one, on error.
func asClient[C adapters.Client](client C, err error) (adapters.Client, error) {
	if err != nil {
		return nil, err
	}
	return client, nil
}

// runScheduler starts scheduled provider syncs until ctx ends. Call it
// after RecoverInterruptedSyncs, beside the reactor that runs the syncs.
func (s *Server) runScheduler(ctx context.Context) {
	syncs := scheduler.New(scheduler.Options{
		Providers: s.provider,
		Redis:     s.redis.Client,
		Logger:    s.logger.With().Str("component", "scheduler").Logger(),
	})
	// Run returns only when ctx ends, and logs its own failures.
	_ = syncs.Run(ctx)
}
