import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { defineComponent, h } from "vue";
import { RouterView } from "vue-router";
import { api } from "../../api";
import { adminSession } from "../../lib/admin-session";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";

const Root = defineComponent({ render: () => h(RouterView) });
const PROVIDERS = [
  { slug: "esim-access", name: "eSIM Access", configured: false, enabled: false, last_test: null, last_sync: null },
];

async function renderAdmin() {
  const router = await routerAt("/admin");
  render(Root, { global: { plugins: [router] } });
}

const INSTALLED = { "GET /api/install": { body: { installed: true } } };
const SESSION = { body: { csrf_token: "csrf-from-session", admin: { id: "a1", email: "owner@example.com" } } };
const NO_SESSION = apiError(401, "unauthenticated", "sign in as an admin first");

beforeEach(() => {
  adminSession.state = "unknown";
  adminSession.notice = "";
  adminSession.email = "";
  api.http.csrfToken = null;
});

describe("admin area", () => {
  it("installs a new store, then signs in", async () => {
    const { requests } = stubFetch({
      "GET /api/install": { body: { installed: false } },
      "GET /api/store": { body: { name: "Wanderdata" } },
      "GET /api/admin/providers": { body: PROVIDERS },
      "POST /api/install": { status: 201, body: {} },
      "POST /api/auth/login": { body: { csrf_token: "csrf-abc", admin: { id: "a1", email: "owner@example.com" } } },
    });
    const user = userEvent.setup();
    await renderAdmin();

    await screen.findByRole("heading", { name: "Set up your store" });
    await user.type(screen.getByLabelText("Store name"), "Wanderdata");
    await user.type(screen.getByLabelText("Admin email"), "owner@example.com");
    await user.type(screen.getByLabelText("Admin password"), "long-password-1");
    await user.click(screen.getByRole("button", { name: "Install store" }));

    await screen.findByRole("heading", { name: "Admin sign in" });
    expect((screen.getByLabelText("Email") as HTMLInputElement).value).toBe("owner@example.com");
    await user.type(screen.getByLabelText("Password"), "long-password-1");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    const nav = await screen.findByRole("navigation", { name: "Admin" });
    await screen.findByRole("link", { name: "eSIM Access" });
    expect(within(nav).getByRole("link", { name: "Customers" }).getAttribute("href")).toBe("/admin/customers");
    expect(screen.getByText("owner@example.com")).toBeTruthy();
    expect(requests.find((r) => r.path === "/api/install" && r.method === "POST")!.body).toEqual({
      store_name: "Wanderdata",
      admin_email: "owner@example.com",
      admin_password: "long-password-1",
    });
    expect(api.http.csrfToken).toBe("csrf-abc");
    expect(sessionStorage.length).toBe(0);
    await waitFor(() => expect(document.title).toBe("Wanderdata"));
  });

  it("shows installer field errors beside their inputs", async () => {
    stubFetch({
      "GET /api/install": { body: { installed: false } },
      "POST /api/install": apiError(422, "invalid", "admin password must have at least 10 characters", "admin_password"),
    });
    const user = userEvent.setup();
    await renderAdmin();

    await user.click(await screen.findByRole("button", { name: "Install store" }));

    await screen.findByText("admin password must have at least 10 characters");
    expect(screen.getByLabelText("Admin password").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText("Store name").getAttribute("aria-invalid")).toBeNull();
  });

  it("asks to sign in without a session", async () => {
    const { requests } = stubFetch({ ...INSTALLED, "GET /api/auth/session": NO_SESSION });
    await renderAdmin();

    await screen.findByRole("heading", { name: "Admin sign in" });
    expect(requests.map((r) => r.path)).toEqual(["/api/install", "/api/auth/session"]);
  });

  it("resumes the session in a new tab", async () => {
    const { requests } = stubFetch({
      ...INSTALLED,
      "GET /api/auth/session": SESSION,
      "GET /api/admin/providers": { body: PROVIDERS },
      "POST /api/admin/projections/rebuild": { status: 202, body: {} },
    });
    await renderAdmin();

    await screen.findByRole("navigation", { name: "Admin" });
    expect(screen.getByText(/Signed in as/).textContent).toBe("Signed in as owner@example.com");
    await api.admin.rebuildProjections();

    const rebuild = requests.find((r) => r.path === "/api/admin/projections/rebuild")!;
    expect(rebuild.headers["X-CSRF-Token"]).toBe("csrf-from-session");
  });

  it("signs out and returns to sign in", async () => {
    const { requests } = stubFetch({
      ...INSTALLED,
      "GET /api/auth/session": SESSION,
      "GET /api/admin/providers": { body: PROVIDERS },
      "POST /api/auth/logout": { status: 204 },
    });
    const user = userEvent.setup();
    await renderAdmin();

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    await screen.findByRole("heading", { name: "Admin sign in" });
    expect(screen.getByText("You are signed out.")).toBeTruthy();
    const logout = requests.find((r) => r.path === "/api/auth/logout")!;
    expect(logout.method).toBe("POST");
    expect(logout.headers["X-CSRF-Token"]).toBe("csrf-from-session");
    expect(api.http.csrfToken).toBeNull();
  });

  it("reports a wrong password in the alert", async () => {
    stubFetch({
      ...INSTALLED,
      "GET /api/auth/session": NO_SESSION,
      "POST /api/auth/login": apiError(401, "invalid_credentials", "invalid email or password"),
    });
    const user = userEvent.setup();
    await renderAdmin();

    await user.type(await screen.findByLabelText("Email"), "owner@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await waitFor(() =>
      expect(screen.getAllByRole("alert").map((alert) => alert.textContent)).toContain("invalid email or password"),
    );
  });

  it("returns to sign in when the session ends", async () => {
    stubFetch({
      ...INSTALLED,
      "GET /api/auth/session": SESSION,
      "GET /api/admin/providers": [{ body: PROVIDERS }, apiError(401, "unauthenticated", "session expired")],
    });
    await renderAdmin();
    await screen.findByRole("navigation", { name: "Admin" });

    await expect(api.admin.providers()).rejects.toThrow();

    await screen.findByRole("heading", { name: "Admin sign in" });
    expect(screen.getByText("Your session has ended. Sign in again.")).toBeTruthy();
    expect(api.http.csrfToken).toBeNull();
  });
});
