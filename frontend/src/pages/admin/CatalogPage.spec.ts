import { render, screen, waitFor } from "@testing-library/vue";
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
      // The server responds with the package as it is now.
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

  it("rejects a huge override beside the field", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/catalog/packages?provider=esim-access": { body: [{ ...PACKAGE, margin_override: 30 }] },
      ...PROVIDER,
    });
    const user = userEvent.setup();
    await renderPage();

    const input = await screen.findByLabelText("Margin override for Japan 1 GB");
    await user.clear(input);
    await user.type(input, "9".repeat(400));
    await user.click(screen.getByRole("button", { name: "Save Japan 1 GB" }));

    await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    const errorId = input.getAttribute("aria-describedby")!.split(" ").at(-1)!;
    expect(document.getElementById(errorId)!.textContent).toMatch(/from 0 to 100 with at most two decimals/);
    expect(requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
    expect(screen.queryByRole("button", { name: "Save Japan 1 GB" })!.textContent!.trim()).toBe("Save");
  });

  it("rejects three decimals and text", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/catalog/packages?provider=esim-access": { body: [PACKAGE] },
      ...PROVIDER,
    });
    const user = userEvent.setup();
    await renderPage();

    const input = await screen.findByLabelText("Margin override for Japan 1 GB");
    for (const typed of ["12.345", "twelve", "100.01", "-5"]) {
      await user.clear(input);
      await user.type(input, typed);
      await user.click(screen.getByRole("button", { name: "Save Japan 1 GB" }));
      await waitFor(() => expect(input.getAttribute("aria-invalid")).toBe("true"));
    }
    expect(requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
  });

  it("sends null only for an emptied field", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/catalog/packages?provider=esim-access": { body: [{ ...PACKAGE, margin_override: 30 }] },
      "PATCH /api/admin/catalog/packages/pkg1": { body: PACKAGE },
      ...PROVIDER,
    });
    const user = userEvent.setup();
    await renderPage();

    expect(screen.getByText(/Leave Override empty and save to use the provider's margin/)).toBeTruthy();
    await user.clear(await screen.findByLabelText("Margin override for Japan 1 GB"));
    await user.click(screen.getByRole("button", { name: "Save Japan 1 GB" }));

    await waitFor(() => expect(requests.filter((r) => r.method === "PATCH")).toHaveLength(1));
    expect(requests.find((r) => r.method === "PATCH")!.body).toEqual({ margin_override: null, enabled: true });
  });

  it("filters and pages a long catalog", async () => {
    const many = Array.from({ length: 120 }, (_, index) => ({
      ...PACKAGE,
      id: `pkg${index}`,
      provider_package_id: `CODE-${index}`,
      name: index % 2 === 0 ? `Japan plan ${index}` : `France plan ${index}`,
      countries: [index % 2 === 0 ? "JP" : "FR"],
    }));
    stubFetch({ "GET /api/admin/catalog/packages?provider=esim-access": { body: many }, ...PROVIDER });
    const user = userEvent.setup();
    await renderPage();

    await screen.findByText("Packages 1–50 of 120");
    expect(screen.getAllByRole("button", { name: /^Save / })).toHaveLength(50);
    expect(screen.getByText("Page 1 of 3")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Next page" }));
    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(screen.getByText("Page 3 of 3")).toBeTruthy();
    expect(screen.getAllByRole("button", { name: /^Save / })).toHaveLength(20);
    expect((screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement).disabled).toBe(true);

    await user.type(screen.getByLabelText("Filter packages"), "france");
    expect(screen.getByText("Packages 1–50 of 60 matching of 120")).toBeTruthy();
    expect(screen.getByText("Page 1 of 2")).toBeTruthy();
    expect(screen.queryByText("Japan plan 0")).toBeNull();

    await user.clear(screen.getByLabelText("Filter packages"));
    await user.type(screen.getByLabelText("Filter packages"), "code-7 ");
    expect(screen.getAllByRole("button", { name: /^Save / }).length).toBe(11);

    await user.type(screen.getByLabelText("Filter packages"), "nothing-like-this");
    expect(screen.getByText("No package matches “code-7 nothing-like-this”.")).toBeTruthy();
  });
});
