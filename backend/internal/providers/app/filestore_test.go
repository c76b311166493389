package app_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
)

// TestService_onFilestore runs the provider lifecycle on the embedded
// event store, including appends that change nothing.
func TestService_onFilestore(t *testing.T) {
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	keys, err := secrets.ParseAppKey(mustGenerateAppKey(t))
	require.NoError(t, err)
	client := &fakeClient{
		balance: func(ctx context.Context) (adapters.Balance, error) { return adapters.Balance{}, nil },
		list:    listing(&fakeClock{}, 0, []adapters.Package{pkg("a", "1"), pkg("b", "2"), pkg("a", "1")}),
	}
	repo := &esrepo.Repository{Store: store}
	catalog := catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: zerolog.Nop()})
	service := providersapp.NewService(providersapp.Deps{
		Repo:      repo,
		Keys:      keys,
		Factories: map[string]adapters.Factory{"esim-access": func(adapters.Settings) (adapters.Client, error) { return client, nil }},
		Catalog:   catalog,
		Logger:    zerolog.Nop(),
	})
	ctx := adminContext()

	_, err = service.DisableProvider(ctx, "esim-access")
	require.NoError(t, err, "disabling a provider with no stream appends nothing")
	_, err = service.ConfigureProvider(ctx, esimAccessCommand())
	require.NoError(t, err)
	outcome, _, err := service.TestProvider(ctx, "esim-access")
	require.NoError(t, err)
	require.True(t, outcome.OK)
	_, err = service.EnableProvider(ctx, "esim-access")
	require.NoError(t, err)
	again, err := service.EnableProvider(ctx, "esim-access")
	require.NoError(t, err)
	_, _, err = service.StartSync(ctx, "esim-access")
	require.NoError(t, err)
	_, _, err = service.StartSync(ctx, "esim-access")
	assertConflict(t, err, "sync_running")

	events, err := store.ReadStream(context.Background(), "provider-esim-access", 0)
	require.NoError(t, err)
	last := events[len(events)-1]
	require.Equal(t, "SyncStarted", last.Type)
	assert.Equal(t, uint64(last.Revision)-1, uint64(again.NextRevision), "the no-op enable returned the revision it saw")
	require.NoError(t, service.Reactions()[0].Handle(context.Background(), last))
	waitSyncs(t, service)

	catalogEvents, err := store.ReadStream(context.Background(), "catalog-esim-access", 0)
	require.NoError(t, err)
	assert.Len(t, catalogEvents, 3, "two packages and the marker")
	events, err = store.ReadStream(context.Background(), "provider-esim-access", eventstore.Revision(last.Revision+1))
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Equal(t, "SyncCompleted", events[len(events)-1].Type)
}
