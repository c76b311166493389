import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type AdminOrderDetail, type OrderEvent } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import OrderDetailPage from "./OrderDetailPage.vue";

function detail(overrides: Partial<AdminOrderDetail> = {}): AdminOrderDetail {
  return {
    id: "o1",
    status: "paid",
    email: "traveller@example.com",
    total: { amount: "7.20", currency: "USD" },
    unit_price: { amount: "7.20", currency: "USD" },
    quantity: 1,
    package: { id: "p1", name: "France 5 GB", validity_days: 30 },
    esims: [],
    placed_at: "2026-01-01T10:00:00Z",
    paid_at: "2026-01-01T10:01:00Z",
    failure: null,
    payment: { gateway: "test", reference: "pay-1" },
    ...overrides,
  };
}

const HISTORY: OrderEvent[] = [
  { type: "OrderPlaced", at: "2026-01-01T10:00:00Z", actor: "anonymous", data: { order_id: "o1", access_token_hash: "abc123hash" } },
  { type: "OrderPaid", at: "2026-01-01T10:01:00Z", actor: "anonymous", data: { order_id: "o1", gateway: "test" } },
];

async function renderDetail() {
  const router = await routerAt("/admin/orders/o1");
  render(OrderDetailPage, { props: { id: "o1" }, global: { plugins: [router] } });
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("OrderDetailPage", () => {
  it("shows the order, eSIMs and history", async () => {
    const issued = detail({
      status: "issued",
      esims: [
        {
          iccid: "8999000000000000001",
          lpa: "LPA:1$demo.invalid$X",
          smdp_address: "demo.invalid",
          activation_code: "X",
          qr_png_url: "/qr",
          demo: true,
        },
      ],
    });
    stubFetch({ "GET /api/admin/orders/o1": { body: issued }, "GET /api/admin/orders/o1/history": { body: HISTORY } });
    await renderDetail();

    await screen.findByText("Ready to install");
    expect(screen.getByText("issued")).toBeTruthy();
    expect(screen.getByText("traveller@example.com")).toBeTruthy();
    expect(screen.getByText("8999000000000000001")).toBeTruthy();
    expect(screen.getByText("Demo (works on no network)")).toBeTruthy();
    const history = screen.getByRole("region", { name: "History" });
    expect(within(history).getByText("OrderPlaced")).toBeTruthy();
    expect(within(history).getByText("OrderPaid")).toBeTruthy();
    expect(history.textContent).not.toContain("abc123hash");
    expect(screen.queryByRole("button", { name: "Fulfil by hand" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Retry provisioning" })).toBeNull();
  });

  it("fulfils a paid order by hand", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": [{ body: detail() }, { body: detail({ status: "issued" }) }],
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "POST /api/admin/orders/o1/fulfil": { body: detail({ status: "issued" }) },
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Fulfil by hand" }));
    await user.type(screen.getByLabelText("ICCID"), "8944000000000000001");
    await user.type(screen.getByLabelText("LPA string"), "LPA:1$smdp.example.com$MATCH");
    await user.click(screen.getByRole("button", { name: "Issue eSIM" }));

    await screen.findByText("eSIM issued.");
    await screen.findByText("Ready to install");
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({ iccid: "8944000000000000001", lpa: "LPA:1$smdp.example.com$MATCH" });
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("retries provisioning of a failed order", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": {
        body: detail({ status: "failed", failure: { message: "provider timed out", cause: "rejected" } }),
      },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "POST /api/admin/orders/o1/retry-provisioning": { status: 202, body: detail({ status: "provisioning" }) },
    });
    const user = userEvent.setup();
    await renderDetail();

    await screen.findByText(/provider timed out/);
    expect(screen.getByText("Refused by the provider")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Fulfil by hand" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Retry provisioning" }));

    await screen.findByText(/Provisioning started again/);
    expect(screen.getByText("Preparing your eSIM")).toBeTruthy();
    expect(requests.find((r) => r.method === "POST")!.headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("shows why a retry was rejected", async () => {
    stubFetch({
      "GET /api/admin/orders/o1": { body: detail({ status: "failed" }) },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "POST /api/admin/orders/o1/retry-provisioning": apiError(409, "order_not_failed", "the order is not failed"),
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Retry provisioning" }));

    await waitFor(() => expect(screen.getAllByRole("alert")[0].textContent).toBe("the order is not failed"));
  });

  it("says when the order does not exist", async () => {
    stubFetch({
      "GET /api/admin/orders/o1": apiError(404, "order_not_found", "no order with id o1"),
      "GET /api/admin/orders/o1/history": apiError(404, "order_not_found", "no order with id o1"),
    });
    await renderDetail();

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("No order with id o1."));
  });

  it("marks a pending order paid after confirming", async () => {
    const pending = detail({ status: "pending_payment", paid_at: null, payment: null });
    const paid = detail({ payment: { gateway: "manual", reference: "manual-o1" } });
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": [{ body: pending }, { body: paid }],
      "GET /api/admin/orders/o1/history": [{ body: HISTORY.slice(0, 1) }, { body: HISTORY }],
      "GET /api/admin/settings/smtp": { body: { configured: false } },
      "POST /api/admin/orders/o1/mark-paid": { body: paid },
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Mark paid" }));
    expect(screen.getByText(/Do this only once the transfer of/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Yes, mark paid" }));

    await screen.findByText("Order marked paid.");
    expect(screen.getByText("manual-o1")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Mark paid" })).toBeNull();
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/admin/orders/o1/mark-paid");
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(within(screen.getByRole("region", { name: "History" })).getByText("OrderPaid")).toBeTruthy();
  });

  it("cancels a pending order after confirming", async () => {
    const cancelled = detail({ status: "cancelled", cancelled_at: "2026-01-01T11:00:00Z" });
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": [{ body: detail({ status: "pending_payment", payment: null }) }, { body: cancelled }],
      "GET /api/admin/orders/o1/history": { body: HISTORY.slice(0, 1) },
      "GET /api/admin/settings/smtp": { body: { configured: false } },
      "POST /api/admin/orders/o1/cancel": { body: cancelled },
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Cancel order" }));
    await user.click(screen.getByRole("button", { name: "Keep order" }));
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
    await user.click(screen.getByRole("button", { name: "Cancel order" }));
    await user.click(screen.getByRole("button", { name: "Yes, cancel order" }));

    await screen.findByText("Order cancelled.");
    expect(screen.getAllByText("Cancelled").length).toBeGreaterThan(0);
    expect(screen.queryByRole("region", { name: "Payment and email" })).toBeNull();
  });

  it("refunds part of an order", async () => {
    const partlyRefunded = detail({
      status: "issued",
      payment: { gateway: "test", reference: "pay-1", refunded: { amount: "5.00", currency: "USD" } },
    });
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": [{ body: detail({ status: "issued" }) }, { body: partlyRefunded }],
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "GET /api/admin/settings/smtp": { body: { configured: true } },
      "POST /api/admin/orders/o1/refund": [
        apiError(422, "invalid_amount", "amount 9.00 exceeds the refundable 7.20 USD", "amount"),
        { body: partlyRefunded },
      ],
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Refund" }));
    const amount = screen.getByLabelText("Amount (USD)");
    await user.type(amount, "9.00");
    await user.click(screen.getByRole("button", { name: "Refund payment" }));
    await screen.findByText("amount 9.00 exceeds the refundable 7.20 USD");
    expect(amount.getAttribute("aria-invalid")).toBe("true");

    await user.clear(amount);
    await user.type(amount, "5.00");
    await user.click(screen.getByRole("button", { name: "Refund payment" }));

    await screen.findByText("Refunded $5.00.");
    expect(screen.getByText(/refunded \$5\.00/)).toBeTruthy();
    expect(requests.filter((r) => r.method === "POST").map((r) => r.body)).toEqual([{ amount: "9.00" }, { amount: "5.00" }]);
  });

  it("refunds the whole order when the amount is blank", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": { body: detail() },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "GET /api/admin/settings/smtp": { body: { configured: true } },
      "POST /api/admin/orders/o1/refund": { body: detail({ status: "refunded" }) },
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Refund" }));
    await user.click(screen.getByRole("button", { name: "Refund payment" }));

    await screen.findByText("Order refunded.");
    expect(requests.find((r) => r.method === "POST")!.body).toEqual({});
  });

  it("checks the refund amount before sending", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": { body: detail() },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "GET /api/admin/settings/smtp": { body: { configured: true } },
    });
    const user = userEvent.setup();
    await renderDetail();

    await user.click(await screen.findByRole("button", { name: "Refund" }));
    await user.type(screen.getByLabelText("Amount (USD)"), "five");
    await user.click(screen.getByRole("button", { name: "Refund payment" }));

    await screen.findByText(/Enter an amount such as 5.00/);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("resends the email and shows email events", async () => {
    const withEmail: OrderEvent[] = [
      ...HISTORY,
      { type: "ESIMIssued", at: "2026-01-01T10:02:00Z", actor: "system", data: { order_id: "o1" } },
      {
        type: "EmailFailed",
        at: "2026-01-01T10:03:00Z",
        actor: "system",
        data: { order_id: "o1", kind: "esim_delivery", attempt: 1, message: "smtp: connection refused", retry_at: null },
      },
    ];
    const { requests } = stubFetch({
      "GET /api/admin/orders/o1": { body: detail({ status: "issued" }) },
      "GET /api/admin/orders/o1/history": [
        { body: withEmail },
        {
          body: [
            ...withEmail,
            { type: "EmailResendRequested", at: "2026-01-01T10:04:00Z", actor: "admin-1", data: { order_id: "o1" } },
            { type: "EmailSent", at: "2026-01-01T10:05:00Z", actor: "system", data: { order_id: "o1", attempt: 1, message_id: "m1" } },
          ],
        },
      ],
      "GET /api/admin/settings/smtp": { body: { configured: true } },
      "POST /api/admin/orders/o1/resend-email": { status: 202, body: { resend: "requested" } },
    });
    const user = userEvent.setup();
    await renderDetail();

    const history = await screen.findByRole("region", { name: "History" });
    await within(history).findByText("EmailFailed");
    expect(within(history).getByText(/eSIM email failed \(attempt 1\): smtp: connection refused; no retry until an admin resends it/)).toBeTruthy();
    expect(screen.getByText(/^Failed .*smtp: connection refused$/)).toBeTruthy();
    expect(screen.getByText(/SMTP is configured: the eSIM email goes to traveller@example.com/)).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Resend email" }));

    await screen.findByText(/The eSIM email is queued again/);
    await within(history).findByText("EmailSent");
    expect(within(history).getByText("eSIM email sent (attempt 1)")).toBeTruthy();
    expect(screen.getByText(/^Sent .*\(attempt 1\)$/)).toBeTruthy();
    expect(requests.find((r) => r.method === "POST")!.headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("says when SMTP is not configured", async () => {
    stubFetch({
      "GET /api/admin/orders/o1": { body: detail({ status: "issued" }) },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "GET /api/admin/settings/smtp": { body: { configured: false } },
    });
    await renderDetail();

    await screen.findByText(/SMTP is not configured, so the store sends no email/);
    expect(screen.getByRole("link", { name: "Set up email" }).getAttribute("href")).toBe("/admin/settings/email");
  });
});
