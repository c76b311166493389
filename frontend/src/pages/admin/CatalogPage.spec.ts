import { render, screen } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type AdminPackage } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import CatalogPage from "./CatalogPage.vue";

const PACKAGE: AdminPackage = {
  id: "pkg1",
  provider: "esim-access",
  provider_package_id: "JP-1GB-7D",
  name: "Japan 1 GB",
  countries: ["JP"],
  data_mb: 1024,
  unlimited: false,
  validity_days: 7,
  price: { amount: "3.84", currency: "USD" },
  wholesale: { amount: "3.2000", currency: "USD" },
  margin_percent: 20,
  margin_override: null,
  enabled: true,
  withdrawn: false,
};

const PROVIDER = { "GET /api/admin/providers/esim-access": { body: { slug: "esim-access", name: "eSIM Access" } } };

async function renderPage() {
  const router = await routerAt("/admin/providers/esim-access/catalog");
  return render(CatalogPage, { props: { slug: "esim-access" }, global: { plugins: [router] } });
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("CatalogPage", () => {
  it("saves a margin override and takes a package off sale", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/catalog/packages?provider=esim-access": { body: [PACKAGE] },
      // The server answers with the package as it is now.
      "PATCH /api/admin/catalog/packages/pkg1": { body: { ...PACKAGE, margin_override: 12.5, enabled: false } },
      ...PROVIDER,
    });
    const user = userEvent.setup();
    await renderPage();

    expect(await screen.findByRole("heading", { name: "Catalog of eSIM Access" })).toBeTruthy();
    await user.type(await screen.findByLabelText("Margin override for Japan 1 GB"), "12.5");
    await user.click(screen.getByLabelText("Japan 1 GB on sale"));
    await user.click(screen.getByRole("button", { name: "Save Japan 1 GB" }));

    await screen.findByRole("button", { name: "Save Japan 1 GB" });
    const patch = requests.find((r) => r.method === "PATCH")!;
    expect(patch.body).toEqual({ margin_override: 12.5, enabled: false });
    expect(patch.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(screen.getByText("$3.2000")).toBeTruthy();
  });

  it("clears an override, showing its error", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/catalog/packages?provider=esim-access": { body: [{ ...PACKAGE, margin_override: 30 }] },
      "PATCH /api/admin/catalog/packages/pkg1": apiError(422, "invalid", "margin must be from 0 to 100", "margin_override"),
      ...PROVIDER,
    });
    const user = userEvent.setup();
    await renderPage();

    await user.clear(await screen.findByLabelText("Margin override for Japan 1 GB"));
    await user.click(screen.getByRole("button", { name: "Save Japan 1 GB" }));

    await screen.findByText("margin must be from 0 to 100");
    expect((requests.find((r) => r.method === "PATCH")!.body as { margin_override: unknown }).margin_override).toBeNull();
    expect(screen.getByLabelText("Margin override for Japan 1 GB").getAttribute("aria-invalid")).toBe("true");
  });
});
