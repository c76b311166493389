package domain

import "time"

// Event types as stored in the log. The public API fixes EmailSent and
// EmailFailed.
const (
	EventSMTPSettingsConfigured = "SMTPSettingsConfigured"
	EventEmailSent              = "EmailSent"
	EventEmailFailed            = "EmailFailed"
	EventEmailResendRequested   = "EmailResendRequested"
)

// SettingsStream is the stream of the store's SMTP settings.
const SettingsStream = "settings-smtp"

// OrderStream returns the stream of one order, which delivery events join.
func OrderStream(orderID string) string { return "order-" + orderID }

// Kinds of order email.
const (
	// KindESIMDelivery names the email that delivers an order's eSIMs.
	KindESIMDelivery = "esim_delivery"
	// KindRefundNotice names the email that tells the buyer of a refund.
	KindRefundNotice = "refund_notice"
)

// SMTPSettingsConfigured sets the SMTP server that sends the store's email.
// PasswordSealed is the password sealed with the APP_KEY keyring, and
// PasswordFingerprint distinguishes values in the audit without revealing
// them. Both are empty when no password is set. PasswordChanged is true
// when this event set a new password rather than keeping the stored one.
type SMTPSettingsConfigured struct {
	Host                string    `json:"host"`
	Port                int       `json:"port"`
	Username            string    `json:"username"`
	PasswordSealed      string    `json:"password_sealed,omitempty"`
	PasswordFingerprint string    `json:"password_fingerprint,omitempty"`
	PasswordChanged     bool      `json:"password_changed"`
	From                string    `json:"from"`
	Security            string    `json:"security"`
	ConfiguredAt        time.Time `json:"configured_at"`
}

// EmailSent records that the SMTP server accepted an order's email.
// MessageID is the Message-ID header of the email. The recipient's address
// is not repeated here.
type EmailSent struct {
	OrderID         string    `json:"order_id"`
	Kind            string    `json:"kind"`
	RefundReference string    `json:"refund_reference,omitempty"` // set for a refund notice
	MessageID       string    `json:"message_id"`
	Attempt         int       `json:"attempt"`
	SentAt          time.Time `json:"sent_at"`
}

// EmailFailed records a failed attempt to send an order's email. RetryAt
// is when the next attempt is due, nil when no more attempts follow
// until the next start or a resend.
type EmailFailed struct {
	OrderID         string     `json:"order_id"`
	Kind            string     `json:"kind"`
	RefundReference string     `json:"refund_reference,omitempty"` // set for a refund notice
	Attempt         int        `json:"attempt"`
	Message         string     `json:"message"`
	RetryAt         *time.Time `json:"retry_at"`
	FailedAt        time.Time  `json:"failed_at"`
}

// EmailResendRequested is a request to send the order's eSIM email once more.
type EmailResendRequested struct {
	OrderID     string    `json:"order_id"`
	RequestedAt time.Time `json:"requested_at"`
}

// EventType returns the type stored in the log.
func (SMTPSettingsConfigured) EventType() string { return EventSMTPSettingsConfigured }

// EventType returns the type stored in the log.
func (EmailSent) EventType() string { return EventEmailSent }

// EventType returns the type stored in the log.
func (EmailFailed) EventType() string { return EventEmailFailed }

// EventType returns the type stored in the log.
func (EmailResendRequested) EventType() string { return EventEmailResendRequested }
