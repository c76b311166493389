import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import OrdersPage from "./OrdersPage.vue";

async function renderOrders() {
  const router = await routerAt("/admin/orders");
  render(OrdersPage, { global: { plugins: [router] } });
  return router;
}

const ORDERS = [
  { id: "o-paid", status: "paid", email: "a@example.com", total: { amount: "7.20", currency: "USD" }, package: { id: "p1", name: "France 5 GB" } },
  { id: "o-issued", status: "issued", email: "b@example.com", total: { amount: "3.84", currency: "USD" }, package: { id: "p2", name: "Japan 1 GB" } },
];

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("OrdersPage", () => {
  it("offers manual fulfilment only for paid orders", async () => {
    stubFetch({ "GET /api/admin/orders": { body: ORDERS } });
    await renderOrders();

    await screen.findByRole("button", { name: "Fulfil order o-paid" });
    expect(screen.queryByRole("button", { name: "Fulfil order o-issued" })).toBeNull();
  });

  it("fulfils a paid order with ICCID and LPA", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/orders": [{ body: ORDERS }, { body: [{ ...ORDERS[0], status: "issued" }, ORDERS[1]] }],
      "POST /api/admin/orders/o-paid/fulfil": { body: {} },
    });
    const user = userEvent.setup();
    await renderOrders();

    await user.click(await screen.findByRole("button", { name: "Fulfil order o-paid" }));
    const form = screen.getByRole("form", { name: "Fulfil order o-paid" });
    await user.type(within(form).getByLabelText("ICCID"), "8944500000000000001");
    await user.type(within(form).getByLabelText("LPA string"), "LPA:1$smdp.example.com$ABC-123");
    await user.click(within(form).getByRole("button", { name: "Issue eSIM" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Fulfil order o-paid" })).toBeNull());
    expect(screen.queryByRole("form", { name: "Fulfil order o-paid" })).toBeNull();
    const fulfil = requests.find((r) => r.path.endsWith("/fulfil"))!;
    expect(fulfil.body).toEqual({ iccid: "8944500000000000001", lpa: "LPA:1$smdp.example.com$ABC-123" });
    expect(fulfil.headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("shows an ICCID error beside the ICCID input", async () => {
    stubFetch({
      "GET /api/admin/orders": { body: ORDERS },
      "POST /api/admin/orders/o-paid/fulfil": apiError(422, "invalid", "ICCID must be 18 to 22 digits", "iccid"),
    });
    const user = userEvent.setup();
    await renderOrders();

    await user.click(await screen.findByRole("button", { name: "Fulfil order o-paid" }));
    await user.type(screen.getByLabelText("ICCID"), "123");
    await user.click(screen.getByRole("button", { name: "Issue eSIM" }));

    await screen.findByText("ICCID must be 18 to 22 digits");
    expect(screen.getByLabelText("ICCID").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("LPA string").getAttribute("aria-invalid")).toBeNull();
  });

  it("links each order to its page with both status words", async () => {
    stubFetch({ "GET /api/admin/orders": { body: ORDERS } });
    const user = userEvent.setup();
    const router = await renderOrders();

    const link = await screen.findByRole("link", { name: "Order o-paid" });
    expect(link.getAttribute("href")).toBe("/admin/orders/o-paid");
    const row = link.closest("tr")!;
    expect(within(row).getByText("Paid: preparing your eSIM")).toBeTruthy();
    expect(within(row).getByText("paid")).toBeTruthy();

    await user.click(link);
    await waitFor(() => expect(router.currentRoute.value.name).toBe("admin-order"));
    expect(router.currentRoute.value.params.id).toBe("o-paid");
  });
});
