package server

import (
	"esimscan/backend/internal/orders/usage"
)

// newUsageCache returns the cache of eSIM usage, kept in the server's
// Redis, that calls providers through the providers application.
func (s *Server) newUsageCache() *usage.Cache {
	return usage.New(s.redis.Client, s.provider, usage.Options{Logger: s.logger})
}
