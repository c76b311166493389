package app_test

import (
	"context"
	"strings"
	"testing"

	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/mailpittest"
	"esimscan/backend/internal/platform/apperr"
)

func TestConfigureSMTP_passwordWriteOnly(t *testing.T) {
	f := newFixture(t, 0)
	f.configure(t, 2525)
	ctx := context.Background()
	_, err := f.service.ConfigureSMTP(ctx, emailapp.ConfigureSMTP{
		Host: "mail.example.com", Port: 587, Username: "shop", From: "shop@example.com", Security: "starttls",
	})
	if err != nil {
		t.Fatal(err)
	}
	view, err := f.service.SMTPSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if view.Password != "set" || view.Host != "mail.example.com" {
		t.Errorf("view = %+v, want the new host and the kept password", view)
	}
	events, err := f.store.ReadStream(ctx, domain.SettingsStream, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range events {
		if strings.Contains(string(event.Data), "smtp-secret-1") {
			t.Errorf("%s contains the password in plain text", event.Type)
		}
	}
	if !strings.Contains(string(events[0].Data), f.keys.Fingerprint("smtp-secret-1")) {
		t.Error("first event lacks the password fingerprint for the audit")
	}
}

func TestConfigureSMTP_rejectsBadFields(t *testing.T) {
	f := newFixture(t, 0)
	valid := emailapp.ConfigureSMTP{Host: "mail.example.com", Port: 587, From: "shop@example.com", Security: "tls"}
	cases := map[string]func(*emailapp.ConfigureSMTP){
		"host":     func(c *emailapp.ConfigureSMTP) { c.Host = "smtp://mail.example.com" },
		"port":     func(c *emailapp.ConfigureSMTP) { c.Port = 70000 },
		"from":     func(c *emailapp.ConfigureSMTP) { c.From = "not an address" },
		"security": func(c *emailapp.ConfigureSMTP) { c.Security = "ssl" },
	}
	for field, change := range cases {
		t.Run(field, func(t *testing.T) {
			cmd := valid
			change(&cmd)
			_, err := f.service.ConfigureSMTP(context.Background(), cmd)
			if appErr, ok := apperr.As(err); !ok || appErr.Field != field {
				t.Errorf("error = %v, want one naming field %s", err, field)
			}
		})
	}
	if _, err := f.store.ReadStream(context.Background(), domain.SettingsStream, 0); err == nil {
		t.Error("rejected settings appended events")
	}
}

func TestTestSMTP(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 0)
	ctx := context.Background()
	result, err := f.service.TestSMTP(ctx, "admin@example.com")
	if err != nil || result.OK {
		t.Errorf("unconfigured: result %+v, error %v, want not ok", result, err)
	}
	f.configure(t, mailpit.Port)
	result, err = f.service.TestSMTP(ctx, "admin@example.com")
	if err != nil || !result.OK {
		t.Fatalf("result %+v, error %v, want ok", result, err)
	}
	mailpit.WaitForMessages(t, "admin@example.com", 1, waitTimeout)
}
