// Package domain holds the email context: the store's SMTP settings and
// the delivery of each issued order's eSIM email.
//
// The stream "settings-smtp" contains SMTPSettingsConfigured events; the
// last one is in force. Delivery events live on the order's own stream
// "order-<id>", so that the order's history lists them: EmailSent and
// EmailFailed record each attempt, and EmailResendRequested asks for one
// more email. An order needs an email after ESIMIssued and after every
// EmailResendRequested, until an EmailSent follows.
package domain
