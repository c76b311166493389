// The first sale, end to end through the UI in a real Chromium. An admin
// installs the store, signs in, connects eSIM Access with the sandbox
// settings, then tests, syncs and enables it. A customer then buys a package,
// pays with the test gateway and sees the eSIM with its QR image. The store at
// ESIMSCAN_E2E_URL must run with ESIMSCAN_TEST_PAYMENTS=1 and the sandbox on.
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
    }
    await page.getByLabel("Email").fill(ADMIN_EMAIL);
    await page.getByLabel("Password").fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Providers" }).waitFor();
  });

  await t.test("connects eSIM Access with the sandbox settings", async () => {
    await page.getByRole("link", { name: "eSIM Access" }).click();
    await page.getByRole("button", { name: "Use sandbox settings" }).click();
    assert.match(await page.getByLabel("Base URL").inputValue(), /^https?:\/\//);
    await page.getByLabel("Margin (%)").fill("20");
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
  await t.test("buys a package as a customer", async () => {
    const shop = await browser.context.newPage();
    shop.setDefaultTimeout(STEP_TIMEOUT_MS);
    shop.on("pageerror", (err) => pageErrors.push(err.message));
    await shop.goto(`${BASE_URL}/`);
    await shop.getByRole("heading", { name: "Countries" }).waitFor();
    await shop.screenshot({ path: `${SHOTS}02-storefront.png`, fullPage: true });

    await shop.locator(".tile").first().click();
    await shop.getByRole("heading", { name: /^eSIM plans for / }).waitFor();
    await shop.getByRole("button", { name: /^Buy / }).first().click();
    await shop.getByLabel("Email for your eSIM").fill(`traveller-${Date.now()}@example.com`);
    await shop.screenshot({ path: `${SHOTS}02b-packages.png`, fullPage: true });
    await shop.getByRole("button", { name: /^Continue to payment/ }).click();
    await shop.waitForURL(/\/orders\/[^/]+#token=.+/);
    orderUrl = shop.url();
    await shop.getByText("Awaiting payment").waitFor();
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

  assert.deepEqual(pageErrors, [], "no uncaught errors in the pages");
  assert.deepEqual(browser.blocked, [], "no request left the store under test");
});
