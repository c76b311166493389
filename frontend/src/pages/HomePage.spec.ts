import { render, screen, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { readiness } from "../lib/readiness";
import { stubFetch } from "../test/fetch-stub";
import { routerAt } from "../test/router";
import HomePage from "./HomePage.vue";

const COUNTRIES = [
  { code: "JP", name: "Japan", packages: 7, from_price: { amount: "3.84", currency: "USD" } },
  { code: "FR", name: "France", packages: 1, from_price: { amount: "1200", currency: "JPY" } },
];
const REGIONS = [{ code: "EU", name: "Europe", countries: ["FR", "DE"], packages: 2, from_price: { amount: "14.40", currency: "USD" } }];

async function renderHome() {
  const router = await routerAt("/");
  render(HomePage, { global: { plugins: [router] } });
}

describe("HomePage", () => {
  it("lists countries with count and price", async () => {
    stubFetch({ "GET /api/catalog/countries": { body: COUNTRIES }, "GET /api/catalog/regions": { body: REGIONS } });
    await renderHome();

    const japan = await screen.findByRole("link", { name: /Japan/ });
    expect(japan.getAttribute("href")).toBe("/countries/JP");
    expect(within(japan).getByText("7 packages")).toBeTruthy();
    expect(within(japan).getByText("from $3.84")).toBeTruthy();
    const france = screen.getByRole("link", { name: /France/ });
    expect(within(france).getByText("1 package")).toBeTruthy();
    expect(within(france).getByText("from ¥1,200")).toBeTruthy();
    const names = screen.getAllByRole("link").map((link) => link.querySelector(".tile__name")?.textContent);
    expect(names).toEqual(["France", "Japan", "Europe"]);
  });

  it("lists regions with their countries", async () => {
    stubFetch({ "GET /api/catalog/countries": { body: COUNTRIES }, "GET /api/catalog/regions": { body: REGIONS } });
    await renderHome();

    const europe = await screen.findByRole("link", { name: /Europe/ });
    expect(europe.getAttribute("href")).toBe("/regions/EU");
    expect(within(europe).getByText("2 countries · 2 packages")).toBeTruthy();
  });

  it("filters countries by the search term", async () => {
    stubFetch({ "GET /api/catalog/countries": { body: COUNTRIES }, "GET /api/catalog/regions": { body: [] } });
    const user = userEvent.setup();
    await renderHome();

    await user.type(await screen.findByLabelText("Search countries"), "jap");

    expect(screen.queryByRole("link", { name: /France/ })).toBeNull();
    expect(screen.getByRole("link", { name: /Japan/ })).toBeTruthy();
  });

  it("says when the store cannot be reached", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("fetch failed"))));
    await renderHome();

    const alert = await screen.findByText(/Could not reach the store/);
    expect(alert.getAttribute("role")).toBe("alert");
  });

  it("reloads once the store has caught up", async () => {
    const partial = [COUNTRIES[0]];
    stubFetch({
      "GET /api/catalog/countries": [{ body: partial }, { body: COUNTRIES }],
      "GET /api/catalog/regions": { body: REGIONS },
    });
    await renderHome();
    await screen.findByRole("link", { name: /Japan/ });
    expect(screen.queryByRole("link", { name: /France/ })).toBeNull();

    readiness.caughtUpCount += 1;

    await screen.findByRole("link", { name: /France/ });
  });
});
