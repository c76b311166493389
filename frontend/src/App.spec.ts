import { render, screen, waitFor } from "@testing-library/vue";
import { beforeEach, describe, expect, it } from "vitest";
import App from "./App.vue";
import { readiness } from "./lib/readiness";
import { storeInfo } from "./lib/store-info";
import { apiError, stubFetch } from "./test/fetch-stub";
import { routerAt } from "./test/router";

const HOME = {
  "GET /api/catalog/countries": { body: [{ code: "JP", name: "Japan", packages: 2, from_price: { amount: "3.84", currency: "USD" } }] },
  "GET /api/catalog/regions": { body: [] },
  "GET /api/sandbox": { body: { enabled: false } },
};

async function renderApp(path = "/") {
  const router = await routerAt(path);
  render(App, { global: { plugins: [router] } });
  return router;
}

beforeEach(() => {
  storeInfo.name = "";
  readiness.catchingUp = false;
  document.title = "";
});

describe("App", () => {
  it("shows the store name in header and title", async () => {
    stubFetch({ ...HOME, "GET /api/store": { body: { name: "Wanderdata" } }, "GET /api/ready": { body: { status: "ready" } } });
    await renderApp();

    await waitFor(() => expect(screen.getByRole("link", { name: "Wanderdata" })).toBeTruthy());
    expect(document.title).toBe("Wanderdata");
  });

  it("falls back before installation", async () => {
    stubFetch({ ...HOME, "GET /api/store": { body: { name: "" } }, "GET /api/ready": { body: { status: "ready" } } });
    await renderApp();

    await waitFor(() => expect(document.title).toBe("eSIM store"));
    expect(screen.getByRole("link", { name: "eSIM store" })).toBeTruthy();
  });

  it("promises no email in the footer", async () => {
    stubFetch({ ...HOME, "GET /api/store": { body: { name: "" } }, "GET /api/ready": { body: { status: "ready" } } });
    await renderApp();

    const footer = screen.getByRole("contentinfo");
    expect(footer.textContent).toMatch(/private order page: bookmark or save its link/);
    expect(footer.textContent).not.toMatch(/email/i);
  });

  it("shows a notice while the catalog catches up", async () => {
    stubFetch({
      ...HOME,
      "GET /api/store": { body: { name: "" } },
      "GET /api/ready": [apiError(503, "catching_up", "still catching up"), { body: { status: "ready" } }],
    });
    await renderApp();

    const notice = await screen.findByText(/The catalog is loading; prices and lists may be incomplete for a few seconds/);
    expect(notice.getAttribute("role")).toBe("status");
    await waitFor(() => expect(screen.queryByText(/The catalog is loading/)).toBeNull(), { timeout: 3_000 });
  });

  it("opens a fresh page for another order", async () => {
    const view = (id: string, amount: string) => ({ body: { id, status: "pending_payment", total: { amount, currency: "USD" }, esims: [] } });
    const { requests } = stubFetch({
      "GET /api/store": { body: { name: "" } },
      "GET /api/ready": { body: { status: "ready" } },
      "GET /api/sandbox": { body: { enabled: false } },
      "GET /api/orders/a1": view("a1", "7.20"),
      "GET /api/orders/b2": view("b2", "5.00"),
    });
    const router = await renderApp("/orders/a1#token=tok-a");
    await screen.findByText("Order a1");

    await router.push("/orders/b2#token=tok-b");

    await screen.findByText("Order b2");
    expect(screen.queryByText("Order a1")).toBeNull();
    expect(screen.getByText("$5.00")).toBeTruthy();
    const b2 = requests.find((r) => r.path === "/api/orders/b2")!;
    expect(b2.headers["X-Order-Token"]).toBe("tok-b");
  });
});
