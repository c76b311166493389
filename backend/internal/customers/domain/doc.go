// Package domain holds the customers context: storefront accounts with
// verified email, password reset, order ownership and erasure.
//
// Each customer has three streams. "customer-key-<id>" contains
// CustomerKeyIssued, the customer's data key sealed with the APP_KEY
// keyring, and at most one CustomerErased, after which readers treat the
// key as deleted. "customer-<id>" contains CustomerRegistered, whose email
// is sealed with the data key, then VerificationTokenIssued,
// CustomerVerified, PasswordResetRequested, CustomerPasswordReset and
// CustomerOrderLinked. "customeremail-<hash>" contains
// CustomerEmailReserved, which claims a normalized email for one customer,
// and one more for each account opened with the email after the previous
// customer was erased; the latest names the email's customer.
// The hash is an HMAC of the email under the store's lookup key, kept sealed
// in the "customers-lookup-key" stream. Tokens are stored as SHA-256
// hashes only.
package domain
