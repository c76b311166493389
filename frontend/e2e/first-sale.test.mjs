// The first sale, end to end through the UI in a real Chromium. An admin
// installs the store, signs in, connects eSIM Access with the sandbox
// settings, then tests, syncs and enables it. A customer then buys a package,
// pays with the test gateway and gets the eSIM with its QR image, and opens
// its top-ups, which a store of stub eSIMs cannot sell. The admin
// then opens the order, turns on bank transfer and sees a second customer get
// its instructions at checkout, marks that order paid, opens the customers
// list, the catalog and the projections, and signs out. The
// store at ESIMSCAN_E2E_URL must run with ESIMSCAN_TEST_PAYMENTS=1 and the
// sandbox on.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { openBrowser } from "./browser.mjs";

const BASE_URL = process.env.ESIMSCAN_E2E_URL?.replace(/\/+$/, "");
const SHOTS = fileURLToPath(new URL("../test-results/", import.meta.url));
// An installed store keeps its first admin, so set these to sign in to it.
const ADMIN_EMAIL = process.env.ESIMSCAN_E2E_ADMIN_EMAIL || "owner@store.example";
const ADMIN_PASSWORD = process.env.ESIMSCAN_E2E_ADMIN_PASSWORD || "e2e-password-123";
const STEP_TIMEOUT_MS = 30_000;

const skip = BASE_URL ? false : "ESIMSCAN_E2E_URL is not set: start a store (or npm run e2e:mock) and set it to the store's URL";

test("first sale through the storefront and admin", { skip, timeout: 240_000 }, async (t) => {
  await mkdir(SHOTS, { recursive: true });
  const browser = await openBrowser(BASE_URL);
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  let installedHere = false;

  await t.test("installs the store or signs in", async () => {
    await page.goto(`${BASE_URL}/admin`);
    const installer = page.getByRole("heading", { name: "Set up your store" });
    const login = page.getByRole("heading", { name: "Admin sign in" });
    await installer.or(login).first().waitFor();
    if (await installer.isVisible()) {
      await page.getByLabel("Store name").fill("Wanderdata");
      await page.getByLabel("Admin email").fill(ADMIN_EMAIL);
      await page.getByLabel("Admin password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Install store" }).click();
      await login.waitFor();
      installedHere = true;
    }
    await page.getByLabel("Email").fill(ADMIN_EMAIL);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Providers" }).waitFor();
    await page.getByText(`Signed in as ${ADMIN_EMAIL}`).waitFor();
    if (installedHere) {
      await page.getByRole("link", { name: "Wanderdata" }).waitFor();
      assert.equal(await page.title(), "Wanderdata");
    }
  });

  await t.test("keeps the admin signed in in a new tab", async () => {
    const tab = await browser.context.newPage();
    tab.setDefaultTimeout(STEP_TIMEOUT_MS);
    tab.on("pageerror", (err) => pageErrors.push(err.message));
    await tab.goto(`${BASE_URL}/admin/projections`);
    await tab.getByRole("heading", { name: "Projections" }).waitFor();
    await tab.getByText(`Signed in as ${ADMIN_EMAIL}`).waitFor();
    await tab.close();
  });

  await t.test("connects eSIM Access with the sandbox settings", async () => {
    await page.getByRole("link", { name: "eSIM Access" }).click();
    await page.getByRole("button", { name: "Use sandbox settings" }).waitFor();
    const unsaved = page.getByText("Save the settings first: Test and Sync use the saved settings.");
    if (await unsaved.isVisible()) {
      assert.ok(await page.getByRole("button", { name: "Test", exact: true }).isDisabled(), "Test waits for a save");
      assert.ok(await page.getByRole("button", { name: "Sync", exact: true }).isDisabled(), "Sync waits for a save");
      assert.ok(await page.getByRole("button", { name: "Enable", exact: true }).isDisabled(), "Enable waits for a test");
      await page.screenshot({ path: `${SHOTS}00-admin-provider-unsaved.png`, fullPage: true });
    }
    await page.getByRole("button", { name: "Use sandbox settings" }).click();
    assert.match(await page.getByLabel("Base URL").inputValue(), /^https?:\/\//);
    assert.notEqual(await page.getByLabel("Margin (%)").inputValue(), "", "the sandbox fills a blank margin");
    assert.notEqual(await page.getByLabel("Sync interval (minutes)").inputValue(), "");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    assert.equal(await page.getByLabel("Secret key").inputValue(), "", "secrets are never prefilled");

    await page.getByRole("button", { name: "Test", exact: true }).click();
    await page.getByText(/Connection works\. Balance:/).waitFor();

    await page.getByRole("button", { name: "Sync", exact: true }).click();
    await page.getByText(/Sync completed: \d+ seen/).waitFor({ timeout: 120_000 });

    const enable = page.getByRole("button", { name: "Enable", exact: true });
    if (await enable.isVisible()) {
      await enable.click();
    }
    await page.getByRole("button", { name: "Disable", exact: true }).waitFor();
    await page.screenshot({ path: `${SHOTS}01-admin-provider.png`, fullPage: true });
  });

  let orderUrl = "";
  const shopConsoleErrors = [];
  await t.test("buys a package as a customer", async () => {
    const shop = await browser.context.newPage();
    shop.setDefaultTimeout(STEP_TIMEOUT_MS);
    shop.on("pageerror", (err) => pageErrors.push(err.message));
    shop.on("console", (message) => message.type() === "error" && shopConsoleErrors.push(message.text()));
    await shop.goto(`${BASE_URL}/`);
    await shop.getByRole("heading", { name: "Countries" }).waitFor();
    const footer = await shop.getByRole("contentinfo").innerText();
    assert.doesNotMatch(footer, /email/i, "the footer promises no email");
    await shop.screenshot({ path: `${SHOTS}02-storefront.png`, fullPage: true });

    const firstTile = shop.locator(".tile").first();
    const promised = Number((await firstTile.locator(".tile__meta").innerText()).match(/(\d+) package/)[1]);
    await firstTile.click();
    await shop.getByRole("heading", { name: /^eSIM plans for / }).waitFor();
    await shop.getByRole("button", { name: /^Buy / }).first().waitFor();
    assert.equal(await shop.locator("li.package").count(), promised, "the list shows as many packages as the home page counts");
    await shop.getByRole("button", { name: /^Buy / }).first().click();
    await shop.getByLabel("Email for your eSIM").fill(`traveller-${Date.now()}@example.com`);
    await shop.screenshot({ path: `${SHOTS}02b-packages.png`, fullPage: true });
    await shop.getByRole("button", { name: /^Continue to payment/ }).click();
    await shop.waitForURL(/\/orders\/[^/]+#token=.+/);
    orderUrl = shop.url();
    await shop.getByText("Awaiting payment").waitFor();
    await shop.getByRole("heading", { name: "Save your private order link" }).waitFor();
    await shop.getByRole("button", { name: "Copy private order link" }).waitFor();
    await shop.screenshot({ path: `${SHOTS}03-order-pending.png`, fullPage: true });

    await shop.getByRole("button", { name: "Pay with test gateway" }).click();
    await shop.getByRole("heading", { name: "Install your eSIM" }).waitFor({ timeout: 120_000 });
    const qr = shop.getByRole("img", { name: /QR code to install eSIM 1/ });
    await qr.waitFor();
    await shop.waitForFunction(
      () => {
        const img = document.querySelector("img.esim__qr");
        return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
      },
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
    assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 0, "QR image loaded");
    assert.match(await shop.getByText(/^LPA:1\$/).first().innerText(), /^LPA:1\$/);
    await shop.screenshot({ path: `${SHOTS}04-order-issued.png`, fullPage: true });
    await shop.close();
  });

  await t.test("reopens the private link in a fresh page", async () => {
    assert.ok(orderUrl, "an order was placed");
    const again = await browser.context.newPage();
    await again.goto(orderUrl);
    await again.setViewportSize({ width: 390, height: 844 });
    await again.getByText("Ready to install").waitFor();
    await again.screenshot({ path: `${SHOTS}05-order-phone.png`, fullPage: true });
    await again.close();
  });

  await t.test("offers top-ups for the issued eSIM", async () => {
    assert.ok(orderUrl, "an order was placed");
    const orderId = new URL(orderUrl).pathname.split("/").at(-1);
    const topUpPage = await browser.context.newPage();
    topUpPage.setDefaultTimeout(STEP_TIMEOUT_MS);
    topUpPage.on("pageerror", (err) => pageErrors.push(err.message));
    await topUpPage.goto(orderUrl);
    await topUpPage.getByText("Ready to install").waitFor();
    const section = topUpPage.getByRole("region", { name: "Top up" }).first();
    await section.getByRole("button", { name: "Show top-up packages" }).click();

    // The stub driver's demo eSIMs are unknown to any provider, so the store
    // returns 409 topup_not_supported for them. The mock server offers
    // made-up top-ups.
    const unsupported = section.getByText("This eSIM cannot be topped up.");
    const packages = section.getByRole("list", { name: "Top-up packages" });
    await unsupported.or(packages).first().waitFor({ timeout: 60_000 });
    await topUpPage.screenshot({ path: `${SHOTS}05b-order-topups.png`, fullPage: true });
    assert.equal(await section.locator("[role=alert]").textContent(), "", "no error in the top-up section");

    if (await packages.isVisible()) {
      await packages.getByRole("button", { name: /^Buy top-up / }).first().click();
      await topUpPage.waitForURL((url) => !url.pathname.endsWith(`/${orderId}`) && url.hash.startsWith("#token="));
      await topUpPage.getByText("Awaiting payment").waitFor();
      await topUpPage.getByText(/Top-up for eSIM \S+ of order /).first().waitFor();
      await topUpPage.getByRole("link", { name: `order ${orderId}` }).click();
      await topUpPage.getByRole("list", { name: "Top-ups of this eSIM" }).getByText("Awaiting payment").waitFor();
    }
    await topUpPage.close();
  });

  await t.test("rejects a wrong token as not valid", async () => {
    const wrong = await browser.context.newPage();
    await wrong.goto(orderUrl.replace(/#token=.*/, "#token=not-the-token"));
    await wrong.getByText(/This link is not valid for this order/).waitFor();
    await wrong.close();
  });

  await t.test("shows the order to the admin with its history", async () => {
    const orderId = new URL(orderUrl).pathname.split("/").at(-1);
    await page.getByRole("link", { name: "Orders", exact: true }).click();
    await page.getByRole("link", { name: `Order ${orderId}` }).click();
    await page.getByRole("heading", { name: `Order ${orderId}` }).waitFor();
    await page.getByText("Ready to install").waitFor();
    const history = page.getByRole("region", { name: "History" });
    await history.getByText("OrderPlaced").waitFor();
    await page.screenshot({ path: `${SHOTS}06-admin-order.png`, fullPage: true });
  });

  await t.test("takes a bank transfer set up in the admin", async () => {
    const instructions = "Wanderdata Ltd\nIBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX";
    await page.getByRole("link", { name: "Payments", exact: true }).click();
    await page.getByRole("heading", { name: "Payments", exact: true }).waitFor();
    const manual = page.getByRole("form", { name: "Bank transfer" });
    await manual.getByLabel("Instructions").fill(instructions);
    await manual.getByLabel("Offer bank transfer").check();
    await manual.getByRole("button", { name: "Save bank transfer settings" }).click();
    await manual.getByText("Bank transfer settings saved.").waitFor();
    const stripe = page.getByRole("form", { name: "Card payments (Stripe)" });
    assert.equal(await stripe.getByLabel("Secret key").inputValue(), "", "secrets are never prefilled");
    await page.screenshot({ path: `${SHOTS}09-admin-payments.png`, fullPage: true });

    await page.getByRole("link", { name: "Email", exact: true }).click();
    await page.getByRole("heading", { name: "SMTP server" }).waitFor();
    await page.getByText(/^SMTP is (not )?configured/).waitFor();
    await page.screenshot({ path: `${SHOTS}10-admin-email.png`, fullPage: true });

    // The order page offers only the gateways GET /api/payments/gateways
    // reports as on: bank transfer here, and Stripe not at all.
    const shop = await browser.context.newPage();
    shop.setDefaultTimeout(STEP_TIMEOUT_MS);
    shop.on("pageerror", (err) => pageErrors.push(err.message));
    const bankOrderUrl = await placeOrder(shop);
    const bankOrderId = new URL(bankOrderUrl).pathname.split("/").at(-1);
    await shop.getByRole("radio", { name: "Bank transfer" }).waitFor();
    assert.equal(await shop.getByRole("radio", { name: "Card (Stripe)" }).count(), 0, "an off gateway is hidden");
    await shop.getByRole("radio", { name: "Bank transfer" }).check();
    await shop.getByRole("button", { name: "Show bank transfer details" }).click();
    const transfer = shop.getByRole("region", { name: "Pay by bank transfer" });
    await transfer.waitFor();
    assert.equal(await transfer.locator(".bank-transfer__instructions").innerText(), instructions);
    await transfer.getByText(bankOrderId, { exact: true }).waitFor();
    await transfer.getByRole("button", { name: "Copy payment reference" }).waitFor();
    await shop.screenshot({ path: `${SHOTS}11-order-bank-transfer.png`, fullPage: true });

    await page.goto(`${BASE_URL}/admin/orders/${encodeURIComponent(bankOrderId)}`);
    await page.getByRole("button", { name: "Mark paid" }).click();
    await page.getByRole("button", { name: "Yes, mark paid" }).click();
    await page.getByText("Order marked paid.").waitFor();
    await page.getByRole("region", { name: "History" }).getByText("CheckoutStarted").waitFor();
    await page.screenshot({ path: `${SHOTS}12-admin-order-marked-paid.png`, fullPage: true });

    await shop.reload();
    await shop.getByRole("heading", { name: "Install your eSIM" }).waitFor({ timeout: 120_000 });
    await shop.close();
  });

  await t.test("lists customers in the admin", async () => {
    await page.getByRole("link", { name: "Customers", exact: true }).click();
    await page.getByRole("heading", { name: "Customers", exact: true }).waitFor();
    // A fresh store has no registered customer, but a reused one may have some.
    const list = page.getByRole("table", { name: "Customers" });
    await list.or(page.getByText("No customers yet.")).first().waitFor();
    await page.getByRole("form", { name: "Erase a guest's data" }).getByLabel("Guest email").waitFor();
    await page.screenshot({ path: `${SHOTS}13-admin-customers.png`, fullPage: true });
  });

  await t.test("validates overrides and pages the catalog", async () => {
    await page.goto(`${BASE_URL}/admin/providers/esim-access/catalog`);
    await page.getByRole("heading", { name: /^Catalog of / }).waitFor();
    const override = page.getByLabel(/^Margin override for /).first();
    await override.fill("9".repeat(400));
    await page.getByRole("button", { name: /^Save / }).first().click();
    await page.getByText(/Enter a number from 0 to 100 with at most two decimals/).first().waitFor();
    assert.equal(await override.getAttribute("aria-invalid"), "true");
    assert.ok((await page.getByRole("button", { name: /^Save / }).count()) <= 50, "at most 50 rows per page");
    await page.screenshot({ path: `${SHOTS}07-admin-catalog.png`, fullPage: true });
  });

  await t.test("rebuilds the projections and waits for them", async () => {
    await page.getByRole("link", { name: "Projections" }).click();
    await page.getByRole("heading", { name: "Projections" }).waitFor();
    await page.getByRole("button", { name: "Rebuild all" }).click();
    await page.getByText("Rebuild finished: every read model has caught up.").waitFor({ timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}08-admin-projections.png`, fullPage: true });
  });

  await t.test("signs out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Admin sign in" }).waitFor();
    await page.reload();
    await page
      .getByRole("heading", { name: "Admin sign in" })
      .waitFor()
      .catch(async (err) => {
        await page.screenshot({ path: `${SHOTS}99-sign-out-failed.png`, fullPage: true });
        throw err;
      });
  });

  assert.deepEqual(pageErrors, [], "no uncaught errors in the pages");
  assert.deepEqual(shopConsoleErrors, [], "no console errors while a customer buys");
  assert.deepEqual(browser.blocked, [], "no request left the store under test");
});

/** Buys the first package of the first country as a new customer and returns the order page's URL. */
async function placeOrder(shop) {
  await shop.goto(`${BASE_URL}/`);
  await shop.locator(".tile").first().click();
  await shop.getByRole("button", { name: /^Buy / }).first().click();
  await shop.getByLabel("Email for your eSIM").fill(`traveller-${Date.now()}@example.com`);
  await shop.getByRole("button", { name: /^Continue to payment/ }).click();
  await shop.waitForURL(/\/orders\/[^/]+#token=.+/);
  await shop.getByText("Awaiting payment").waitFor();
  return shop.url();
}
