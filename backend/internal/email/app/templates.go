package app

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/smtp"
	"esimscan/backend/internal/orders/qr"
)

// qrSizePixels is the side of the QR code images in the eSIM email.
const qrSizePixels = 512

type esimEmailData struct {
	StoreName   string
	PackageName string
	OrderID     string
	ESIMs       []esimEmailItem
	Receipt     receiptData
	Demo        bool
}

// receiptData is the receipt part of the eSIM email. Paid is false for an
// order fulfilled without a recorded payment.
type receiptData struct {
	Quantity  int
	UnitPrice string
	Total     string
	Paid      bool
	Method    string
	Reference string
	PaidAt    string
}

// paymentMethods names the gateways as buyers know them.
var paymentMethods = map[string]string{
	"stripe": "Card (Stripe)",
	"paypal": "PayPal",
	"manual": "Bank transfer",
	"test":   "Test payment, no money taken",
}

func receiptOf(receipt domain.Receipt) receiptData {
	data := receiptData{
		Quantity:  receipt.Quantity,
		UnitPrice: receipt.UnitPrice.String(),
		Total:     receipt.Total.String(),
		Paid:      receipt.Gateway != "",
		Reference: receipt.PaymentReference,
	}
	if data.Paid {
		data.Method = paymentMethods[receipt.Gateway]
		if data.Method == "" {
			data.Method = receipt.Gateway
		}
		data.PaidAt = receipt.PaidAt.UTC().Format("2 January 2006 15:04 UTC")
	}
	return data
}

type esimEmailItem struct {
	Number         int
	Demo           bool
	ICCID          string
	LPA            string
	SMDPAddress    string
	ActivationCode string
	ContentID      string
}

var esimText = texttemplate.Must(texttemplate.New("esim").Parse(`Your eSIM from {{.StoreName}} is ready.
{{if .Demo}}
DEMO: these eSIMs were made up by a demonstration store. They work on no
network and nothing was bought from a provider.
{{end}}
Package: {{.PackageName}}
Order: {{.OrderID}}

Receipt
  {{.Receipt.Quantity}} x {{.PackageName}} at {{.Receipt.UnitPrice}}
  Total: {{.Receipt.Total}}
{{- if .Receipt.Paid}}
  Paid: {{.Receipt.PaidAt}} by {{.Receipt.Method}}{{if .Receipt.Reference}} (reference {{.Receipt.Reference}}){{end}}
{{- end}}
{{range .ESIMs}}
eSIM {{.Number}}{{if .Demo}} (demo){{end}} (ICCID {{.ICCID}})
  Activation string (LPA): {{.LPA}}
  SM-DP+ address: {{.SMDPAddress}}
  Activation code: {{.ActivationCode}}
  The QR code is attached as esim-{{.Number}}.png.
{{end}}
Install on an iPhone:
  1. Open Settings > Cellular (or Mobile Data) > Add eSIM.
  2. Choose "Use QR Code" and scan the QR code from another screen.
  3. Or choose "Enter Details Manually" and type the SM-DP+ address and activation code.

Install on Android:
  1. Open Settings > Network & internet (Connections on Samsung) > SIMs > Add eSIM.
  2. Scan the QR code.
  3. Or choose "Enter code" and paste the activation string (LPA).

Install the eSIM while you have Wi-Fi. A profile can usually be installed only once.
`))

var esimHTML = htmltemplate.Must(htmltemplate.New("esim").Parse(`<!doctype html>
<html><body style="font-family: sans-serif">
<p>Your eSIM from {{.StoreName}} is ready.</p>
{{if .Demo}}<p style="border: 2px solid #b45309; padding: 8px"><strong>DEMO:</strong> these eSIMs were made up by a demonstration store. They work on no network and nothing was bought from a provider.</p>
{{end}}<p>Package: {{.PackageName}}<br>Order: {{.OrderID}}</p>
<h3>Receipt</h3>
<table>
<tr><td>{{.Receipt.Quantity}} &times; {{.PackageName}}</td><td>{{.Receipt.UnitPrice}} each</td></tr>
<tr><td><strong>Total</strong></td><td><strong>{{.Receipt.Total}}</strong></td></tr>
{{if .Receipt.Paid}}<tr><td>Paid</td><td>{{.Receipt.PaidAt}} by {{.Receipt.Method}}{{if .Receipt.Reference}} (reference {{.Receipt.Reference}}){{end}}</td></tr>
{{end}}</table>
{{range .ESIMs}}
<h2>eSIM {{.Number}}{{if .Demo}} (demo){{end}}</h2>
<p><img src="cid:{{.ContentID}}" alt="QR code of eSIM {{.Number}}" width="256" height="256"></p>
<p>ICCID: {{.ICCID}}<br>
Activation string (LPA): <code>{{.LPA}}</code><br>
SM-DP+ address: <code>{{.SMDPAddress}}</code><br>
Activation code: <code>{{.ActivationCode}}</code></p>
{{end}}
<h3>Install on an iPhone</h3>
<ol><li>Open Settings &gt; Cellular (or Mobile Data) &gt; Add eSIM.</li>
<li>Choose "Use QR Code" and scan the QR code from another screen.</li>
<li>Or choose "Enter Details Manually" and type the SM-DP+ address and activation code.</li></ol>
<h3>Install on Android</h3>
<ol><li>Open Settings &gt; Network &amp; internet (Connections on Samsung) &gt; SIMs &gt; Add eSIM.</li>
<li>Scan the QR code.</li>
<li>Or choose "Enter code" and paste the activation string (LPA).</li></ol>
<p>Install the eSIM while you have Wi-Fi. A profile can usually be installed only once.</p>
</body></html>
`))

// esimMessage builds the eSIM email of an issued order, with each eSIM's
// QR code as an inline PNG.
func esimMessage(delivery domain.Delivery, storeName string) (smtp.Message, error) {
	data := esimEmailData{
		StoreName: storeName, PackageName: delivery.PackageName, OrderID: delivery.OrderID,
		Receipt: receiptOf(delivery.Receipt),
	}
	msg := smtp.Message{To: delivery.Email, Subject: fmt.Sprintf("Your eSIM from %s: %s", storeName, delivery.PackageName)}
	for i, esim := range delivery.ESIMs {
		item := esimEmailItem{
			Number:         i + 1,
			Demo:           esim.Demo,
			ICCID:          esim.ICCID,
			LPA:            esim.LPA,
			SMDPAddress:    esim.SMDPAddress,
			ActivationCode: esim.ActivationCode,
			ContentID:      fmt.Sprintf("esim-%d@esimscan", i+1),
		}
		image, err := qr.PNG(esim.LPA, qrSizePixels)
		if err != nil {
			return smtp.Message{}, fmt.Errorf("render QR code of eSIM %s: %w", esim.ICCID, err)
		}
		msg.Inline = append(msg.Inline, smtp.Inline{
			ContentID:   item.ContentID,
			Filename:    fmt.Sprintf("esim-%d.png", item.Number),
			ContentType: "image/png",
			Data:        image,
		})
		data.ESIMs = append(data.ESIMs, item)
		data.Demo = data.Demo || esim.Demo
	}
	if data.Demo {
		msg.Subject = "[DEMO] " + msg.Subject
	}
	var text, html bytes.Buffer
	if err := esimText.Execute(&text, data); err != nil {
		return smtp.Message{}, fmt.Errorf("render eSIM email text: %w", err)
	}
	if err := esimHTML.Execute(&html, data); err != nil {
		return smtp.Message{}, fmt.Errorf("render eSIM email html: %w", err)
	}
	msg.Text, msg.HTML = text.String(), html.String()
	return msg, nil
}

var topUpText = texttemplate.Must(texttemplate.New("topup").Parse(`The top-up you bought from {{.StoreName}} was added to your eSIM.

Package: {{.PackageName}}
eSIM: ICCID {{.ICCID}}
Added: {{.AppliedAt}}
Order: {{.OrderID}}

Receipt
  {{.Receipt.Quantity}} x {{.PackageName}} at {{.Receipt.UnitPrice}}
  Total: {{.Receipt.Total}}
{{- if .Receipt.Paid}}
  Paid: {{.Receipt.PaidAt}} by {{.Receipt.Method}}{{if .Receipt.Reference}} (reference {{.Receipt.Reference}}){{end}}
{{- end}}

Nothing needs to be installed: the data is on the eSIM you already use.
`))

// topUpMessage builds the confirmation email of an applied top-up order,
// with its receipt.
func topUpMessage(delivery domain.Delivery, storeName string) smtp.Message {
	data := struct {
		StoreName, PackageName, ICCID, AppliedAt, OrderID string
		Receipt                                           receiptData
	}{
		StoreName: storeName, PackageName: delivery.PackageName, ICCID: delivery.TopUp.ICCID,
		AppliedAt: delivery.TopUp.AppliedAt.UTC().Format("2 January 2006 15:04 UTC"), OrderID: delivery.OrderID,
		Receipt: receiptOf(delivery.Receipt),
	}
	var text bytes.Buffer
	// The template has no failing actions: its fields are strings and
	// receiptData, so Execute only fails on a write to the buffer.
	_ = topUpText.Execute(&text, data)
	return smtp.Message{
		To:      delivery.Email,
		Subject: fmt.Sprintf("Your top-up from %s: %s", storeName, delivery.PackageName),
		Text:    text.String(),
	}
}

func testMessage(to, storeName string) smtp.Message {
	return smtp.Message{
		To:      to,
		Subject: "Test email from " + strings.TrimSpace(storeName),
		Text:    "This test email shows that " + storeName + " can send email with the saved SMTP settings.\n",
	}
}
