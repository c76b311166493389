import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type PaymentSettingsView } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import PaymentsPage from "./PaymentsPage.vue";

function settings(overrides: Partial<PaymentSettingsView> = {}): PaymentSettingsView {
  return {
    stripe: { enabled: false, secret_key: "set", webhook_secret: "missing" },
    paypal: { enabled: true, client_id: "paypal-client", client_secret: "set", webhook_id: "WH-1", mode: "live" },
    manual: { enabled: false, instructions: "" },
    ...overrides,
  };
}

async function renderPage() {
  const router = await routerAt("/admin/settings/payments");
  render(PaymentsPage, { global: { plugins: [router] } });
  await screen.findByRole("heading", { name: "Card payments (Stripe)" });
}

const form = (name: string) => screen.getByRole("form", { name });

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("PaymentsPage", () => {
  it("shows secrets as set or missing, never prefilled", async () => {
    stubFetch({ "GET /api/admin/settings/payments": { body: settings() } });
    await renderPage();

    const stripe = form("Card payments (Stripe)");
    const secretKey = within(stripe).getByLabelText("Secret key") as HTMLInputElement;
    expect(secretKey.type).toBe("password");
    expect(secretKey.value).toBe("");
    expect(within(stripe).getByText("set")).toBeTruthy();
    expect(within(stripe).getByText("missing")).toBeTruthy();
    const paypal = form("PayPal");
    expect((within(paypal).getByLabelText("Client ID") as HTMLInputElement).value).toBe("paypal-client");
    expect((within(paypal).getByLabelText("Client secret") as HTMLInputElement).value).toBe("");
    expect((within(paypal).getByLabelText("Mode") as HTMLSelectElement).value).toBe("live");
    expect((within(paypal).getByLabelText("Offer PayPal") as HTMLInputElement).checked).toBe(true);
  });

  it("saves Stripe and shows a field error beside its input", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/settings/payments": { body: settings() },
      "PUT /api/admin/settings/payments/stripe": [
        apiError(422, "invalid_format", "webhook_secret must be a Stripe signing secret starting with whsec_", "webhook_secret"),
        { body: { enabled: true, secret_key: "set", webhook_secret: "set" } },
      ],
    });
    const user = userEvent.setup();
    await renderPage();
    const stripe = form("Card payments (Stripe)");

    await user.type(within(stripe).getByLabelText("Webhook signing secret"), "wrong");
    await user.click(within(stripe).getByLabelText("Offer card payments (Stripe)"));
    await user.click(within(stripe).getByRole("button", { name: "Save Stripe settings" }));

    const input = within(stripe).getByLabelText("Webhook signing secret");
    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(input.getAttribute("aria-describedby")!.split(" ").at(-1)!)!.textContent).toMatch(/whsec_/);

    await user.clear(input);
    await user.type(input, "whsec_new");
    await user.click(within(stripe).getByRole("button", { name: "Save Stripe settings" }));

    await within(stripe).findByText("Stripe settings saved.");
    expect((input as HTMLInputElement).value).toBe("");
    const saves = requests.filter((r) => r.method === "PUT");
    expect(saves[1].body).toEqual({ secret_key: "", webhook_secret: "whsec_new", enabled: true });
    expect(saves[1].headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(within(stripe).queryByText("missing")).toBeNull();
  });

  it("saves PayPal without resending the secret", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/settings/payments": { body: settings() },
      "PUT /api/admin/settings/payments/paypal": { body: settings().paypal },
    });
    const user = userEvent.setup();
    await renderPage();
    const paypal = form("PayPal");

    await user.selectOptions(within(paypal).getByLabelText("Mode"), "sandbox");
    await user.click(within(paypal).getByRole("button", { name: "Save PayPal settings" }));

    await within(paypal).findByText("PayPal settings saved.");
    expect(requests.find((r) => r.method === "PUT")!.body).toEqual({
      client_id: "paypal-client",
      client_secret: "",
      webhook_id: "WH-1",
      mode: "sandbox",
      enabled: true,
    });
  });

  it("saves bank transfer and shows a missing instructions error", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/settings/payments": { body: settings() },
      "PUT /api/admin/settings/payments/manual": [
        apiError(422, "invalid_required", "instructions is required when enabled is true", "instructions"),
        { body: { enabled: true, instructions: "IBAN DE00 1234" } },
      ],
    });
    const user = userEvent.setup();
    await renderPage();
    const manual = form("Bank transfer");

    await user.click(within(manual).getByLabelText("Offer bank transfer"));
    await user.click(within(manual).getByRole("button", { name: "Save bank transfer settings" }));
    await within(manual).findByText("instructions is required when enabled is true");
    expect(within(manual).getByLabelText("Instructions").getAttribute("aria-invalid")).toBe("true");

    await user.type(within(manual).getByLabelText("Instructions"), "IBAN DE00 1234");
    await user.click(within(manual).getByRole("button", { name: "Save bank transfer settings" }));

    await within(manual).findByText("Bank transfer settings saved.");
    expect(requests.filter((r) => r.method === "PUT")[1].body).toEqual({ enabled: true, instructions: "IBAN DE00 1234" });
    expect(within(manual).getByText("enabled")).toBeTruthy();
  });

  it("shows why the settings did not load", async () => {
    stubFetch({ "GET /api/admin/settings/payments": apiError(500, "internal", "internal error") });
    const router = await routerAt("/admin/settings/payments");
    render(PaymentsPage, { global: { plugins: [router] } });

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("internal error"));
  });
});
