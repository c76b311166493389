package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Token purposes.
const (
	PurposeVerify = "verify"
	PurposeReset  = "reset"
)

// ErrInvalidToken reports a token that is unknown, expired, used up or
// meant for another purpose.
var ErrInvalidToken = errors.New("the link is invalid, expired or already used")

type token struct {
	purpose   string
	expiresAt time.Time
	used      bool
}

// Customer is the customer aggregate, rebuilt from "customer-<id>". The
// zero value is a customer that does not exist.
type Customer struct {
	ID           string
	EmailSealed  string
	PasswordHash string
	Verified     bool
	RegisteredAt time.Time
	Orders       []string
	tokens       map[string]*token // by token hash
}

// Exists reports whether the customer registered.
func (c *Customer) Exists() bool { return c.ID != "" }

// Apply folds one stored event into the customer. Unknown types are
// skipped.
func (c *Customer) Apply(eventType string, data []byte) error {
	if c.tokens == nil {
		c.tokens = map[string]*token{}
	}
	switch eventType {
	case EventCustomerRegistered:
		var event CustomerRegistered
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.ID, c.EmailSealed, c.PasswordHash, c.RegisteredAt = event.CustomerID, event.EmailSealed, event.PasswordHash, event.RegisteredAt
	case EventVerificationTokenIssued:
		var event VerificationTokenIssued
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.tokens[event.TokenHash] = &token{purpose: PurposeVerify, expiresAt: event.ExpiresAt}
	case EventCustomerVerified:
		var event CustomerVerified
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.Verified = true
		c.useAll(PurposeVerify)
	case EventPasswordResetRequested:
		var event PasswordResetRequested
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.tokens[event.TokenHash] = &token{purpose: PurposeReset, expiresAt: event.ExpiresAt}
	case EventCustomerPasswordReset:
		var event CustomerPasswordReset
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.PasswordHash = event.PasswordHash
		c.useAll(PurposeReset)
	case EventCustomerOrderLinked:
		var event CustomerOrderLinked
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		c.Orders = append(c.Orders, event.OrderID)
	}
	return nil
}

func (c *Customer) useAll(purpose string) {
	for _, t := range c.tokens {
		if t.purpose == purpose {
			t.used = true
		}
	}
}

// CheckToken returns ErrInvalidToken unless tokenHash is an unused token
// for purpose that has not expired at now.
func (c *Customer) CheckToken(tokenHash, purpose string, now time.Time) error {
	t, ok := c.tokens[tokenHash]
	if !ok || t.used || t.purpose != purpose || !now.Before(t.expiresAt) {
		return ErrInvalidToken
	}
	return nil
}

// HasOrder reports whether orderID is linked to the customer.
func (c *Customer) HasOrder(orderID string) bool {
	for _, id := range c.Orders {
		if id == orderID {
			return true
		}
	}
	return false
}

// Key is the data key state of "customer-key-<id>".
type Key struct {
	SealedKey string
	Erased    bool
	ErasedAt  time.Time
}

// Apply folds one stored event into the key.
func (k *Key) Apply(eventType string, data []byte) error {
	switch eventType {
	case EventCustomerKeyIssued:
		var event CustomerKeyIssued
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		k.SealedKey = event.SealedKey
	case EventCustomerErased:
		var event CustomerErased
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		k.Erased, k.ErasedAt = true, event.ErasedAt
	}
	return nil
}

// Usable reports whether the key exists and was not erased.
func (k *Key) Usable() bool { return k.SealedKey != "" && !k.Erased }

func decode(eventType string, data []byte, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}
