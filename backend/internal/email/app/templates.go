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
}

type esimEmailItem struct {
	Number         int
	ICCID          string
	LPA            string
	SMDPAddress    string
	ActivationCode string
	ContentID      string
}

var esimText = texttemplate.Must(texttemplate.New("esim").Parse(`Your eSIM from {{.StoreName}} is ready.

Package: {{.PackageName}}
Order: {{.OrderID}}
{{range .ESIMs}}
eSIM {{.Number}} (ICCID {{.ICCID}})
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
<p>Package: {{.PackageName}}<br>Order: {{.OrderID}}</p>
{{range .ESIMs}}
<h2>eSIM {{.Number}}</h2>
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
	data := esimEmailData{StoreName: storeName, PackageName: delivery.PackageName, OrderID: delivery.OrderID}
	msg := smtp.Message{To: delivery.Email, Subject: fmt.Sprintf("Your eSIM from %s: %s", storeName, delivery.PackageName)}
	for i, esim := range delivery.ESIMs {
		item := esimEmailItem{
			Number:         i + 1,
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

func testMessage(to, storeName string) smtp.Message {
	return smtp.Message{
		To:      to,
		Subject: "Test email from " + strings.TrimSpace(storeName),
		Text:    "This test email shows that " + storeName + " can send email with the saved SMTP settings.\n",
	}
}
