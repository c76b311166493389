package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netsmtp "net/smtp"
	"strconv"
	"time"
)

// Security modes, as in the settings.
const (
	SecurityNone     = "none"
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
)

// DefaultTimeout bounds one whole SMTP conversation when Sender.Timeout is
// zero.
const DefaultTimeout = 30 * time.Second

// Server is the SMTP server to send through and how to connect to it. Password is the plaintext password,
// held only for the conversation.
type Server struct {
	Host     string
	Port     int
	Username string
	Password string
	Security string
}

// ErrStartTLSUnsupported reports a server that does not offer STARTTLS
// while the settings require it.
var ErrStartTLSUnsupported = errors.New("the SMTP server does not offer STARTTLS")

// Sender speaks SMTP. TLSConfig, when set, is cloned for each connection
// with ServerName set to the host; tests use it to trust their own
// certificate. Sender is safe for concurrent use.
type Sender struct {
	Timeout   time.Duration
	TLSConfig *tls.Config
}

// Send delivers msg through server in one conversation: connect, optional
// TLS, optional PLAIN authentication, MAIL, RCPT, DATA, QUIT. net/smtp
// refuses PLAIN authentication over an unencrypted connection unless the
// host is localhost or a loopback address.
func (s Sender) Send(ctx context.Context, server Server, msg Encoded) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := s.dial(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("set smtp deadline: %w", err)
	}
	client, err := netsmtp.NewClient(conn, server.Host)
	if err != nil {
		return fmt.Errorf("greet smtp server: %w", err)
	}
	defer client.Close()
	if err := s.converse(client, server, msg); err != nil {
		return err
	}
	return nil
}

func (s Sender) dial(ctx context.Context, server Server) (net.Conn, error) {
	address := net.JoinHostPort(server.Host, strconv.Itoa(server.Port))
	if server.Security == SecurityTLS {
		dialer := tls.Dialer{Config: s.tlsConfig(server.Host)}
		conn, err := dialer.DialContext(ctx, "tcp", address)
		if err != nil {
			return nil, fmt.Errorf("connect to smtp server %s with tls: %w", address, err)
		}
		return conn, nil
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("connect to smtp server %s: %w", address, err)
	}
	return conn, nil
}

func (s Sender) converse(client *netsmtp.Client, server Server, msg Encoded) error {
	if server.Security == SecurityStartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return ErrStartTLSUnsupported
		}
		if err := client.StartTLS(s.tlsConfig(server.Host)); err != nil {
			return fmt.Errorf("start tls: %w", err)
		}
	}
	if server.Username != "" {
		if err := client.Auth(netsmtp.PlainAuth("", server.Username, server.Password, server.Host)); err != nil {
			return fmt.Errorf("authenticate as %s: %w", server.Username, err)
		}
	}
	if err := client.Mail(msg.From); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := client.Rcpt(msg.To); err != nil {
		return fmt.Errorf("smtp rcpt to: %w", err)
	}
	writer, err := client.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := writer.Write(msg.Data); err != nil {
		return fmt.Errorf("write smtp data: %w", err)
	}
	if err := writer.Close(); err != nil {
		return fmt.Errorf("finish smtp data: %w", err)
	}
	// The server accepted the message with the reply to DATA; a failed QUIT
	// does not undo that.
	_ = client.Quit()
	return nil
}

func (s Sender) tlsConfig(host string) *tls.Config {
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		config = s.TLSConfig.Clone()
	}
	config.ServerName = host
	return config
}
