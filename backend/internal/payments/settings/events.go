// Package settings holds the payment settings aggregate, stream
// payment-settings: which gateways (stripe, paypal, manual) are enabled,
// their plain settings, and their secrets sealed with the APP_KEY keyring.
// Its events are PaymentGatewayConfigured and PaymentCredentialSet; the
// audit read model lists the second under kind "credentials".
package settings

// Stream is the stream of the payment settings aggregate.
const Stream = "payment-settings"

// Event types as stored in the log.
const (
	EventPaymentGatewayConfigured = "PaymentGatewayConfigured"
	EventPaymentCredentialSet     = "PaymentCredentialSet"
)

// Gateway names.
const (
	GatewayStripe = "stripe"
	GatewayPayPal = "paypal"
	GatewayManual = "manual"
)

// PaymentGatewayConfigured records a gateway's settings other than its
// secrets, as a whole: each save replaces the previous one.
type PaymentGatewayConfigured struct {
	Gateway      string `json:"gateway"`
	Enabled      bool   `json:"enabled"`
	ClientID     string `json:"client_id,omitempty"`    // paypal
	WebhookID    string `json:"webhook_id,omitempty"`   // paypal
	Mode         string `json:"mode,omitempty"`         // paypal: sandbox or live
	Instructions string `json:"instructions,omitempty"` // manual
}

// PaymentCredentialSet records one changed secret: its sealed value and
// the fingerprints of the old and new values, never the value itself.
// OldFingerprint is nil when no value was stored.
type PaymentCredentialSet struct {
	Gateway        string  `json:"gateway"`
	Field          string  `json:"field"`
	OldFingerprint *string `json:"old_fingerprint"`
	Fingerprint    string  `json:"fingerprint"`
	Sealed         string  `json:"sealed"`
}

// EventType returns the type stored in the log.
func (PaymentGatewayConfigured) EventType() string { return EventPaymentGatewayConfigured }

// EventType returns the type stored in the log.
func (PaymentCredentialSet) EventType() string { return EventPaymentCredentialSet }

// CredentialContext is the associated data a secret is sealed with, so a
// sealed value cannot be moved to another gateway or field.
func CredentialContext(gateway, field string) string {
	return "payments:" + gateway + ":" + field
}
