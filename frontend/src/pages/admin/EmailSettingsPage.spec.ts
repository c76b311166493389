import { render, screen, waitFor, within } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, type SmtpSettingsView } from "../../api";
import { apiError, stubFetch } from "../../test/fetch-stub";
import { routerAt } from "../../test/router";
import EmailSettingsPage from "./EmailSettingsPage.vue";

const UNSET: SmtpSettingsView = {
  configured: false,
  host: "",
  port: 0,
  username: "",
  password: "missing",
  from: "",
  security: "",
};

const SAVED: SmtpSettingsView = {
  configured: true,
  host: "smtp.example.com",
  port: 465,
  username: "shop",
  password: "set",
  from: "shop@example.com",
  security: "tls",
};

async function renderPage() {
  const router = await routerAt("/admin/settings/email");
  render(EmailSettingsPage, { global: { plugins: [router] } });
  await screen.findByRole("heading", { name: "SMTP server" });
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
});

describe("EmailSettingsPage", () => {
  it("says SMTP is not configured", async () => {
    stubFetch({ "GET /api/admin/settings/smtp": { body: UNSET } });
    await renderPage();

    expect(screen.getByText(/SMTP is not configured/)).toBeTruthy();
    expect((screen.getByLabelText("Port") as HTMLInputElement).value).toBe("587");
    expect((screen.getByLabelText("Security") as HTMLSelectElement).value).toBe("starttls");
    expect(screen.getByText("missing")).toBeTruthy();
  });

  it("saves and keeps the password write-only", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/settings/smtp": { body: UNSET },
      "PUT /api/admin/settings/smtp": [
        apiError(422, "invalid_email", "from must be an email address, such as shop@example.com", "from"),
        { body: SAVED },
      ],
    });
    const user = userEvent.setup();
    await renderPage();

    await user.type(screen.getByLabelText("Host"), "smtp.example.com");
    await user.clear(screen.getByLabelText("Port"));
    await user.type(screen.getByLabelText("Port"), "465");
    await user.type(screen.getByLabelText("Username"), "shop");
    await user.type(screen.getByLabelText("Password"), "smtp-pass-1");
    await user.type(screen.getByLabelText("From address"), "shop");
    await user.selectOptions(screen.getByLabelText("Security"), "tls");
    await user.click(screen.getByRole("button", { name: "Save SMTP settings" }));

    await screen.findByText("from must be an email address, such as shop@example.com");
    expect(screen.getByLabelText("From address").getAttribute("aria-invalid")).toBe("true");

    await user.type(screen.getByLabelText("From address"), "@example.com");
    await user.click(screen.getByRole("button", { name: "Save SMTP settings" }));

    await screen.findByText("SMTP settings saved.");
    const saves = requests.filter((r) => r.method === "PUT");
    expect(saves[1].body).toEqual({
      host: "smtp.example.com",
      port: 465,
      username: "shop",
      password: "smtp-pass-1",
      from: "shop@example.com",
      security: "tls",
    });
    expect(saves[1].headers["X-CSRF-Token"]).toBe("csrf-1");
    expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
    expect(screen.getByText("set")).toBeTruthy();
    expect(screen.getByText(/SMTP is configured/)).toBeTruthy();
  });

  it("checks the port before saving", async () => {
    const { requests } = stubFetch({ "GET /api/admin/settings/smtp": { body: SAVED } });
    const user = userEvent.setup();
    await renderPage();

    await user.clear(screen.getByLabelText("Port"));
    await user.type(screen.getByLabelText("Port"), "smtp");
    await user.click(screen.getByRole("button", { name: "Save SMTP settings" }));

    await screen.findByText("Enter a port number from 1 to 65535.");
    expect(requests.filter((r) => r.method === "PUT")).toHaveLength(0);
  });

  it("sends a test email and shows the outcome", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/settings/smtp": { body: SAVED },
      "POST /api/admin/settings/smtp/test": [
        { body: { ok: false, message: "the test email was not sent: dial tcp: connection refused" } },
        { body: { ok: true, message: "the SMTP server accepted a test email to owner@example.com" } },
      ],
    });
    const user = userEvent.setup();
    await renderPage();
    const test = screen.getByRole("form", { name: "Test email" });

    await user.type(within(test).getByLabelText("Send to"), "owner@example.com");
    await user.click(within(test).getByRole("button", { name: "Send test email" }));
    await within(test).findByText("The test email was not sent: dial tcp: connection refused.");

    await user.click(within(test).getByRole("button", { name: "Send test email" }));
    await within(test).findByText("The SMTP server accepted a test email to owner@example.com.");
    expect(requests.filter((r) => r.method === "POST")[1].body).toEqual({ to: "owner@example.com" });
  });

  it("shows a bad recipient beside its input", async () => {
    stubFetch({
      "GET /api/admin/settings/smtp": { body: SAVED },
      "POST /api/admin/settings/smtp/test": apiError(422, "invalid_email", "to must be an email address", "to"),
    });
    const user = userEvent.setup();
    await renderPage();

    await user.type(screen.getByLabelText("Send to"), "owner");
    await user.click(screen.getByRole("button", { name: "Send test email" }));

    await screen.findByText("to must be an email address");
    await waitFor(() => expect(screen.getByLabelText("Send to").getAttribute("aria-invalid")).toBe("true"));
  });
});
