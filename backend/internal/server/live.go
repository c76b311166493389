package server

import (
	ordersapp "esimscan/backend/internal/orders/app"
	providersapp "esimscan/backend/internal/providers/app"
)

// The providers service hands the live provisioning driver its clients.
var _ ordersapp.ProviderClients = (*providersapp.Service)(nil)

// liveProviders returns the provider clients of the live provisioning
// driver. They are wired whatever the value of ESIM_PROVISIONING_DRIVER,
// because an order keeps the driver that took charge of it. So an order
// started live still finishes live after a restart with another driver.
func (s *Server) liveProviders() ordersapp.ProviderClients {
	return s.provider
}
