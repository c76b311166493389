package payments

import "context"

type idempotencyKey struct{}

// WithIdempotencyKey returns ctx carrying the key a gateway sends with the
// request it makes for this call, so that a retried call never moves money
// twice. Gateways without idempotency keys ignore it.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// IdempotencyKeyFrom returns the key carried by ctx, or fallback.
func IdempotencyKeyFrom(ctx context.Context, fallback string) string {
	if key, ok := ctx.Value(idempotencyKey{}).(string); ok && key != "" {
		return key
	}
	return fallback
}
