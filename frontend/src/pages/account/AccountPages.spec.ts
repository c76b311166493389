import { render, screen, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import type { Component } from "vue";
import type { CustomerOrder } from "../../api";
import App from "../../App.vue";
import { customerSession, forgetCustomer, signInCustomer } from "../../lib/customer-session";
import { saveOrderToken } from "../../lib/order-token";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import LoginPage from "./LoginPage.vue";
import OrdersPage from "./OrdersPage.vue";
import RegisterPage from "./RegisterPage.vue";
import ResetConfirmPage from "./ResetConfirmPage.vue";
import ResetRequestPage from "./ResetRequestPage.vue";
import VerifyPage from "./VerifyPage.vue";

async function renderAt(page: Component, path: string) {
  const router = await routerAt(path);
  render(page, { global: { plugins: [router] } });
  return router;
}

afterEach(() => forgetCustomer());

describe("RegisterPage", () => {
  it("registers and says a confirmation link was sent", async () => {
    const { requests } = stubFetch({ "POST /api/customers/register": { status: 201, body: { registered: true } } });
    const user = userEvent.setup();
    await renderAt(RegisterPage, "/account/register");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect((await screen.findByRole("status")).textContent).toMatch(/confirmation link to ada@example.com/);
    expect(requests[0].body).toEqual({ email: "ada@example.com", password: "correct horse battery" });
  });

  it("shows a password error beside the password input", async () => {
    stubFetch({ "POST /api/customers/register": apiError(422, "invalid", "password must be at least 12 characters", "password") });
    const user = userEvent.setup();
    await renderAt(RegisterPage, "/account/register");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    const error = await screen.findByText("password must be at least 12 characters");
    const password = screen.getByLabelText("Password");
    expect(password.getAttribute("aria-invalid")).toBe("true");
    expect(password.getAttribute("aria-describedby")).toContain(error.id);
    expect(screen.getByLabelText("Email").getAttribute("aria-invalid")).toBeNull();
  });
});

describe("VerifyPage", () => {
  it("sends the token from the link", async () => {
    const { requests } = stubFetch({ "POST /api/customers/verify": { body: { verified: true } } });
    await renderAt(VerifyPage, "/account/verify?token=verify-1");

    expect((await screen.findByText(/Your address is confirmed/)).textContent).toMatch(/Sign in/);
    expect(requests[0].body).toEqual({ token: "verify-1" });
  });

  it("shows why a token was refused", async () => {
    stubFetch({ "POST /api/customers/verify": apiError(422, "invalid_token", "the link has expired", "token") });
    await renderAt(VerifyPage, "/account/verify?token=old");

    await screen.findByText(/the link has expired/);
    expect(screen.getByRole("alert").textContent).toMatch(/expired/);
  });

  it("explains a link without token", async () => {
    const { fetchStub } = stubFetch({});
    await renderAt(VerifyPage, "/account/verify");

    expect((await screen.findByRole("alert")).textContent).toMatch(/no confirmation code/);
    expect(fetchStub).not.toHaveBeenCalled();
  });
});

describe("LoginPage", () => {
  it("signs in and keeps CSRF token", async () => {
    stubFetch({ "POST /api/customers/login": { body: { csrf_token: "csrf-1" } }, "GET /api/customers/me/orders": { body: [] } });
    const user = userEvent.setup();
    const router = await renderAt(LoginPage, "/account/login");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await expect.poll(() => router.currentRoute.value.name).toBe("account-orders");
    expect(customerSession.signedIn).toBe(true);
    expect(customerSession.email).toBe("ada@example.com");
    expect(JSON.parse(localStorage.getItem("esimscan.customer")!)).toEqual({ csrf_token: "csrf-1", email: "ada@example.com" });
  });

  it("alerts on wrong credentials", async () => {
    stubFetch({ "POST /api/customers/login": apiError(401, "invalid_credentials", "invalid email or password") });
    const user = userEvent.setup();
    await renderAt(LoginPage, "/account/login");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect((await screen.findByRole("alert")).textContent).toMatch(/invalid email or password/);
    expect(customerSession.signedIn).toBe(false);
  });

  it("shows an email error beside the email input", async () => {
    stubFetch({ "POST /api/customers/login": apiError(422, "invalid_required", "email is required", "email") });
    const user = userEvent.setup();
    await renderAt(LoginPage, "/account/login");

    await user.click(screen.getByRole("button", { name: "Sign in" }));

    await screen.findByText("email is required");
    expect(screen.getByLabelText("Email").getAttribute("aria-invalid")).toBe("true");
  });
});

describe("ResetRequestPage", () => {
  it("requests a reset link", async () => {
    const { requests } = stubFetch({ "POST /api/customers/password-reset": { status: 202, body: { requested: true } } });
    const user = userEvent.setup();
    await renderAt(ResetRequestPage, "/account/reset");

    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Send reset link" }));

    expect((await screen.findByRole("status")).textContent).toMatch(/If an account uses this address/);
    expect(requests[0].body).toEqual({ email: "ada@example.com" });
  });
});

describe("ResetConfirmPage", () => {
  it("sets password with link token", async () => {
    const { requests } = stubFetch({ "POST /api/customers/password-reset/confirm": { body: { reset: true } } });
    const user = userEvent.setup();
    await renderAt(ResetConfirmPage, "/account/reset/confirm?token=reset-1");

    await user.type(screen.getByLabelText("New password"), "another long password");
    await user.click(screen.getByRole("button", { name: "Set new password" }));

    expect((await screen.findByRole("status")).textContent).toMatch(/Your password is changed/);
    expect(requests[0].body).toEqual({ token: "reset-1", password: "another long password" });
  });

  it("shows a password error beside the input", async () => {
    stubFetch({
      "POST /api/customers/password-reset/confirm": apiError(422, "invalid", "password must be at least 12 characters", "password"),
    });
    const user = userEvent.setup();
    await renderAt(ResetConfirmPage, "/account/reset/confirm?token=reset-1");

    await user.type(screen.getByLabelText("New password"), "short");
    await user.click(screen.getByRole("button", { name: "Set new password" }));

    await screen.findByText("password must be at least 12 characters");
    expect(screen.getByLabelText("New password").getAttribute("aria-invalid")).toBe("true");
  });
});

describe("OrdersPage", () => {
  const ORDERS: CustomerOrder[] = [
    {
      id: "o1",
      status: "issued",
      total: { amount: "7.20", currency: "USD" },
      package: { id: "p1", name: "Japan 1 GB" } as CustomerOrder["package"],
      esims: [],
    },
    { id: "o2", status: "pending_payment", total: { amount: "3.84", currency: "USD" }, esims: [] },
  ];

  it("links each customer order", async () => {
    saveOrderToken("o1", "tok-1");
    stubFetch({ "GET /api/customers/me/orders": { body: ORDERS } });
    await renderAt(OrdersPage, "/account/orders");

    const first = await screen.findByRole("link", { name: "Japan 1 GB" });
    expect(first.getAttribute("href")).toBe("/orders/o1#token=tok-1");
    expect(within(first.closest("li")!).getByText("Ready to install")).toBeTruthy();
    expect(within(first.closest("li")!).getByText("$7.20")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Order o2" }).getAttribute("href")).toBe("/orders/o2");
  });

  it("opens a tokenless order by its link", async () => {
    stubFetch({ "GET /api/customers/me/orders": { body: ORDERS } });
    const router = await renderAt(OrdersPage, "/account/orders");

    await userEvent.click(await screen.findByRole("link", { name: "Order o2" }));

    await expect.poll(() => router.currentRoute.value.name).toBe("order");
    expect(router.currentRoute.value.params.id).toBe("o2");
    expect(router.currentRoute.value.hash).toBe("");
  });

  it("signs the customer out", async () => {
    signInCustomer("csrf-1", "ada@example.com");
    const { requests } = stubFetch({
      "GET /api/customers/me/orders": { body: ORDERS },
      "POST /api/customers/logout": { status: 204 },
    });
    const router = await renderAt(OrdersPage, "/account/orders");

    await userEvent.click(await screen.findByRole("button", { name: "Sign out" }));

    await expect.poll(() => router.currentRoute.value.name).toBe("account-login");
    const logout = requests.find((r) => `${r.method} ${r.path}` === "POST /api/customers/logout");
    expect(logout?.headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(customerSession.signedIn).toBe(false);
  });

  it("sends a signed-out visitor to the sign-in page", async () => {
    signInCustomer("expired", "ada@example.com");
    stubFetch({ "GET /api/customers/me/orders": apiError(401, "unauthenticated", "sign in first") });
    const router = await renderAt(OrdersPage, "/account/orders");

    await expect.poll(() => router.currentRoute.value.name).toBe("account-login");
    expect(customerSession.signedIn).toBe(false);
    expect(customerSession.notice).toBe("Sign in to see your orders.");
  });
});

describe("account link in the header", () => {
  const HOME = {
    "GET /api/catalog/countries": { body: [] },
    "GET /api/catalog/regions": { body: [] },
    "GET /api/sandbox": { body: { enabled: false } },
    "GET /api/store": { body: { name: "Wanderdata" } },
    "GET /api/ready": { body: { status: "ready" } },
  };

  it("says Sign in to a guest", async () => {
    stubFetch(HOME);
    await renderAt(App, "/");

    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/account/login");
    expect(within(nav).queryByRole("link", { name: "Account" })).toBeNull();
  });

  it("says Account after earlier sign-in", async () => {
    localStorage.setItem("esimscan.customer", JSON.stringify({ csrf_token: "csrf-1", email: "ada@example.com" }));
    stubFetch(HOME);
    await renderAt(App, "/");

    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Account" }).getAttribute("href")).toBe("/account/orders");
  });
});
