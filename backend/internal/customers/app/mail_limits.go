package app

import (
	"context"
	"time"

	"esimscan/backend/internal/platform/throttle"
)

// MailLimits bound the account emails that anyone can make the store send
// without signing in: password-reset links and the notice to an address
// that registers again. Within Window, one address gets at most PerAddress
// of them and one client address can cause at most PerClient. Past a limit
// the store sends nothing and returns the response of a sent email, so the
// limits reveal nothing about which addresses have accounts.
// NOTE: PerAddress lets anyone use up an address's budget, which delays the
// owner's own reset link until the window ends. That is the price of not
// flooding the mailbox.
type MailLimits struct {
	PerAddress int
	PerClient  int
	Window     time.Duration
}

// DefaultMailLimits are the limits when Deps.MailLimits is zero.
var DefaultMailLimits = MailLimits{PerAddress: 3, PerClient: 20, Window: time.Hour}

const (
	mailAddressPrefix = "customermail:address:"
	mailClientPrefix  = "customermail:client:"
)

// allowMail counts one account email of kind to the address with keyed
// hash emailHash, caused by clientIP, and reports whether it may be sent.
// A refused email is logged once, with keys in place of both addresses.
func (s *Service) allowMail(ctx context.Context, kind, emailHash, clientIP string) (bool, error) {
	addressKey, clientKey := emailHash[:16], throttle.AddressKey(clientIP)
	limits := s.mailLimits
	// The client is counted first, so that a client past its limit does
	// not use up the address's budget.
	wait, err := throttle.Allow(ctx, s.redis, mailClientPrefix+clientKey, limits.PerClient, limits.Window)
	if err != nil {
		return false, err
	}
	limit := "client"
	if wait == 0 {
		limit = "address"
		wait, err = throttle.Allow(ctx, s.redis, mailAddressPrefix+addressKey, limits.PerAddress, limits.Window)
		if err != nil {
			return false, err
		}
	}
	if wait > 0 {
		s.logger.Warn().Str("kind", kind).Str("address_key", addressKey).Str("client_key", clientKey).
			Str("limit", limit).Dur("retry_after", wait).Msg("customer email not sent: rate limit reached")
		return false, nil
	}
	return true, nil
}
