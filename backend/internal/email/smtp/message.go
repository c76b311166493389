// Package smtp sends email through an SMTP server: it builds MIME messages
// with inline images and speaks SMTP with or without TLS.
package smtp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// ErrInvalidMessage reports a message that cannot be sent as given, such
// as an address that does not parse or a header with a line break.
var ErrInvalidMessage = errors.New("invalid email message")

// Inline is an image shown in the HTML body through "cid:" + ContentID.
type Inline struct {
	ContentID   string
	Filename    string
	ContentType string
	Data        []byte
}

// Message is one email to one recipient. HTML is optional; Inline images
// need it.
type Message struct {
	From    string
	To      string
	Subject string
	Text    string
	HTML    string
	Inline  []Inline
}

// Encoded is a message ready for the DATA command.
type Encoded struct {
	From      string // envelope sender, the bare address
	To        string // envelope recipient, the bare address
	MessageID string
	Data      []byte
}

// Encode builds the MIME document of msg: multipart/related around a
// multipart/alternative text and HTML body, then each inline image.
func Encode(msg Message, now time.Time) (Encoded, error) {
	from, err := mail.ParseAddress(msg.From)
	if err != nil {
		return Encoded{}, fmt.Errorf("%w: from address %q: %w", ErrInvalidMessage, msg.From, err)
	}
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return Encoded{}, fmt.Errorf("%w: to address: %w", ErrInvalidMessage, err)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return Encoded{}, fmt.Errorf("%w: subject contains a line break", ErrInvalidMessage)
	}
	messageID := newMessageID(from.Address)

	var body bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&body, "%s: %s\r\n", name, value) }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	header("Date", now.UTC().Format(time.RFC1123Z))
	header("Message-ID", messageID)
	header("MIME-Version", "1.0")

	related := multipart.NewWriter(&body)
	header("Content-Type", `multipart/related; type="multipart/alternative"; boundary="`+related.Boundary()+`"`)
	body.WriteString("\r\n")
	if err := writeAlternative(related, msg); err != nil {
		return Encoded{}, err
	}
	for _, image := range msg.Inline {
		if err := writeInline(related, image); err != nil {
			return Encoded{}, err
		}
	}
	if err := related.Close(); err != nil {
		return Encoded{}, fmt.Errorf("close multipart body: %w", err)
	}
	return Encoded{From: from.Address, To: to.Address, MessageID: messageID, Data: body.Bytes()}, nil
}

func writeAlternative(related *multipart.Writer, msg Message) error {
	var inner bytes.Buffer
	alternative := multipart.NewWriter(&inner)
	if err := writeText(alternative, "text/plain; charset=utf-8", msg.Text); err != nil {
		return err
	}
	if msg.HTML != "" {
		if err := writeText(alternative, "text/html; charset=utf-8", msg.HTML); err != nil {
			return err
		}
	}
	if err := alternative.Close(); err != nil {
		return fmt.Errorf("close alternative part: %w", err)
	}
	part, err := related.CreatePart(textproto.MIMEHeader{
		"Content-Type": {`multipart/alternative; boundary="` + alternative.Boundary() + `"`},
	})
	if err != nil {
		return fmt.Errorf("create alternative part: %w", err)
	}
	_, err = part.Write(inner.Bytes())
	return err
}

func writeText(writer *multipart.Writer, contentType, text string) error {
	part, err := writer.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {contentType},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return fmt.Errorf("create %s part: %w", contentType, err)
	}
	encoder := quotedprintable.NewWriter(part)
	if _, err := encoder.Write([]byte(text)); err != nil {
		return fmt.Errorf("encode %s part: %w", contentType, err)
	}
	return encoder.Close()
}

func writeInline(writer *multipart.Writer, image Inline) error {
	if strings.ContainsAny(image.ContentID+image.Filename+image.ContentType, "\r\n\"<>") {
		return fmt.Errorf("%w: inline image %q has a header with a forbidden character", ErrInvalidMessage, image.Filename)
	}
	part, err := writer.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {image.ContentType + `; name="` + image.Filename + `"`},
		"Content-Transfer-Encoding": {"base64"},
		"Content-ID":                {"<" + image.ContentID + ">"},
		"Content-Disposition":       {`inline; filename="` + image.Filename + `"`},
	})
	if err != nil {
		return fmt.Errorf("create inline part %s: %w", image.Filename, err)
	}
	encoded := base64.StdEncoding.EncodeToString(image.Data)
	// RFC 2045 limits encoded lines to 76 characters.
	for len(encoded) > 76 {
		if _, err := fmt.Fprintf(part, "%s\r\n", encoded[:76]); err != nil {
			return err
		}
		encoded = encoded[76:]
	}
	_, err = fmt.Fprintf(part, "%s\r\n", encoded)
	return err
}

func newMessageID(from string) string {
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	domain := "esimscan.local"
	if at := strings.LastIndex(from, "@"); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return "<" + hex.EncodeToString(raw) + "@" + domain + ">"
}
