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
      "GET /api/admin/orders/o1": { body: detail({ status: "failed", failure: { message: "provider timed out" } }) },
      "GET /api/admin/orders/o1/history": { body: HISTORY },
      "POST /api/admin/orders/o1/retry-provisioning": { status: 202, body: detail({ status: "provisioning" }) },
    });
    const user = userEvent.setup();
    await renderDetail();

    await screen.findByText("provider timed out");
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

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("the order is not failed"));
  });

  it("says when the order does not exist", async () => {
    stubFetch({
      "GET /api/admin/orders/o1": apiError(404, "order_not_found", "no order with id o1"),
      "GET /api/admin/orders/o1/history": apiError(404, "order_not_found", "no order with id o1"),
    });
    await renderDetail();

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("No order with id o1."));
  });
});
