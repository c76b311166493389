package airalo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/airalo"
)

func TestListenAndServe_stopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.ListenAndServe(ctx, "127.0.0.1:0", sim.Options{ClientID: "id-run", ClientSecret: "secret-run"})
	}()

	cancel()

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return within 10s of cancellation")
	}
}

func TestListenAndServe_rejectsBadAddress(t *testing.T) {
	err := sim.ListenAndServe(context.Background(), "no-port", sim.Options{})

	require.ErrorContains(t, err, `parse simulator address "no-port"`)
}
