import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { Esim, OrderTopUp, OrderView, TopUpPackage } from "../api";
import { customerSession, forgetCustomer, signInCustomer } from "../lib/customer-session";
import { loadOrderToken } from "../lib/order-token";
import { apiError, stubFetch } from "../test/fetch-stub";
import { routerAt } from "../test/router";
import OrderPage from "./OrderPage.vue";

const ICCID = "8999000000000000001";
const TOPUPS_PATH = `/api/orders/o1/topups?iccid=${ICCID}`;

const ESIM: Esim = {
  iccid: ICCID,
  lpa: "LPA:1$smdp.example.test$ACT-1",
  smdp_address: "smdp.example.test",
  activation_code: "ACT-1",
  qr_png_url: `/api/orders/o1/esims/${ICCID}/qr.png`,
};

const FIVE_GB: TopUpPackage = {
  id: "TOPUP-JP-5GB",
  name: "Japan 5GB top-up",
  data_mb: 5120,
  unlimited: false,
  daily: false,
  validity_days: 30,
  price: { amount: "5.00", currency: "USD" },
};

const UNLIMITED: TopUpPackage = {
  id: "TOPUP-JP-UNL",
  name: "Japan unlimited top-up",
  data_mb: null,
  unlimited: true,
  daily: false,
  validity_days: 7,
  price: { amount: "12.50", currency: "USD" },
};

const OFFER = { body: { topup_of: { order_id: "o1", iccid: ICCID }, packages: [FIVE_GB, UNLIMITED] } };

const PLACED = {
  status: 201,
  body: {
    id: "t1",
    status: "pending_payment",
    total: { amount: "5.00", currency: "USD" },
    access_token: "tok-t1",
    topup_of: { order_id: "o1", iccid: ICCID },
  },
};

function issued(extra: Partial<OrderView> = {}): { body: OrderView } {
  return { body: { id: "o1", status: "issued", total: { amount: "7.20", currency: "USD" }, esims: [ESIM], ...extra } };
}

function topUpOrder(status: OrderView["status"]): { body: OrderView } {
  return {
    body: {
      id: "t1",
      status,
      total: { amount: "5.00", currency: "USD" },
      package: { id: "TOPUP-JP-5GB", name: "Japan 5GB top-up", data_mb: 5120, unlimited: false, validity_days: 30 },
      esims: [],
      topup_of: { order_id: "o1", iccid: ICCID },
    },
  };
}

async function renderOrder(path = "/orders/o1#token=tok-1", id = "o1") {
  const router = await routerAt(path);
  render(OrderPage, { props: { id }, global: { plugins: [router] } });
  return router;
}

async function openTopUps(user = userEvent.setup()) {
  await user.click(await screen.findByRole("button", { name: "Show top-up packages" }));
  return user;
}

afterEach(() => {
  forgetCustomer();
});

describe("OrderPage top-ups", () => {
  it("loads packages only on request", async () => {
    const { requests } = stubFetch({ "GET /api/orders/o1": issued(), [`GET ${TOPUPS_PATH}`]: OFFER });
    await renderOrder();
    await screen.findByRole("heading", { name: "Top up" });
    expect(requests.some((r) => r.path.includes("/topups"))).toBe(false);

    await openTopUps();

    const list = await screen.findByRole("list", { name: "Top-up packages" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toMatch(/Japan 5GB top-up/);
    expect(rows[0].textContent).toMatch(/5 GB · 30 days/);
    expect(rows[0].textContent).toMatch(/\$5\.00/);
    expect(rows[1].textContent).toMatch(/Unlimited · 7 days/);
    expect(rows[1].textContent).toMatch(/\$12\.50/);
    const get = requests.find((r) => r.path === TOPUPS_PATH)!;
    expect(get.method).toBe("GET");
    expect(get.headers["X-Order-Token"]).toBe("tok-1");
    expect(get.headers["X-CSRF-Token"]).toBeUndefined();
  });

  it("says quietly when unsupported", async () => {
    stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: apiError(409, "topup_not_supported", "the provider of this order sells no top-ups"),
    });
    await renderOrder();

    await openTopUps();

    await screen.findByText("This eSIM cannot be topped up.");
    expect(screen.queryByRole("button", { name: "Show top-up packages" })).toBeNull();
    expect(screen.getAllByRole("alert").every((alert) => alert.textContent === "")).toBe(true);
    expect(document.body.textContent).not.toMatch(/sells no top-ups/);
  });

  it("says when no package is offered", async () => {
    stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: { body: { topup_of: { order_id: "o1", iccid: ICCID }, packages: [] } },
    });
    await renderOrder();

    await openTopUps();

    await screen.findByText("No top-up packages are offered for this eSIM right now.");
  });

  it("buys and opens the new order", async () => {
    const { requests } = stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: OFFER,
      "POST /api/orders/o1/topups": PLACED,
    });
    const router = await renderOrder();
    const user = await openTopUps();

    await user.click(await screen.findByRole("button", { name: "Buy top-up Japan 5GB top-up" }));

    await waitFor(() => expect(router.currentRoute.value.path).toBe("/orders/t1"));
    expect(router.currentRoute.value.hash).toBe("#token=tok-t1");
    expect(loadOrderToken("t1")).toBe("tok-t1");
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.path).toBe("/api/orders/o1/topups");
    expect(post.body).toEqual({ package_id: "TOPUP-JP-5GB", iccid: ICCID });
    expect(post.headers["X-Order-Token"]).toBe("tok-1");
    expect(post.headers["X-CSRF-Token"]).toBeUndefined();
  });

  it("drops a withdrawn package on 422", async () => {
    const { requests } = stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: OFFER,
      "POST /api/orders/o1/topups": apiError(422, "package_unavailable", "package_id names no top-up of this eSIM", "package_id"),
    });
    const router = await renderOrder();
    const user = await openTopUps();

    await user.click(await screen.findByRole("button", { name: "Buy top-up Japan 5GB top-up" }));

    const notice = await screen.findByText(/is no longer offered for this eSIM/);
    expect(notice.textContent).toMatch(/Japan 5GB top-up/);
    expect(screen.queryByRole("button", { name: "Buy top-up Japan 5GB top-up" })).toBeNull();
    expect(screen.getByRole("button", { name: "Buy top-up Japan unlimited top-up" })).toBeTruthy();
    expect(screen.getAllByRole("alert").every((alert) => alert.textContent === "")).toBe(true);
    expect(router.currentRoute.value.path).toBe("/orders/o1");
    expect(requests.filter((r) => r.path === TOPUPS_PATH)).toHaveLength(1);
  });

  it("asks for the private link on 404", async () => {
    stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: apiError(404, "order_not_found", "no order with this id and access token"),
    });
    await renderOrder();

    await openTopUps();

    const section = screen.getByRole("region", { name: "Top up" });
    await waitFor(() => expect(within(section).getByRole("alert").textContent).toMatch(/needs the order's private link/));
    expect(within(section).getByRole("button", { name: "Show top-up packages" })).toBeTruthy();
  });

  it("shows other buy failures in the alert", async () => {
    stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: OFFER,
      "POST /api/orders/o1/topups": apiError(502, "provider_unavailable", "The provider did not respond. Try again later."),
    });
    const router = await renderOrder();
    const user = await openTopUps();

    await user.click(await screen.findByRole("button", { name: "Buy top-up Japan unlimited top-up" }));

    const section = screen.getByRole("region", { name: "Top up" });
    await waitFor(() => expect(within(section).getByRole("alert").textContent).toBe("The provider did not respond. Try again later."));
    expect(screen.getByRole("button", { name: "Buy top-up Japan unlimited top-up" })).toBeTruthy();
    expect(router.currentRoute.value.path).toBe("/orders/o1");
  });

  it("lists and buys by session", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: OFFER,
      "POST /api/orders/o1/topups": PLACED,
    });
    const router = await renderOrder("/orders/o1");
    const user = await openTopUps();

    await user.click(await screen.findByRole("button", { name: "Buy top-up Japan 5GB top-up" }));

    await waitFor(() => expect(router.currentRoute.value.path).toBe("/orders/t1"));
    expect(loadOrderToken("t1")).toBe("tok-t1");
    const get = requests.find((r) => r.path === TOPUPS_PATH)!;
    expect(get.headers["X-Order-Token"]).toBeUndefined();
    expect(get.headers["X-CSRF-Token"]).toBeUndefined();
    expect(get.credentials).toBe("same-origin");
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.headers["X-Order-Token"]).toBeUndefined();
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(post.credentials).toBe("same-origin");
  });

  it("signs out on a rejected CSRF token", async () => {
    signInCustomer("stale-csrf", "ada@example.com");
    stubFetch({
      "GET /api/orders/o1": issued(),
      [`GET ${TOPUPS_PATH}`]: OFFER,
      "POST /api/orders/o1/topups": apiError(403, "csrf_token_invalid", "missing or invalid X-CSRF-Token header"),
    });
    await renderOrder("/orders/o1");
    const user = await openTopUps();

    await user.click(await screen.findByRole("button", { name: "Buy top-up Japan 5GB top-up" }));

    const section = screen.getByRole("region", { name: "Top up" });
    await waitFor(() => expect(within(section).getByRole("alert").textContent).toMatch(/session has ended/));
    expect(customerSession.signedIn).toBe(false);
  });

  it("lists an eSIM's top-ups with links", async () => {
    const topups: OrderTopUp[] = [
      {
        order_id: "t1",
        iccid: ICCID,
        status: "issued",
        package: "Japan 5GB top-up",
        total: { amount: "5.00", currency: "USD" },
        placed_at: "2025-03-01T10:00:00Z",
        applied_at: "2025-03-01T10:05:00Z",
      },
      {
        order_id: "t2",
        iccid: ICCID,
        status: "pending_payment",
        package: "Japan unlimited top-up",
        total: { amount: "12.50", currency: "USD" },
        placed_at: "2025-03-02T10:00:00Z",
      },
      {
        order_id: "t3",
        iccid: "8999000000000000999",
        status: "issued",
        package: "Other eSIM top-up",
        total: { amount: "3.00", currency: "USD" },
        placed_at: "2025-03-02T11:00:00Z",
      },
    ];
    const { requests } = stubFetch({ "GET /api/orders/o1": issued({ topups }) });
    await renderOrder();

    const list = await screen.findByRole("list", { name: "Top-ups of this eSIM" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole("link", { name: "Japan 5GB top-up" }).getAttribute("href")).toBe("/orders/t1");
    expect(rows[0].textContent).toMatch(/Added to the eSIM/);
    expect(rows[0].textContent).toMatch(/added /);
    expect(rows[0].textContent).toMatch(/\$5\.00/);
    expect(within(rows[1]).getByRole("link", { name: "Japan unlimited top-up" }).getAttribute("href")).toBe("/orders/t2");
    expect(rows[1].textContent).toMatch(/Awaiting payment/);
    expect(screen.queryByText("Other eSIM top-up")).toBeNull();
    expect(requests.some((r) => r.path.includes("/topups"))).toBe(false);
  });

  it("links a top-up order to its parent", async () => {
    stubFetch({ "GET /api/orders/t1": topUpOrder("pending_payment") });
    await renderOrder("/orders/t1#token=tok-t1", "t1");

    const line = await screen.findByText(/Top-up for eSIM/);
    expect(line.textContent).toMatch(new RegExp(`Top-up for eSIM ${ICCID} of order o1`));
    expect(within(line).getByRole("link", { name: "order o1" }).getAttribute("href")).toBe("/orders/o1");
    expect(await screen.findByRole("heading", { name: "Payment" })).toBeTruthy();
  });

  it("shows an applied top-up without install steps", async () => {
    stubFetch({ "GET /api/orders/t1": topUpOrder("issued") });
    await renderOrder("/orders/t1#token=tok-t1", "t1");

    await screen.findByRole("heading", { name: "Top-up added" });
    expect(screen.getByText("Added to the eSIM")).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Install your eSIM" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Show top-up packages" })).toBeNull();
  });

  it("words a failed top-up", async () => {
    stubFetch({ "GET /api/orders/t1": { body: { ...topUpOrder("failed").body, failure: { message: "The eSIM has expired." } } } });
    await renderOrder("/orders/t1#token=tok-t1", "t1");

    await screen.findByRole("heading", { name: "We could not add this top-up" });
    expect(screen.getByText(/The eSIM has expired\./)).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "We could not issue your eSIM" })).toBeNull();
  });
});
