package smtp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEncode_rejectsHeaderInjection(t *testing.T) {
	cases := map[string]Message{
		"subject": {From: "shop@example.com", To: "a@example.com", Subject: "Hi\r\nBcc: x@example.com"},
		"to":      {From: "shop@example.com", To: "a@example.com\r\nBcc: x@example.com"},
		"from":    {From: "not an address", To: "a@example.com"},
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Encode(msg, time.Now()); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("error = %v, want ErrInvalidMessage", err)
			}
		})
	}
}

func TestEncode_inlineImage(t *testing.T) {
	encoded, err := Encode(Message{
		From: "Shop <shop@example.com>", To: "a@example.com", Subject: "Your eSIM",
		Text: "hello", HTML: `<img src="cid:qr@x">`,
		Inline: []Inline{{ContentID: "qr@x", Filename: "qr.png", ContentType: "image/png", Data: []byte{1, 2, 3}}},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data := string(encoded.Data)
	for _, want := range []string{"multipart/related", "<qr@x>", "inline; filename=\"qr.png\"", "AQID"} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	if encoded.From != "shop@example.com" || encoded.To != "a@example.com" {
		t.Errorf("envelope = %s -> %s", encoded.From, encoded.To)
	}
}
