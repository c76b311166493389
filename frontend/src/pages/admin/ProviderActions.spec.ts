import { fireEvent, render, screen } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, type ProviderView, type SyncStatus } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import ProviderActions from "./ProviderActions.vue";

const VIEW: ProviderView = {
  slug: "esim-access",
  name: "eSIM Access",
  configured: true,
  enabled: false,
  base_url: "https://api.esimaccess.com",
  margin_percent: 20,
  sync_interval_minutes: 1440,
  rate_limit_per_hour: null,
  credentials: { access_code: "set", secret_key: "set" },
  advanced: {},
  last_test: null,
  last_sync: null,
};

function syncStatus(status: SyncStatus["status"], seen: number, extra: Partial<SyncStatus> = {}) {
  return {
    body: {
      status,
      packages_seen: seen,
      packages_added: status === "completed" ? seen : 0,
      packages_changed: 0,
      packages_removed: 0,
      started_at: "2026-01-01T00:00:00Z",
      finished_at: null,
      message: "",
      ...extra,
    },
  };
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
  vi.useRealTimers();
});

describe("ProviderActions", () => {
  it("shows the balance of a passing test", async () => {
    stubFetch({ "POST /api/admin/providers/esim-access/test": { body: { ok: true, balance: { amount: "125.50", currency: "USD" } } } });
    const user = userEvent.setup();
    render(ProviderActions, { props: { view: VIEW } });

    await user.click(screen.getByRole("button", { name: "Test" }));

    await screen.findByText("Connection works. Balance: $125.50");
  });

  it("shows the cause and message of a failing test", async () => {
    stubFetch({
      "POST /api/admin/providers/esim-access/test": {
        body: { ok: false, cause: "not_found", message: "POST /api/v1/open/getMerchantBalance returned 404" },
      },
    });
    const user = userEvent.setup();
    render(ProviderActions, { props: { view: VIEW } });

    await user.click(screen.getByRole("button", { name: "Test" }));

    await screen.findByText(/Test failed: Wrong base URL or path\. POST \/api\/v1\/open\/getMerchantBalance returned 404/);
  });

  it("shows sync progress until the sync completes", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({
      "POST /api/admin/providers/esim-access/sync": { status: 202, body: { sync_id: "s1" } },
      "GET /api/admin/providers/esim-access/syncs/s1": [syncStatus("running", 40), syncStatus("running", 90), syncStatus("completed", 120)],
    });
    const { emitted } = render(ProviderActions, { props: { view: VIEW } });

    await fireEvent.click(screen.getByRole("button", { name: "Sync" }));
    await vi.waitFor(() => screen.getByText(/Syncing: 40 packages seen so far/));
    await vi.advanceTimersByTimeAsync(2_000);

    await vi.waitFor(() => screen.getByText(/Sync completed: 120 seen, 120 added, 0 changed, 0 removed/));
    expect(requests.filter((r) => r.path.includes("/syncs/"))).toHaveLength(3);
    expect(emitted().changed).toBeTruthy();
  });

  it("shows the cause of a failed sync", async () => {
    stubFetch({
      "POST /api/admin/providers/esim-access/sync": { status: 202, body: { sync_id: "s2" } },
      "GET /api/admin/providers/esim-access/syncs/s2": syncStatus("failed", 3, { cause: "timeout", message: "sync budget of 1800 s used up" }),
    });
    const user = userEvent.setup();
    render(ProviderActions, { props: { view: VIEW } });

    await user.click(screen.getByRole("button", { name: "Sync" }));

    await screen.findByText(/Sync failed: Provider timed out\. sync budget of 1800 s used up/);
  });

  it("shows why enabling was rejected", async () => {
    const { requests } = stubFetch({
      "POST /api/admin/providers/esim-access/enable": apiError(409, "provider_not_tested", "test the provider successfully before enabling it"),
    });
    const user = userEvent.setup();
    const tested = { ...VIEW, last_test: { ok: true, at: "2026-01-01T00:00:00Z", message: "" } };
    render(ProviderActions, { props: { view: tested } });

    await user.click(screen.getByRole("button", { name: "Enable" }));

    await screen.findByText("test the provider successfully before enabling it");
    expect(screen.getByRole("alert").textContent).toBe("test the provider successfully before enabling it");
    expect(requests[0].headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("offers Disable for an enabled provider", async () => {
    const { requests } = stubFetch({ "POST /api/admin/providers/esim-access/disable": { body: {} } });
    const user = userEvent.setup();
    render(ProviderActions, { props: { view: { ...VIEW, enabled: true } } });

    await user.click(screen.getByRole("button", { name: "Disable" }));

    expect(requests[0].path).toBe("/api/admin/providers/esim-access/disable");
  });

  it("disables Test and Sync until saved", () => {
    stubFetch({});
    render(ProviderActions, { props: { view: { ...VIEW, configured: false } } });

    const reason = "Save the settings first: Test and Sync use the saved settings.";
    expect(screen.getByText(reason)).toBeTruthy();
    for (const name of ["Test", "Sync"]) {
      const button = screen.getByRole("button", { name }) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.getAttribute("aria-describedby")).toBe("connect-reason");
    }
  });

  it("disables Enable until a test passes", async () => {
    stubFetch({ "POST /api/admin/providers/esim-access/test": { body: { ok: true } } });
    const user = userEvent.setup();
    render(ProviderActions, { props: { view: VIEW } });

    const enable = screen.getByRole("button", { name: "Enable" }) as HTMLButtonElement;
    expect(enable.disabled).toBe(true);
    expect(screen.getByText("Run a successful test before you enable the provider.")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Test" }) as HTMLButtonElement).disabled).toBe(false);

    await user.click(screen.getByRole("button", { name: "Test" }));

    await screen.findByText("Connection works. The provider reported no balance.");
    expect(enable.disabled).toBe(false);
    expect(screen.queryByText("Run a successful test before you enable the provider.")).toBeNull();
  });

  it("keeps Enable disabled after a failing test", async () => {
    stubFetch({});
    const failed = { ...VIEW, last_test: { ok: false, at: "2026-01-01T00:00:00Z", message: "401", cause: "credentials" as const } };
    render(ProviderActions, { props: { view: failed } });

    expect((screen.getByRole("button", { name: "Enable" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
