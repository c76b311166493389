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

async function renderApp() {
  const router = await routerAt("/");
  render(App, { global: { plugins: [router] } });
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
});
