package server

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/ratelimit"
	simesimaccess "esimscan/backend/internal/simulators/esimaccess"
)

// schedulingRedis returns a client of an in-process miniredis, and of the
// real Redis at REDIS_TEST_URL when that is set, by name.
func schedulingRedis(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	mini := miniredis.RunT(t)
	miniClient := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = miniClient.Close() })
	servers := map[string]redis.UniversalClient{"miniredis": miniClient}
	url := os.Getenv("REDIS_TEST_URL")
	if url == "" {
		t.Log("REDIS_TEST_URL is unset, so the real-Redis cases are skipped")
		return servers
	}
	options, err := redis.ParseURL(url)
	require.NoError(t, err, "parse REDIS_TEST_URL")
	realClient := redis.NewClient(options)
	t.Cleanup(func() { _ = realClient.Close() })
	servers["redis"] = realClient
	return servers
}

// TestSharedLimitFactories_limitAcrossInstances builds the eSIM Access
// client of two instances sharing one Redis, with a limit of two calls an
// hour, and calls the simulator three times.
func TestSharedLimitFactories_limitAcrossInstances(t *testing.T) {
	for name, rdb := range schedulingRedis(t) {
		t.Run(name, func(t *testing.T) {
			simulator, err := simesimaccess.Start(simesimaccess.Options{AccessCode: "access-code-1", SecretKey: "secret-key-1"})
			require.NoError(t, err)
			t.Cleanup(simulator.Close)
			// The real Redis outlives the test, so the key is cleared before and after.
			require.NoError(t, rdb.Del(context.Background(), ratelimit.ProviderKey("esim-access")).Err())
			t.Cleanup(func() { rdb.Del(context.Background(), ratelimit.ProviderKey("esim-access")) })
			settings := adapters.Settings{
				BaseURL:          simulator.URL,
				Credentials:      map[string]string{"access_code": "access-code-1", "secret_key": "secret-key-1"},
				RateLimitPerHour: 2,
			}
			var clients []adapters.Client
			for range 2 {
				factories := SharedLimitFactories(nil, RedisLimiters(rdb, zerolog.Nop()))
				client, err := factories["esim-access"](settings)
				require.NoError(t, err)
				clients = append(clients, client)
			}
			ctx := context.Background()

			_, err = clients[0].Balance(ctx)
			require.NoError(t, err, "first call")
			_, err = clients[1].Balance(ctx)
			require.NoError(t, err, "second call, from the other instance")
			_, err = clients[0].Balance(ctx)
			var providerErr *adapters.Error
			require.True(t, errors.As(err, &providerErr), "third call fails with a provider error, got %v", err)
			assert.Equal(t, adapters.CauseRateLimited, providerErr.Cause)
		})
	}
}

func TestSharedLimitFactories_noLimit(t *testing.T) {
	simulator, err := simesimaccess.Start(simesimaccess.Options{AccessCode: "access-code-1"})
	require.NoError(t, err)
	t.Cleanup(simulator.Close)
	rdb := schedulingRedis(t)["miniredis"]
	client, err := SharedLimitFactories(nil, RedisLimiters(rdb, zerolog.Nop()))["esim-access"](adapters.Settings{
		BaseURL:     simulator.URL,
		Credentials: map[string]string{"access_code": "access-code-1"},
	})
	require.NoError(t, err)
	for call := range 5 {
		_, err := client.Balance(context.Background())
		require.NoError(t, err, "call %d", call+1)
	}
}

func TestSharedLimitFactories_invalidSettingsReturnNilClient(t *testing.T) {
	rdb := schedulingRedis(t)["miniredis"]
	factories := SharedLimitFactories(nil, RedisLimiters(rdb, zerolog.Nop()))
	for _, slug := range []string{"airalo", "maya", "esim-go", "esim-access"} {
		client, err := factories[slug](adapters.Settings{BaseURL: "", RateLimitPerHour: 5})
		assert.Error(t, err, slug)
		assert.Nil(t, client, "%s returns a nil interface on error", slug)
	}
	client, err := factories["esim-access"](adapters.Settings{
		BaseURL:     "http://esim-access" + sandboxHostSuffix,
		Credentials: map[string]string{"access_code": "access-code-1"},
	})
	assert.Nil(t, client)
	assert.ErrorContains(t, err, "ESIMSCAN_SANDBOX=1", "a sandbox URL with the sandbox off")
}
