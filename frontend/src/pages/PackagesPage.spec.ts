import { render, screen, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { CatalogPackage } from "../api";
import { forgetCustomer, signInCustomer } from "../lib/customer-session";
import { loadOrderToken } from "../lib/order-token";
import { apiError, stubFetch } from "../test/fetch-stub";
import { routerAt } from "../test/router";
import PackagesPage from "./PackagesPage.vue";

const PACKAGES: CatalogPackage[] = [
  { id: "p1", provider: "esim-access", name: "Japan 1 GB", countries: ["JP"], data_mb: 1024, unlimited: false, validity_days: 7, price: { amount: "3.84", currency: "USD" } },
  { id: "p2", provider: "esim-access", name: "Japan Daily", countries: ["JP"], data_mb: 2048, unlimited: false, daily: true, validity_days: 5, price: { amount: "7.32", currency: "USD" } },
  { id: "p3", provider: "esim-access", name: "Japan Unlimited", countries: ["JP"], data_mb: null, unlimited: true, validity_days: 10, price: { amount: "21.60", currency: "USD" } },
];
const COUNTRIES = [{ code: "JP", name: "Japan", packages: 3, from_price: { amount: "3.84", currency: "USD" } }];

async function renderCountry() {
  const router = await routerAt("/countries/JP");
  render(PackagesPage, { props: { kind: "country", code: "JP" }, global: { plugins: [router] } });
  return router;
}

afterEach(() => forgetCustomer());

describe("PackagesPage", () => {
  it("lists packages cheapest first with details", async () => {
    stubFetch({ "GET /api/catalog/packages?country=JP": { body: PACKAGES }, "GET /api/catalog/countries": { body: COUNTRIES } });
    await renderCountry();

    await screen.findByRole("heading", { name: "eSIM plans for Japan" });
    const items = screen.getAllByRole("listitem");
    expect(items.map((item) => within(item).getByRole("heading").textContent)).toEqual(["Japan 1 GB", "Japan Daily", "Japan Unlimited"]);
    expect(within(items[0]).getByText("1 GB")).toBeTruthy();
    expect(within(items[0]).getByText("7 days")).toBeTruthy();
    expect(within(items[0]).getByText("$3.84")).toBeTruthy();
    expect(within(items[1]).getByText("2 GB per day")).toBeTruthy();
    expect(within(items[2]).getByText("Unlimited")).toBeTruthy();
    expect(within(items[0]).getByText("1 country")).toBeTruthy();
  });

  it("lists every package, even look-alikes", async () => {
    const twins: CatalogPackage[] = [
      { ...PACKAGES[0], id: "a", countries: ["JP", "KR"], operators: ["Docomo", "SKT"] },
      { ...PACKAGES[0], id: "b", countries: ["JP", "KR"], operators: ["SoftBank", "KT"] },
      { ...PACKAGES[0], id: "c", countries: ["JP", "KR"] },
    ];
    stubFetch({ "GET /api/catalog/packages?country=JP": { body: twins }, "GET /api/catalog/countries": { body: COUNTRIES } });
    await renderCountry();

    await screen.findByRole("heading", { name: "eSIM plans for Japan" });
    const items = screen.getAllByRole("listitem");
    expect(items).toHaveLength(3);
    expect(within(items[0]).getByText("Networks: Docomo, SKT")).toBeTruthy();
    expect(within(items[1]).getByText("Networks: SoftBank, KT")).toBeTruthy();
    expect(within(items[2]).queryByText(/Networks/)).toBeNull();
    expect(within(items[2]).getByText("Covers 2 countries")).toBeTruthy();
  });

  it("says the email hint without promising mail", async () => {
    stubFetch({ "GET /api/catalog/packages?country=JP": { body: PACKAGES }, "GET /api/catalog/countries": { body: COUNTRIES } });
    const user = userEvent.setup();
    await renderCountry();

    await user.click(await screen.findByRole("button", { name: "Buy Japan 1 GB" }));

    const email = screen.getByLabelText("Email for your eSIM");
    const hintId = email.getAttribute("aria-describedby")!.split(" ")[0];
    const hint = document.getElementById(hintId)!.textContent!;
    expect(hint).toMatch(/Your eSIM and its private link appear on the next page/);
    expect(hint).not.toMatch(/send/i);
  });

  it("buys a package and opens the private order link", async () => {
    const { requests } = stubFetch({
      "GET /api/catalog/packages?country=JP": { body: PACKAGES },
      "GET /api/catalog/countries": { body: COUNTRIES },
      "POST /api/orders": { status: 201, body: { id: "o9", status: "pending_payment", total: PACKAGES[0].price, access_token: "tok-9" } },
    });
    const user = userEvent.setup();
    const router = await renderCountry();

    await user.click(await screen.findByRole("button", { name: "Buy Japan 1 GB" }));
    expect(screen.queryByRole("button", { name: "Buy Japan 1 GB" })).toBeNull();
    await user.type(screen.getByLabelText("Email for your eSIM"), "traveller@example.com");
    await user.click(screen.getByRole("button", { name: /Continue to payment/ }));

    await waitForRoute(router, "order");
    expect(requests.at(-1)!.body).toEqual({ package_id: "p1", email: "traveller@example.com" });
    expect(router.currentRoute.value.params.id).toBe("o9");
    expect(router.currentRoute.value.hash).toBe("#token=tok-9");
    expect(loadOrderToken("o9")).toBe("tok-9");
    expect(requests.at(-1)!.headers["X-CSRF-Token"]).toBeUndefined();
  });

  it("sends the customer CSRF token", async () => {
    signInCustomer("customer-csrf", "ada@example.com");
    const { requests } = stubFetch({
      "GET /api/catalog/packages?country=JP": { body: PACKAGES },
      "GET /api/catalog/countries": { body: COUNTRIES },
      "POST /api/orders": { status: 201, body: { id: "o8", status: "pending_payment", total: PACKAGES[0].price, access_token: "tok-8" } },
    });
    const user = userEvent.setup();
    const router = await renderCountry();

    await user.click(await screen.findByRole("button", { name: "Buy Japan 1 GB" }));
    expect((screen.getByLabelText("Email for your eSIM") as HTMLInputElement).value).toBe("ada@example.com");
    expect(screen.getByText(/Signed in as ada@example.com/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: /Continue to payment/ }));

    await waitForRoute(router, "order");
    const post = requests.at(-1)!;
    expect(post.headers["X-CSRF-Token"]).toBe("customer-csrf");
    expect(post.credentials).toBe("same-origin");
  });

  it("asks to sign in after CSRF rejection", async () => {
    signInCustomer("stale-csrf", "ada@example.com");
    stubFetch({
      "GET /api/catalog/packages?country=JP": { body: PACKAGES },
      "GET /api/catalog/countries": { body: COUNTRIES },
      "POST /api/orders": apiError(403, "csrf_token_invalid", "missing or invalid X-CSRF-Token header"),
    });
    const user = userEvent.setup();
    await renderCountry();

    await user.click(await screen.findByRole("button", { name: "Buy Japan 1 GB" }));
    await user.click(screen.getByRole("button", { name: /Continue to payment/ }));

    const alert = await screen.findByText(/Sign in again to place the order/);
    expect(alert.getAttribute("role")).toBe("alert");
    expect(localStorage.getItem("esimscan.customer")).toBeNull();
  });

  it("shows an email error beside the email input", async () => {
    stubFetch({
      "GET /api/catalog/packages?country=JP": { body: PACKAGES },
      "GET /api/catalog/countries": { body: COUNTRIES },
      "POST /api/orders": apiError(422, "invalid", "enter a valid email address", "email"),
    });
    const user = userEvent.setup();
    await renderCountry();

    await user.click(await screen.findByRole("button", { name: "Buy Japan 1 GB" }));
    await user.type(screen.getByLabelText("Email for your eSIM"), "nope");
    await user.click(screen.getByRole("button", { name: /Continue to payment/ }));

    await screen.findByText("enter a valid email address");
    expect(screen.getByLabelText("Email for your eSIM").getAttribute("aria-invalid")).toBe("true");
  });
});

async function waitForRoute(router: Awaited<ReturnType<typeof routerAt>>, name: string) {
  const deadline = Date.now() + 2_000;
  while (router.currentRoute.value.name !== name) {
    if (Date.now() > deadline) {
      throw new Error(`route ${name} not reached; at ${String(router.currentRoute.value.name)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
