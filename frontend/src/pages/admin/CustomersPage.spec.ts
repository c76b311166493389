import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type AdminCustomer } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import CustomersPage from "./CustomersPage.vue";

const LIST = "GET /api/admin/customers?limit=500";

const ADA: AdminCustomer = {
  id: "c-ada",
  email: "ada@example.com",
  verified: true,
  erased: false,
  registered_at: "2026-01-05T10:00:00Z",
  order_count: 2,
};

const ERASED: AdminCustomer = {
  id: "c-old",
  email: "erased",
  verified: true,
  erased: true,
  registered_at: "2025-11-20T08:30:00Z",
  order_count: 1,
};

async function renderPage() {
  const router = await routerAt("/admin/customers");
  render(CustomersPage, { global: { plugins: [router] } });
  await screen.findByRole("heading", { name: "Customers" });
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("CustomersPage", () => {
  it("lists customers with their state", async () => {
    stubFetch({ [LIST]: { body: [ADA, ERASED] } });
    await renderPage();

    const table = await screen.findByRole("table", { name: "Customers" });
    const [, adaRow, erasedRow] = within(table).getAllByRole("row");
    expect(within(adaRow).getByRole("rowheader").textContent).toBe("ada@example.com");
    expect(within(adaRow).getByText("yes")).toBeTruthy();
    expect(within(adaRow).getByText("2")).toBeTruthy();
    expect(within(adaRow).getByRole("button", { name: "Erase ada@example.com" })).toBeTruthy();
    expect(within(erasedRow).getByText("erased")).toBeTruthy();
    expect(within(erasedRow).queryByRole("button")).toBeNull();
  });

  it("says so when there are no customers", async () => {
    stubFetch({ [LIST]: { body: [] } });
    await renderPage();

    await screen.findByText("No customers yet.");
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByRole("form", { name: "Erase a guest's data" })).toBeTruthy();
  });

  it("erases a customer after confirmation", async () => {
    const { requests } = stubFetch({
      [LIST]: [{ body: [ADA] }, { body: [{ ...ADA, email: "erased", erased: true }] }],
      "POST /api/admin/customers/c-ada/erase": { body: { erased: true } },
      "POST /api/admin/customers/erase-guest": apiError(404, "guest_not_found", "no guest order was placed with this email"),
    });
    const user = userEvent.setup();
    await renderPage();

    await user.click(await screen.findByRole("button", { name: "Erase ada@example.com" }));
    const warning = screen.getByText(/Erase ada@example.com\?/).textContent!;
    expect(warning).toMatch(/email becomes unreadable everywhere/);
    expect(warning).toMatch(/The orders stay/);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Yes, erase customer" }));

    await screen.findByText("Customer ada@example.com is erased.");
    const posts = requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(2);
    expect(posts[0].headers["X-CSRF-Token"]).toBe("csrf-1");
    expect(posts[1].path).toBe("/api/admin/customers/erase-guest");
    expect(posts[1].body).toEqual({ email: "ada@example.com" });
    await waitFor(() => expect(screen.queryByRole("button", { name: "Erase ada@example.com" })).toBeNull());
  });

  it("says which older guest orders keep the address", async () => {
    stubFetch({
      [LIST]: { body: [] },
      "POST /api/admin/customers/erase-guest": { body: { guest_ids: ["guest-1-x"], erased_orders: 1, legacy_orders: 2 } },
    });
    const user = userEvent.setup();
    await renderPage();

    const form = await screen.findByRole("form", { name: "Erase a guest's data" });
    await user.type(within(form).getByLabelText(/email/i), "old@example.org");
    await user.click(within(form).getByRole("button", { name: /erase/i }));
    const confirm = within(form).queryByRole("button", { name: "Yes, erase guest data" });
    if (confirm) await user.click(confirm);

    await screen.findByText(/2 older orders keep the address in the log/);
  });

  it("also erases the guest orders of the erased customer's address", async () => {
    stubFetch({
      [LIST]: [{ body: [ADA] }, { body: [{ ...ADA, email: "erased", erased: true }] }],
      "POST /api/admin/customers/c-ada/erase": { body: { erased: true } },
      "POST /api/admin/customers/erase-guest": { body: { guest_ids: ["guest-1-x"], erased_orders: 2 } },
    });
    const user = userEvent.setup();
    await renderPage();

    await user.click(await screen.findByRole("button", { name: "Erase ada@example.com" }));
    await user.click(screen.getByRole("button", { name: "Yes, erase customer" }));

    await screen.findByText(/Customer ada@example.com is erased. 2 guest order\(s\) with that address are erased too./);
  });

  it("keeps the customer when the admin goes back", async () => {
    const { requests } = stubFetch({ [LIST]: { body: [ADA] } });
    const user = userEvent.setup();
    await renderPage();

    await user.click(await screen.findByRole("button", { name: "Erase ada@example.com" }));
    await user.click(screen.getByRole("button", { name: "Keep customer" }));

    expect(screen.queryByText(/Erase ada@example.com\?/)).toBeNull();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("alerts when erasure fails", async () => {
    stubFetch({
      [LIST]: { body: [ADA] },
      "POST /api/admin/customers/c-ada/erase": apiError(409, "already_erased", "the customer is already erased"),
    });
    const user = userEvent.setup();
    await renderPage();

    await user.click(await screen.findByRole("button", { name: "Erase ada@example.com" }));
    await user.click(screen.getByRole("button", { name: "Yes, erase customer" }));

    await waitFor(() => expect(screen.getAllByRole("alert")[0].textContent).toMatch(/already erased/));
  });
});

describe("GuestErasureForm", () => {
  it("erases a guest's orders after confirmation", async () => {
    const { requests } = stubFetch({
      [LIST]: { body: [] },
      "POST /api/admin/customers/erase-guest": { body: { erased_orders: 3 } },
    });
    const user = userEvent.setup();
    await renderPage();
    const form = screen.getByRole("form", { name: "Erase a guest's data" });

    await user.type(within(form).getByLabelText("Guest email"), "guest@example.com");
    await user.click(within(form).getByRole("button", { name: "Erase guest data" }));
    expect(within(form).getByText(/Erase the email guest@example.com from every guest order/)).toBeTruthy();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);

    await user.click(within(form).getByRole("button", { name: "Yes, erase guest data" }));

    await within(form).findByText("Erased the email of 3 guest orders placed with guest@example.com.");
    const post = requests.find((r) => r.method === "POST")!;
    expect(post.body).toEqual({ email: "guest@example.com" });
    expect(post.headers["X-CSRF-Token"]).toBe("csrf-1");
  });

  it("says when no guest order uses the email", async () => {
    stubFetch({ [LIST]: { body: [] }, "POST /api/admin/customers/erase-guest": { body: { erased_orders: 0 } } });
    const user = userEvent.setup();
    await renderPage();
    const form = screen.getByRole("form", { name: "Erase a guest's data" });

    await user.type(within(form).getByLabelText("Guest email"), "nobody@example.com");
    await user.click(within(form).getByRole("button", { name: "Erase guest data" }));
    await user.click(within(form).getByRole("button", { name: "Yes, erase guest data" }));

    await within(form).findByText("No guest order uses nobody@example.com.");
  });

  it("shows a bad email beside its input", async () => {
    stubFetch({
      [LIST]: { body: [] },
      "POST /api/admin/customers/erase-guest": apiError(422, "invalid_email", "email must be an email address", "email"),
    });
    const user = userEvent.setup();
    await renderPage();
    const form = screen.getByRole("form", { name: "Erase a guest's data" });

    await user.type(within(form).getByLabelText("Guest email"), "guest");
    await user.click(within(form).getByRole("button", { name: "Erase guest data" }));
    await user.click(within(form).getByRole("button", { name: "Yes, erase guest data" }));

    const error = await within(form).findByText("email must be an email address");
    const input = within(form).getByLabelText("Guest email");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain(error.id);
  });

  it("asks for an email before confirming", async () => {
    const { requests } = stubFetch({ [LIST]: { body: [] } });
    const user = userEvent.setup();
    await renderPage();
    const form = screen.getByRole("form", { name: "Erase a guest's data" });

    await user.click(within(form).getByRole("button", { name: "Erase guest data" }));

    await within(form).findByText("Enter the email address the guest used.");
    expect(within(form).queryByRole("button", { name: "Yes, erase guest data" })).toBeNull();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });
});
