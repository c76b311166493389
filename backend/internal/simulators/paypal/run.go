package paypal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Running is a Server listening on loopback, for tests.
type Running struct {
	*Server
	// URL is the API base to configure (PAYPAL_API_BASE), such as
	// "http://127.0.0.1:41234".
	URL    string
	server *http.Server
}

// Close stops the listener and closes open connections.
func (r *Running) Close() {
	_ = r.server.Close()
}

// Start serves a new Server on a free port of 127.0.0.1.
func Start(opts Options) (*Running, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	sim := New(opts)
	server := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	root := "http://" + listener.Addr().String()
	return &Running{Server: sim, URL: root, server: server}, nil
}

// ListenAndServe serves a new Server on addr until ctx ends, then shuts
// down within five seconds. An addr without a host, such as ":9090",
// listens on 127.0.0.1 only.
func ListenAndServe(ctx context.Context, addr string, opts Options) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parse simulator address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	server := &http.Server{Handler: New(opts), ReadHeaderTimeout: 10 * time.Second}
	opts.Logger.Info().Str("addr", listener.Addr().String()).Msg("paypal simulator listening")

	done := make(chan error, 1)
	go func() { done <- server.Serve(listener) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve paypal simulator: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down paypal simulator: %w", err)
	}
	return nil
}
