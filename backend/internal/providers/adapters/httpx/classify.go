package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"esimscan/backend/internal/providers/adapters"
)

// ClassifyTransport turns an error from http.Client.Do into an
// *adapters.Error: a deadline becomes CauseTimeout, and a DNS failure, a
// refused connection or a TLS failure CauseUnreachable. label names the
// call ("POST /api/v1/open/balance/query") and timeout is its deadline.
// The URL is dropped from the wrapped error, because a URL may carry a
// secret in its query.
func ClassifyTransport(err error, label string, timeout time.Duration) *adapters.Error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	cause, message := classify(err, timeout)
	return &adapters.Error{Cause: cause, Message: message + " (" + label + ")", Err: err}
}

func classify(err error, timeout time.Duration) (adapters.Cause, string) {
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return adapters.CauseTimeout, "call cancelled before the provider responded"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return adapters.CauseTimeout, fmt.Sprintf("no response within %s", timeout)
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return adapters.CauseUnreachable, "cannot resolve host " + dnsErr.Name + ": check the base URL"
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return adapters.CauseUnreachable, "connection refused: check the base URL and that the provider is reachable"
	}
	if isTLSError(err) {
		return adapters.CauseUnreachable, "TLS handshake failed: check the base URL and the server certificate"
	}
	return adapters.CauseUnreachable, "connection failed: check the base URL and the network"
}

func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
		recordHeader     tls.RecordHeaderError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification) ||
		errors.As(err, &recordHeader)
}

// BodyError classifies a failure while reading or decoding the body of
// resp: CauseTimeout when the call's deadline passed, CauseBadResponse
// otherwise. what names the body, as in "package list".
func BodyError(resp *http.Response, what string, err error) *adapters.Error {
	label := Label(resp.Request)
	if ctxErr := resp.Request.Context().Err(); ctxErr != nil {
		return &adapters.Error{
			Cause:   adapters.CauseTimeout,
			Message: "deadline passed while reading the " + what + " (" + label + ")",
			Err:     ctxErr,
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &adapters.Error{
			Cause:   adapters.CauseTimeout,
			Message: "deadline passed while reading the " + what + " (" + label + ")",
			Err:     err,
		}
	}
	return &adapters.Error{
		Cause:   adapters.CauseBadResponse,
		Message: "unreadable " + what + " (" + label + ")",
		Err:     err,
	}
}

// Label names a request in messages and logs by method and path, never by
// the full URL.
func Label(req *http.Request) string {
	return req.Method + " " + req.URL.Path
}
