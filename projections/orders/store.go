package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

const keyPrefix = "orders:"

// keyAll is a sorted set of every order id scored by the log position of
// its OrderPlaced event, so that newest first is highest score first.
const keyAll = keyPrefix + "all"

// mgetChunk bounds the number of keys read by one MGET.
const mgetChunk = 1000

// orderKey holds the JSON orderRecord of one order.
func orderKey(id string) string { return keyPrefix + "order:" + id }

// statusKey is a sorted set of the ids of the orders in a status, scored
// like keyAll.
func statusKey(status string) string { return keyPrefix + "status:" + status }

// emailKey is a sorted set of the ids of the orders of one email address,
// lower-cased, scored like keyAll.
func emailKey(email string) string { return keyPrefix + "email:" + strings.ToLower(email) }

// emailHashKey is a sorted set of the ids of the orders whose email is
// sealed, by the keyed hash of the email, scored like keyAll.
func emailHashKey(hash string) string { return keyPrefix + "emailhash:" + hash }

// guestKey is a set of the ids of the orders sealed with one guest key.
func guestKey(guestID string) string { return keyPrefix + "guest:" + guestID }

// orderRecord is an order as stored: its view, the access token hash that
// the view keeps out of JSON, and its score in the list indexes. EmailHash
// is the keyed hash the order is listed under in emailHashKey, kept so that
// an erasure can take the order out of that index.
type orderRecord struct {
	View            OrderView `json:"view"`
	AccessTokenHash string    `json:"access_token_hash"`
	EmailSealed     string    `json:"email_sealed,omitempty"`
	EmailHash       string    `json:"email_hash,omitempty"`
	GuestID         string    `json:"guest_id,omitempty"`
	Score           uint64    `json:"score"`
}

// providerOrderKey holds the id of the order that recorded a provider
// order: its ProviderOrderPlaced, or the provider reference of its
// TopUpApplied. Provider slugs contain no colon, so the key is
// unambiguous.
func providerOrderKey(provider, providerOrderID string) string {
	return keyPrefix + "provider_order:" + provider + ":" + providerOrderID
}

// customerKey is a set of the ids of the orders of one signed-in customer.
func customerKey(customerID string) string { return keyPrefix + "customer:" + customerID }

func (r *orderRecord) order() OrderView {
	view := r.View
	view.AccessTokenHash = r.AccessTokenHash
	view.EmailSealed = r.EmailSealed
	view.GuestID = r.GuestID
	if view.ESIMs == nil {
		view.ESIMs = []ESIM{}
	}
	if view.Package.Countries == nil {
		view.Package.Countries = []string{}
	}
	return view
}

// loadRecord returns the stored order, or nil when there is none.
func loadRecord(ctx context.Context, rdb redis.Cmdable, id string) (*orderRecord, error) {
	raw, err := rdb.Get(ctx, orderKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load order %s: %w", id, err)
	}
	var record orderRecord
	if err := json.Unmarshal(raw, &record); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", id, err)
	}
	return &record, nil
}

// loadRecords reads the orders with the given ids in order, skipping ids
// that have no stored order.
func loadRecords(ctx context.Context, rdb redis.Cmdable, ids []string) ([]*orderRecord, error) {
	out := make([]*orderRecord, 0, len(ids))
	for start := 0; start < len(ids); start += mgetChunk {
		end := min(start+mgetChunk, len(ids))
		keys := make([]string, 0, end-start)
		for _, id := range ids[start:end] {
			keys = append(keys, orderKey(id))
		}
		values, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("load %d orders: %w", len(keys), err)
		}
		for i, value := range values {
			raw, ok := value.(string)
			if !ok {
				continue
			}
			var record orderRecord
			if err := json.Unmarshal([]byte(raw), &record); err != nil {
				return nil, fmt.Errorf("decode order %s: %w", ids[start+i], err)
			}
			out = append(out, &record)
		}
	}
	return out, nil
}

func saveRecord(ctx context.Context, tx redis.Pipeliner, record *orderRecord) error {
	raw, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode order %s: %w", record.View.ID, err)
	}
	tx.Set(ctx, orderKey(record.View.ID), raw, 0)
	return nil
}
