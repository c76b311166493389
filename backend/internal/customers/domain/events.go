package domain

import "time"

// Event types as stored in the log.
const (
	EventLookupKeyIssued         = "CustomerLookupKeyIssued"
	EventCustomerKeyIssued       = "CustomerKeyIssued"
	EventCustomerErased          = "CustomerErased"
	EventCustomerEmailReserved   = "CustomerEmailReserved"
	EventCustomerRegistered      = "CustomerRegistered"
	EventVerificationTokenIssued = "VerificationTokenIssued"
	EventCustomerVerified        = "CustomerVerified"
	EventPasswordResetRequested  = "PasswordResetRequested"
	EventCustomerPasswordReset   = "CustomerPasswordReset"
	EventCustomerOrderLinked     = "CustomerOrderLinked"
)

// Streams.
const LookupKeyStream = "customers-lookup-key"

// CustomerStream returns the stream of one customer's account.
func CustomerStream(customerID string) string { return "customer-" + customerID }

// KeyStream returns the stream of one customer's data key.
func KeyStream(customerID string) string { return "customer-key-" + customerID }

// EmailStream returns the stream reserving the email whose keyed hash is
// emailHash.
func EmailStream(emailHash string) string { return "customeremail-" + emailHash }

// CustomerLookupKeyIssued stores the HMAC key of email lookups, sealed
// with the APP_KEY keyring.
type CustomerLookupKeyIssued struct {
	SealedKey string    `json:"sealed_key"`
	IssuedAt  time.Time `json:"issued_at"`
}

// CustomerKeyIssued stores a customer's 32-byte data key, sealed with the
// APP_KEY keyring.
type CustomerKeyIssued struct {
	CustomerID string    `json:"customer_id"`
	SealedKey  string    `json:"sealed_key"`
	IssuedAt   time.Time `json:"issued_at"`
}

// CustomerErased deletes a customer's data key: from then on the
// customer's sealed personal data reads as erased everywhere.
type CustomerErased struct {
	CustomerID string    `json:"customer_id"`
	ErasedAt   time.Time `json:"erased_at"`
}

// CustomerEmailReserved claims an email for one customer. EmailHash is
// the keyed hash that names the stream. A stream holds a second
// reservation only after the customer of the first was erased, and the
// latest reservation names the email's customer.
type CustomerEmailReserved struct {
	CustomerID string `json:"customer_id"`
	EmailHash  string `json:"email_hash"`
}

// CustomerRegistered opens an account. EmailSealed is the normalized
// email sealed with the customer's data key; PasswordHash is an argon2id
// PHC string.
type CustomerRegistered struct {
	CustomerID   string    `json:"customer_id"`
	EmailSealed  string    `json:"email_sealed"`
	EmailHash    string    `json:"email_hash"`
	PasswordHash string    `json:"password_hash"`
	RegisteredAt time.Time `json:"registered_at"`
}

// VerificationTokenIssued records the hash of an email verification
// token, valid until ExpiresAt and once.
type VerificationTokenIssued struct {
	CustomerID string    `json:"customer_id"`
	TokenHash  string    `json:"token_hash"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// CustomerVerified records that the customer proved the email address
// with the verification token of TokenHash, which is used up.
type CustomerVerified struct {
	CustomerID string    `json:"customer_id"`
	TokenHash  string    `json:"token_hash"`
	VerifiedAt time.Time `json:"verified_at"`
}

// PasswordResetRequested records the hash of a password reset token,
// valid until ExpiresAt and once.
type PasswordResetRequested struct {
	CustomerID  string    `json:"customer_id"`
	TokenHash   string    `json:"token_hash"`
	ExpiresAt   time.Time `json:"expires_at"`
	RequestedAt time.Time `json:"requested_at"`
}

// CustomerPasswordReset sets a new password with the reset token of
// TokenHash, which is used up together with every other reset token.
type CustomerPasswordReset struct {
	CustomerID   string    `json:"customer_id"`
	TokenHash    string    `json:"token_hash"`
	PasswordHash string    `json:"password_hash"`
	ResetAt      time.Time `json:"reset_at"`
}

// CustomerOrderLinked makes an order placed while signed in part of the
// customer's account.
type CustomerOrderLinked struct {
	CustomerID string    `json:"customer_id"`
	OrderID    string    `json:"order_id"`
	LinkedAt   time.Time `json:"linked_at"`
}

// EventType returns the type stored in the log.
func (CustomerLookupKeyIssued) EventType() string { return EventLookupKeyIssued }

// EventType returns the type stored in the log.
func (CustomerKeyIssued) EventType() string { return EventCustomerKeyIssued }

// EventType returns the type stored in the log.
func (CustomerErased) EventType() string { return EventCustomerErased }

// EventType returns the type stored in the log.
func (CustomerEmailReserved) EventType() string { return EventCustomerEmailReserved }

// EventType returns the type stored in the log.
func (CustomerRegistered) EventType() string { return EventCustomerRegistered }

// EventType returns the type stored in the log.
func (VerificationTokenIssued) EventType() string { return EventVerificationTokenIssued }

// EventType returns the type stored in the log.
func (CustomerVerified) EventType() string { return EventCustomerVerified }

// EventType returns the type stored in the log.
func (PasswordResetRequested) EventType() string { return EventPasswordResetRequested }

// EventType returns the type stored in the log.
func (CustomerPasswordReset) EventType() string { return EventCustomerPasswordReset }

// EventType returns the type stored in the log.
func (CustomerOrderLinked) EventType() string { return EventCustomerOrderLinked }
