import { render, screen, waitFor } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type ProviderView } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import ProviderForm from "./ProviderForm.vue";

function esimAccessView(overrides: Partial<ProviderView> = {}): ProviderView {
  return {
    slug: "esim-access",
    name: "eSIM Access",
    configured: true,
    enabled: false,
    base_url: "https://api.esimaccess.com",
    margin_percent: 15,
    sync_interval_minutes: 1440,
    rate_limit_per_hour: null,
    credentials: { access_code: "set", secret_key: "missing" },
    advanced: {},
    last_test: null,
    last_sync: null,
    ...overrides,
  };
}

const SANDBOX = {
  providers: {
    "esim-access": {
      base_url: "http://127.0.0.1:9/sandbox",
      credentials: { access_code: "sandbox-code", secret_key: "sandbox-key" },
    },
  },
};

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("ProviderForm", () => {
  it("shows secrets as empty password inputs with their state", async () => {
    stubFetch({ "GET /api/admin/sandbox": apiError(404, "not_found", "no route") });
    render(ProviderForm, { props: { view: esimAccessView() } });

    const accessCode = screen.getByLabelText("Access code") as HTMLInputElement;
    const secretKey = screen.getByLabelText("Secret key") as HTMLInputElement;

    expect(accessCode.type).toBe("password");
    expect(accessCode.value).toBe("");
    expect(secretKey.value).toBe("");
    expect(document.getElementById(accessCode.getAttribute("aria-describedby")!.split(" ")[0])!.textContent).toBe("set");
    expect(document.getElementById(secretKey.getAttribute("aria-describedby")!.split(" ")[0])!.textContent).toBe("missing");
  });

  it("shows the advanced defaults as placeholders", async () => {
    stubFetch({ "GET /api/admin/sandbox": apiError(404, "not_found", "no route") });
    render(ProviderForm, { props: { view: esimAccessView() } });

    expect(screen.getByLabelText("Balance path").getAttribute("placeholder")).toBe("/api/v1/open/balance/query");
    expect((screen.getByLabelText("Balance path") as HTMLInputElement).value).toBe("");
  });

  it("saves numbers without blank secrets", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
      "PUT /api/admin/providers/esim-access": { body: esimAccessView() },
    });
    const user = userEvent.setup();
    const { emitted } = render(ProviderForm, { props: { view: esimAccessView() } });

    await user.clear(screen.getByLabelText("Margin (%)"));
    await user.type(screen.getByLabelText("Margin (%)"), "12.5");
    await user.type(screen.getByLabelText("Secret key"), "new-secret");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    await screen.findByText("Settings saved.");
    const put = requests.find((r) => r.method === "PUT")!;
    expect(put.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(put.body).toEqual({
      base_url: "https://api.esimaccess.com",
      margin_percent: 12.5,
      sync_interval_minutes: 1440,
      rate_limit_per_hour: null,
      credentials: { secret_key: "new-secret" },
      advanced: {},
    });
    expect((screen.getByLabelText("Secret key") as HTMLInputElement).value).toBe("");
    expect(emitted().saved).toHaveLength(1);
  });

  it("shows a field error beside its input and announces it", async () => {
    stubFetch({
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
      "PUT /api/admin/providers/esim-access": apiError(422, "invalid", "sync interval must be from 5 to 525600", "sync_interval_minutes"),
    });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView() } });

    await user.clear(screen.getByLabelText("Sync interval (minutes)"));
    await user.type(screen.getByLabelText("Sync interval (minutes)"), "1");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    const interval = screen.getByLabelText("Sync interval (minutes)");
    await waitFor(() => expect(interval.getAttribute("aria-invalid")).toBe("true"));
    const errorId = interval.getAttribute("aria-describedby")!.split(" ").at(-1)!;
    const error = document.getElementById(errorId)!;
    expect(error.textContent).toBe("sync interval must be from 5 to 525600");
    expect(error.getAttribute("aria-live")).toBe("polite");
    expect(screen.getByRole("alert").textContent).toBe("");
  });

  it("rejects a bad margin without a request", async () => {
    const { requests } = stubFetch({ "GET /api/admin/sandbox": apiError(404, "not_found", "no route") });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView() } });

    for (const typed of ["140", "9".repeat(400), "12.345", "abc"]) {
      await user.clear(screen.getByLabelText("Margin (%)"));
      await user.type(screen.getByLabelText("Margin (%)"), typed);
      await user.click(screen.getByRole("button", { name: "Save settings" }));

      const margin = screen.getByLabelText("Margin (%)");
      await waitFor(() => expect(margin.getAttribute("aria-invalid")).toBe("true"));
      expect(screen.getByText(/Enter a number from 0 to 100 with at most two decimals/)).toBeTruthy();
    }
    expect(requests.filter((r) => r.method === "PUT")).toHaveLength(0);
  });

  it("shows a credential error beside it", async () => {
    stubFetch({
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
      "PUT /api/admin/providers/esim-access": apiError(422, "invalid", "secret_key is required", "credentials.secret_key"),
    });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView() } });

    await user.click(screen.getByRole("button", { name: "Save settings" }));

    const secretKey = screen.getByLabelText("Secret key");
    await waitFor(() => expect(secretKey.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("secret_key is required")).toBeTruthy();
  });

  it("puts an error of no shown field in the alert", async () => {
    stubFetch({
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
      "PUT /api/admin/providers/esim-access": apiError(409, "conflict", "another admin saved this provider"),
    });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView() } });

    await user.click(screen.getByRole("button", { name: "Save settings" }));

    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("another admin saved this provider"));
  });

  it("fills base URL and credentials from the sandbox", async () => {
    stubFetch({ "GET /api/admin/sandbox": { body: SANDBOX } });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView({ base_url: "", configured: false }) } });

    await user.click(await screen.findByRole("button", { name: "Use sandbox settings" }));

    expect((screen.getByLabelText("Base URL") as HTMLInputElement).value).toBe("http://127.0.0.1:9/sandbox");
    expect((screen.getByLabelText("Access code") as HTMLInputElement).value).toBe("sandbox-code");
    expect((screen.getByLabelText("Secret key") as HTMLInputElement).value).toBe("sandbox-key");
  });

  it("keeps a typed margin when filling the sandbox", async () => {
    stubFetch({ "GET /api/admin/sandbox": { body: SANDBOX } });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: esimAccessView({ margin_percent: 15 }) } });

    await user.click(await screen.findByRole("button", { name: "Use sandbox settings" }));

    expect((screen.getByLabelText("Margin (%)") as HTMLInputElement).value).toBe("15");
  });

  it("replaces the zeros of an unsaved provider", async () => {
    // The server's view of a provider never saved: zeros, not nulls.
    const unsaved = esimAccessView({
      configured: false,
      base_url: "",
      margin_percent: 0,
      sync_interval_minutes: 0,
      credentials: { access_code: "missing", secret_key: "missing" },
      version: 0,
      advanced_defaults: {},
      sandbox: false,
    });
    const { requests } = stubFetch({
      "GET /api/admin/sandbox": { body: SANDBOX },
      "PUT /api/admin/providers/esim-access": { body: esimAccessView({ margin_percent: 20 }) },
    });
    const user = userEvent.setup();
    render(ProviderForm, { props: { view: unsaved } });

    expect((screen.getByLabelText("Margin (%)") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Sync interval (minutes)") as HTMLInputElement).value).toBe("1440");
    await user.clear(screen.getByLabelText("Sync interval (minutes)"));
    await user.click(await screen.findByRole("button", { name: "Use sandbox settings" }));
    expect((screen.getByLabelText("Margin (%)") as HTMLInputElement).value).toBe("20");
    expect((screen.getByLabelText("Sync interval (minutes)") as HTMLInputElement).value).toBe("1440");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    await screen.findByText("Settings saved.");
    const put = requests.find((r) => r.method === "PUT")!;
    expect(put.body).toMatchObject({ margin_percent: 20, sync_interval_minutes: 1440 });
  });

  it("shows non-text advanced values as JSON", async () => {
    stubFetch({ "GET /api/admin/sandbox": apiError(404, "not_found", "no route") });
    render(ProviderForm, { props: { view: esimAccessView({ advanced: { package_list_body: { type: "BASE" } } }) } });

    const body = screen.getByLabelText("Package list request body (JSON)") as HTMLTextAreaElement;
    expect(body.value).toBe('{"type":"BASE"}');
  });

  it("offers no sandbox button without a sandbox", async () => {
    const { fetchStub } = stubFetch({ "GET /api/admin/sandbox": apiError(404, "not_found", "no route") });
    render(ProviderForm, { props: { view: esimAccessView() } });

    await waitFor(() => expect(fetchStub).toHaveBeenCalled());
    expect(screen.queryByRole("button", { name: "Use sandbox settings" })).toBeNull();
  });

  it("asks Maya for its authentication mode", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
      "PUT /api/admin/providers/maya": { body: {} },
    });
    const user = userEvent.setup();
    const view = esimAccessView({ slug: "maya", name: "Maya", credentials: { api_key: "set", api_secret: "set" }, auth_mode: "basic" });
    render(ProviderForm, { props: { view } });

    await user.selectOptions(screen.getByLabelText("Authentication mode"), "bearer");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    await screen.findByText("Settings saved.");
    const put = requests.find((r) => r.method === "PUT")!;
    expect((put.body as { credentials: Record<string, string> }).credentials).toEqual({ auth_mode: "bearer" });
    expect(screen.queryByLabelText("Package list request body (JSON)")).toBeNull();
  });
});
