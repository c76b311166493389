import { fireEvent, render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Esim, OrderView } from "../api";
import { customerSession, forgetCustomer, signInCustomer } from "../lib/customer-session";
import { browserNavigation } from "../lib/navigate";
import { loadOrderToken, saveOrderToken } from "../lib/order-token";
import { apiError, stubFetch } from "../test/fetch-stub";
import { routerAt } from "../test/router";
import OrderPage from "./OrderPage.vue";

const ESIM: Esim = {
  iccid: "8999000000000000001",
  lpa: "LPA:1$demo.esimscan.invalid$DEMO-1",
  smdp_address: "demo.esimscan.invalid",
  activation_code: "DEMO-1",
  qr_png_url: "/api/orders/o1/esims/8999000000000000001/qr.png",
  demo: true,
};

function order(status: OrderView["status"], esims: Esim[] = []): { body: OrderView } {
  return { body: { id: "o1", status, total: { amount: "7.20", currency: "USD" }, esims } };
}

async function renderOrder(path = "/orders/o1#token=tok-1") {
  const router = await routerAt(path);
  return render(OrderPage, { props: { id: "o1" }, global: { plugins: [router] } });
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  forgetCustomer();
});

const ALL_GATEWAYS_ON = { body: { stripe: true, paypal: true, manual: true, test: true } };

const gatewayOff = (gateway: string) =>
  apiError(422, "gateway_not_configured", `payment gateway ${gateway} is disabled or not configured`, "gateway");

describe("OrderPage", () => {
  it("uses and stores the link token", async () => {
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment") });
    await renderOrder();

    await screen.findByText("Awaiting payment");
    expect(requests[0].headers["X-Order-Token"]).toBe("tok-1");
    expect(loadOrderToken("o1")).toBe("tok-1");
  });

  it("falls back to the stored token", async () => {
    saveOrderToken("o1", "stored-token");
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment") });
    await renderOrder("/orders/o1");

    await screen.findByText("Awaiting payment");
    expect(requests[0].headers["X-Order-Token"]).toBe("stored-token");
  });

  it("explains a link without a token", async () => {
    const { fetchStub } = stubFetch({});
    await renderOrder("/orders/o1");

    const alert = (await screen.findByRole("alert")).textContent!;
    expect(alert).toMatch(/missing the order's access code/);
    expect(alert).toMatch(/private link you saved/);
    expect(alert).not.toMatch(/email/i);
    expect(fetchStub).not.toHaveBeenCalled();
  });

  it("loads by session without a token", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({ "GET /api/orders/o1": order("issued", [ESIM]) });
    await renderOrder("/orders/o1");

    await screen.findByRole("heading", { name: "Install your eSIM" });
    expect(requests).toHaveLength(1);
    expect(requests[0].headers["X-Order-Token"]).toBeUndefined();
    expect(requests[0].headers["X-CSRF-Token"]).toBeUndefined();
    expect(requests[0].credentials).toBe("same-origin");
    expect(screen.queryByRole("heading", { name: "Save your private order link" })).toBeNull();
    // The page's alert region and the eSIM's top-up section's.
    expect(screen.getAllByRole("alert").map((alert) => alert.textContent)).toEqual(["", ""]);
  });

  it("prefers the stored token when signed in", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    saveOrderToken("o1", "stored-token");
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment") });
    await renderOrder("/orders/o1");

    await screen.findByText("Awaiting payment");
    expect(requests[0].headers["X-Order-Token"]).toBe("stored-token");
  });

  it("asks for the link when the session cannot open the order", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    stubFetch({ "GET /api/orders/o1": apiError(404, "order_not_found", "no order with this id and access token") });
    await renderOrder("/orders/o1");

    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/missing the order's access code/));
    expect(screen.getByRole("alert").textContent).toMatch(/private link you saved/);
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("polls by session while provisioning", async () => {
    vi.useFakeTimers();
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({ "GET /api/orders/o1": [order("provisioning"), order("issued", [ESIM])] });
    await renderOrder("/orders/o1");

    await vi.advanceTimersByTimeAsync(5_000);

    await vi.waitFor(() => screen.getByRole("heading", { name: "Install your eSIM" }));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((r) => r.headers["X-Order-Token"] === undefined)).toBe(true);
  });

  it("pays by session without a token", async () => {
    const assign = vi.spyOn(browserNavigation, "assign").mockImplementation(() => {});
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "GET /api/payments/gateways": ALL_GATEWAYS_ON,
      "POST /api/orders/o1/checkout": { body: { redirect_url: "https://checkout.stripe.test/c/pay/cs_2" } },
    });
    const user = userEvent.setup();
    await renderOrder("/orders/o1");

    await user.click(await screen.findByRole("radio", { name: "Card (Stripe)" }));
    await user.click(screen.getByRole("button", { name: "Continue to card payment" }));

    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://checkout.stripe.test/c/pay/cs_2"));
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({ gateway: "stripe" });
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(post.headers["X-Order-Token"]).toBeUndefined();
    expect(post.credentials).toBe("same-origin");
    expect(screen.queryByText(/private link you saved/)).toBeNull();
  });

  it("hides the test gateway by session", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment"), "GET /api/payments/gateways": ALL_GATEWAYS_ON });
    await renderOrder("/orders/o1");

    expect(await screen.findByRole("radio", { name: "Bank transfer" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Pay with test gateway" })).toBeNull();
    expect(screen.queryByText(/Test payment gateway/)).toBeNull();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("sends no CSRF token with a token", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": { body: { instructions: "IBAN DE00 1234" } },
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("radio", { name: "Bank transfer" }));
    await user.click(screen.getByRole("button", { name: "Show bank transfer details" }));

    await screen.findByRole("region", { name: "Pay by bank transfer" });
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.headers["X-Order-Token"]).toBe("tok-1");
    expect(post.headers["X-CSRF-Token"]).toBeUndefined();
  });

  it("asks for the link when session checkout gets 404", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": apiError(404, "order_not_found", "no order with this id and access token"),
    });
    const user = userEvent.setup();
    await renderOrder("/orders/o1");

    await user.click(await screen.findByRole("radio", { name: "PayPal" }));
    await user.click(screen.getByRole("button", { name: "Continue to PayPal" }));

    const payment = screen.getByRole("region", { name: "Payment" });
    await waitFor(() => expect(within(payment).getByRole("alert").textContent).toMatch(/needs its private link/));
    expect(within(payment).getByRole("alert").textContent).not.toMatch(/access token/);
  });

  it("signs out when session checkout gets 403", async () => {
    signInCustomer("stale-csrf", "ada@example.com");
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": apiError(403, "csrf_token_invalid", "missing or invalid X-CSRF-Token header"),
    });
    const user = userEvent.setup();
    await renderOrder("/orders/o1");

    await user.click(await screen.findByRole("radio", { name: "PayPal" }));
    await user.click(screen.getByRole("button", { name: "Continue to PayPal" }));

    const payment = screen.getByRole("region", { name: "Payment" });
    await waitFor(() => expect(within(payment).getByRole("alert").textContent).toMatch(/session has ended/));
    expect(customerSession.signedIn).toBe(false);
  });

  it("hides the test gateway when the store has it off", async () => {
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/payments/test": apiError(404, "test_payments_disabled", "the test payment gateway is off"),
    });
    await renderOrder();

    await fireEvent.click(await screen.findByRole("button", { name: "Pay with test gateway" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Pay with test gateway" })).toBeNull());
    expect(screen.getByRole("radio", { name: "Card (Stripe)" })).toBeTruthy();
  });

  it("pays, polls while provisioning and shows the issued eSIM", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({
      "GET /api/orders/o1": [order("pending_payment"), order("paid"), order("provisioning"), order("issued", [ESIM])],
      "GET /api/payments/gateways": ALL_GATEWAYS_ON,
      "POST /api/orders/o1/payments/test": { body: {} },
    });
    await renderOrder();
    await vi.waitFor(() => screen.getByRole("button", { name: "Pay with test gateway" }));

    await fireEvent.click(screen.getByRole("button", { name: "Pay with test gateway" }));
    await vi.advanceTimersByTimeAsync(5_000);

    await vi.waitFor(() => screen.getByRole("heading", { name: "Install your eSIM" }));
    const qr = screen.getByRole("img", { name: "QR code to install eSIM 1" }) as HTMLImageElement;
    expect(qr.getAttribute("src")).toBe(ESIM.qr_png_url);
    expect(screen.getByText("Demo eSIM: works on no network")).toBeTruthy();
    expect(screen.getByText(ESIM.lpa)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Copy activation code" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "iPhone" })).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Android" })).toBeTruthy();
    expect(requests.filter((r) => r.method === "GET" && r.path === "/api/orders/o1")).toHaveLength(4);
  });

  it("omits the demo label otherwise", async () => {
    stubFetch({ "GET /api/orders/o1": order("issued", [{ ...ESIM, demo: false }]) });
    await renderOrder();

    await screen.findByRole("heading", { name: "Install your eSIM" });
    expect(screen.queryByText("Demo eSIM: works on no network")).toBeNull();
  });

  it("gives up polling and offers retry", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({ "GET /api/orders/o1": order("provisioning") });
    await renderOrder();

    await vi.advanceTimersByTimeAsync(10 * 60_000);

    await vi.waitFor(() => screen.getByRole("button", { name: "Check again" }));
    expect(requests.length).toBeLessThanOrEqual(31);
  });

  it("rejects a wrong token as not valid", async () => {
    stubFetch({ "GET /api/orders/o1": apiError(404, "order_not_found", "no order with this id and access token") });
    await renderOrder("/orders/o1#token=wrong-token");

    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/This link is not valid for this order/));
    expect(screen.getByRole("alert").textContent).not.toMatch(/missing/);
    expect(screen.getByRole("alert").textContent).not.toMatch(/email/i);
  });

  it("puts install steps before the link once issued", async () => {
    stubFetch({ "GET /api/orders/o1": order("issued", [ESIM]) });
    await renderOrder();

    await screen.findByRole("heading", { name: "Install your eSIM" });
    const headings = screen.getAllByRole("heading", { level: 2 }).map((heading) => heading.textContent);
    expect(headings.indexOf("Install your eSIM")).toBeLessThan(headings.indexOf("Save your private order link"));
  });

  it("offers the private link to copy", async () => {
    stubFetch({ "GET /api/orders/o1": order("pending_payment") });
    await renderOrder();

    await screen.findByRole("heading", { name: "Save your private order link" });
    expect(screen.getByText(/only way back to your order/).textContent).toMatch(/bookmark it or copy it/);
    expect(screen.getByText(`${window.location.origin}/orders/o1#token=tok-1`)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Copy private order link" })).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/email/i);
  });

  it("redirects to Stripe Checkout", async () => {
    const assign = vi.spyOn(browserNavigation, "assign").mockImplementation(() => {});
    const { requests } = stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": { body: { redirect_url: "https://checkout.stripe.test/c/pay/cs_1" } },
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("radio", { name: "Card (Stripe)" }));
    await user.click(screen.getByRole("button", { name: "Continue to card payment" }));

    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://checkout.stripe.test/c/pay/cs_1"));
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({ gateway: "stripe" });
    expect(post.headers["X-Order-Token"]).toBe("tok-1");
    expect(screen.getByRole("button", { name: "Opening the payment page…" })).toBeTruthy();
  });

  it("refuses a redirect that is not http", async () => {
    const assign = vi.spyOn(browserNavigation, "assign").mockImplementation(() => {});
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": { body: { redirect_url: "javascript:alert(1)" } },
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("radio", { name: "PayPal" }));
    await user.click(screen.getByRole("button", { name: "Continue to PayPal" }));

    await screen.findByText(/cannot open/);
    expect(assign).not.toHaveBeenCalled();
  });

  it("offers only the gateways the store has on", async () => {
    const { requests } = stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "GET /api/payments/gateways": { body: { stripe: false, paypal: false, manual: true, test: false } },
    });
    await renderOrder();

    expect(await screen.findByRole("radio", { name: "Bank transfer" })).toBeTruthy();
    expect(screen.queryByRole("radio", { name: "Card (Stripe)" })).toBeNull();
    expect(screen.queryByRole("radio", { name: "PayPal" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Pay with test gateway" })).toBeNull();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("says so when the store offers no gateway", async () => {
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "GET /api/payments/gateways": { body: { stripe: false, paypal: false, manual: false, test: false } },
    });
    await renderOrder();

    await screen.findByText(/Online payments are not configured in this store yet/);
    expect(screen.queryByRole("radio")).toBeNull();
    expect(screen.queryByRole("button", { name: "Pay with test gateway" })).toBeNull();
  });

  it("hides a 422 gateway without list", async () => {
    const { requests } = stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": gatewayOff("stripe"),
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("radio", { name: "Card (Stripe)" }));
    await user.click(screen.getByRole("button", { name: "Continue to card payment" }));

    await screen.findByText(/Card \(Stripe\) is not available in this store/);
    expect(screen.queryByRole("radio", { name: "Card (Stripe)" })).toBeNull();
    expect(screen.getByRole("radio", { name: "PayPal" })).toBeTruthy();
    expect(screen.getByRole("radio", { name: "Bank transfer" })).toBeTruthy();
    expect(screen.getAllByRole("alert").map((alert) => alert.textContent)).toEqual(["", ""]);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("says so when every gateway is off", async () => {
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": (request) => gatewayOff(String((request.body as { gateway: string }).gateway)),
      "POST /api/orders/o1/payments/test": apiError(404, "test_payments_disabled", "the test payment gateway is off"),
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("button", { name: "Pay with test gateway" }));
    for (const label of ["Card (Stripe)", "PayPal", "Bank transfer"]) {
      await user.click(await screen.findByRole("radio", { name: label }));
      await user.click(screen.getByRole("button", { name: /^Continue|^Show bank/ }));
      await waitFor(() => expect(screen.queryByRole("radio", { name: label })).toBeNull());
    }

    await screen.findByText(/Online payments are not configured in this store yet/);
  });

  it("asks for a choice before checkout", async () => {
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment") });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("button", { name: "Continue" }));

    await screen.findByText("Choose a way to pay.");
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("shows bank transfer instructions with the reference", async () => {
    const instructions = "Pay to Wanderdata Ltd\nIBAN DE00 1234 5678 9000";
    stubFetch({
      "GET /api/orders/o1": order("pending_payment"),
      "POST /api/orders/o1/checkout": { body: { instructions } },
    });
    const user = userEvent.setup();
    await renderOrder();

    await user.click(await screen.findByRole("radio", { name: "Bank transfer" }));
    await user.click(screen.getByRole("button", { name: "Show bank transfer details" }));

    const transfer = await screen.findByRole("region", { name: "Pay by bank transfer" });
    expect(transfer.querySelector(".bank-transfer__instructions")!.textContent).toBe(instructions);
    expect(within(transfer).getByText("o1")).toBeTruthy();
    expect(within(transfer).getByRole("button", { name: "Copy payment reference" })).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/email/i);
  });

  it("waits for the payment after a successful return", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({
      "GET /api/orders/o1": [order("pending_payment"), order("pending_payment"), order("paid"), order("issued", [ESIM])],
    });
    await renderOrder("/orders/o1?checkout=success#token=tok-1");

    await vi.waitFor(() => screen.getByText(/the payment provider accepted your payment/));
    expect(screen.queryByRole("radio", { name: "Card (Stripe)" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Pay with test gateway" })).toBeNull();

    await vi.advanceTimersByTimeAsync(20_000);

    await vi.waitFor(() => screen.getByRole("heading", { name: "Install your eSIM" }));
    expect(screen.queryByText(/the payment provider accepted your payment/)).toBeNull();
    expect(requests.every((r) => r.headers["X-Order-Token"] === "tok-1")).toBe(true);
  });

  it("stops waiting and offers checkout again", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment"), "GET /api/payments/gateways": ALL_GATEWAYS_ON });
    await renderOrder("/orders/o1?checkout=pending#token=tok-1");

    await vi.waitFor(() => screen.getByText(/Your payment is being processed/));
    await vi.advanceTimersByTimeAsync(10 * 60_000);

    await vi.waitFor(() => screen.getByText(/The payment is not confirmed yet/));
    expect(screen.getByRole("button", { name: "Check again" })).toBeTruthy();
    expect(screen.getByRole("radio", { name: "Bank transfer" })).toBeTruthy();
    expect(requests.filter((r) => r.path === "/api/orders/o1").length).toBeLessThanOrEqual(21);
  });

  it("offers checkout again after a cancelled return", async () => {
    const { requests } = stubFetch({ "GET /api/orders/o1": order("pending_payment"), "GET /api/payments/gateways": ALL_GATEWAYS_ON });
    await renderOrder("/orders/o1?checkout=cancelled#token=tok-1");

    await screen.findByText(/You cancelled the payment/);
    expect(await screen.findByRole("radio", { name: "PayPal" })).toBeTruthy();
    expect(requests.filter((r) => r.path === "/api/orders/o1")).toHaveLength(1);
  });

  it("says a cancelled order can no longer be paid", async () => {
    stubFetch({ "GET /api/orders/o1": order("cancelled") });
    await renderOrder();

    await screen.findByRole("heading", { name: "This order was cancelled" });
    expect(screen.queryByRole("heading", { name: "Payment" })).toBeNull();
  });
});
