import { isApiError } from "./errors";
import { HttpClient, type HttpOptions } from "./http";
import type {
  EsimUsage,
  AdminCustomer,
  AdminOrder,
  AdminOrderDetail,
  AdminPackage,
  AdminSession,
  AuditEntry,
  CatalogPackage,
  CheckoutAnswer,
  CheckoutGateway,
  Country,
  CustomerOrder,
  GuestErasure,
  HistoryEntry,
  ManualSettingsInput,
  ManualSettingsView,
  OrderEvent,
  OrderView,
  PackagePatch,
  PaymentGateways,
  PaymentSettingsView,
  PayPalSettingsInput,
  PayPalSettingsView,
  PlacedOrder,
  PlacedTopUp,
  ProjectionStatus,
  ProviderSettings,
  ProviderView,
  Region,
  SandboxSettings,
  SmtpSettingsInput,
  SmtpSettingsView,
  SmtpTestResult,
  StripeSettingsInput,
  StripeSettingsView,
  SyncStatus,
  TestResult,
  TopUpOffer,
} from "./types";

export * from "./errors";
export * from "./types";
export { HttpClient, DEFAULT_TIMEOUT_MS, type HttpOptions } from "./http";

export type PackageFilter = { country: string } | { region: string };

const segment = encodeURIComponent;

/** Returns the typed client of every endpoint the SPA uses. */
export function createApi(options: HttpOptions = {}) {
  const http = new HttpClient(options);
  const orderHeaders = (token: string) => ({ "X-Order-Token": token });
  // A command on an order carries its token, or else relies on the customer
  // session cookie, which the server accepts on a command only together
  // with the customer's CSRF token.
  const orderCommandHeaders = (token: string | null): Record<string, string> | undefined => {
    if (token) {
      return orderHeaders(token);
    }
    return customerCsrf ? { "X-CSRF-Token": customerCsrf } : undefined;
  };
  const providerPath = (slug: string) => `/api/admin/providers/${segment(slug)}`;

  const store = {
    countries: () => http.request<Country[]>("/api/catalog/countries"),
    regions: () => http.request<Region[]>("/api/catalog/regions"),
    packages: (filter: PackageFilter) => {
      const query = new URLSearchParams(filter).toString();
      return http.request<CatalogPackage[]>(`/api/catalog/packages?${query}`);
    },
    /**
     * Places an order. A signed-in customer's order carries the customer's
     * CSRF token, which the server requires whenever the session cookie is sent.
     */
    placeOrder: (packageId: string, email: string) =>
      http.request<PlacedOrder>("/api/orders", {
        method: "POST",
        body: { package_id: packageId, email },
        headers: customerCsrf ? { "X-CSRF-Token": customerCsrf } : undefined,
      }),
    /** Returns which gateways the store offers at checkout. */
    gateways: () => http.request<PaymentGateways>("/api/payments/gateways"),
    /**
     * Returns an order. Without a token the request relies on the customer
     * session cookie, which opens the orders of the signed-in account only.
     */
    order: (id: string, token: string | null) =>
      http.request<OrderView>(`/api/orders/${segment(id)}`, { headers: token ? orderHeaders(token) : undefined }),
    payWithTestGateway: (id: string, token: string) =>
      http.request<unknown>(`/api/orders/${segment(id)}/payments/test`, {
        method: "POST",
        headers: orderHeaders(token),
      }),
    /**
     * Starts paying an order through a gateway. Returns the gateway's page to
     * open, or the bank-transfer instructions. A gateway the store has off is
     * a 422 ApiError naming the field "gateway". Without a token the signed-in
     * customer's session pays for an order of the account.
     */
    checkout: (id: string, token: string | null, gateway: CheckoutGateway) =>
      http.request<CheckoutAnswer>(`/api/orders/${segment(id)}/checkout`, {
        method: "POST",
        headers: orderCommandHeaders(token),
        body: { gateway },
      }),
    /**
     * Returns the packages that can top up the eSIM iccid of an order. Every
     * call makes the server query the eSIM's provider. An eSIM that cannot be
     * topped up is a 409 ApiError with code "topup_not_supported".
     */
    /**
     * Returns the data use of an issued eSIM, from the store's cache: as_of
     * is the time of the figures. A 409 usage_not_supported means the
     * eSIM's provider reports none.
     */
    usage: (id: string, iccid: string, token: string | null) =>
      http.request<EsimUsage>(`/api/orders/${segment(id)}/esims/${segment(iccid)}/usage`, {
        headers: token ? orderHeaders(token) : undefined,
        timeoutMs: 45_000,
      }),
    topUps: (id: string, iccid: string, token: string | null) =>
      http.request<TopUpOffer>(`/api/orders/${segment(id)}/topups?${new URLSearchParams({ iccid })}`, {
        headers: token ? orderHeaders(token) : undefined,
        timeoutMs: 45_000,
      }),
    /**
     * Places a top-up order for the eSIM iccid, to be paid like a new order.
     * A package the provider no longer offers is a 422 ApiError naming the
     * field "package_id".
     */
    buyTopUp: (id: string, iccid: string, packageId: string, token: string | null) =>
      http.request<PlacedTopUp>(`/api/orders/${segment(id)}/topups`, {
        method: "POST",
        headers: orderCommandHeaders(token),
        body: { package_id: packageId, iccid },
        timeoutMs: 45_000,
      }),
    /** Returns the name the installer gave the store, or "" before installation. */
    storeName: async () => (await http.request<{ name?: string }>("/api/store"))?.name ?? "",
    /**
     * Reports whether every read model has caught up with the event log. A 503
     * with code catching_up returns false; any other failure is thrown.
     */
    ready: async () => {
      try {
        await http.request<unknown>("/api/ready");
        return true;
      } catch (err) {
        if (isApiError(err, 503, "catching_up")) {
          return false;
        }
        throw err;
      }
    },
    /** Reports whether the installer has run, so the admin area needs no 409 to find out. */
    installed: async () => (await http.request<{ installed?: boolean }>("/api/install"))?.installed === true,
    /** Reports whether the store runs as a sandbox, reading a 404 as no sandbox. */
    sandboxEnabled: async () => {
      try {
        const answer = await http.request<{ enabled?: boolean }>("/api/sandbox");
        return answer?.enabled === true;
      } catch (err) {
        if (isApiError(err, 404)) {
          return false;
        }
        throw err;
      }
    },
  };

  // The customer session's CSRF token, apart from the admin's: order
  // placement sends it, and so do commands on an order sent without its token.
  let customerCsrf: string | null = null;

  const customer = {
    get csrfToken() {
      return customerCsrf;
    },
    set csrfToken(token: string | null) {
      customerCsrf = token;
    },
    register: (email: string, password: string) =>
      http.request<unknown>("/api/customers/register", { method: "POST", body: { email, password } }),
    verify: (token: string) => http.request<unknown>("/api/customers/verify", { method: "POST", body: { token } }),
    /** Signs in and keeps the CSRF token for order placement. */
    login: async (email: string, password: string) => {
      const answer = await http.request<{ csrf_token: string }>("/api/customers/login", {
        method: "POST",
        body: { email, password },
      });
      customerCsrf = answer.csrf_token;
      return answer;
    },
    requestPasswordReset: (email: string) =>
      http.request<unknown>("/api/customers/password-reset", { method: "POST", body: { email } }),
    confirmPasswordReset: (token: string, password: string) =>
      http.request<unknown>("/api/customers/password-reset/confirm", { method: "POST", body: { token, password } }),
    orders: () => http.request<CustomerOrder[]>("/api/customers/me/orders"),
    /**
     * Ends the customer session on the server and drops its CSRF token,
     * which the server requires so that another site cannot sign the
     * customer out.
     */
    logout: async () => {
      await http.request<unknown>("/api/customers/logout", {
        method: "POST",
        headers: customerCsrf ? { "X-CSRF-Token": customerCsrf } : undefined,
      });
      customerCsrf = null;
    },
  };

  const admin = {
    install: (body: { store_name: string; admin_email: string; admin_password: string }) =>
      http.request<unknown>("/api/install", { method: "POST", body }),
    /** Signs in and keeps the CSRF token for later state-changing calls. */
    login: async (email: string, password: string) => {
      const answer = await http.request<Partial<AdminSession> & { csrf_token: string }>("/api/auth/login", {
        method: "POST",
        body: { email, password },
      });
      http.csrfToken = answer.csrf_token;
      return answer;
    },
    /**
     * Returns the signed-in admin and the session's CSRF token, which it keeps
     * for later state-changing calls, or null when the session cookie is
     * missing or expired (401).
     */
    session: async () => {
      try {
        // A signed-out visitor gets 200 with "admin": null (older servers
        // answered 401, handled below).
        const answer = await http.request<AdminSession | { admin: null }>("/api/auth/session");
        if (!answer.admin) {
          return null;
        }
        http.csrfToken = (answer as AdminSession).csrf_token;
        return answer as AdminSession;
      } catch (err) {
        if (isApiError(err, 401)) {
          return null;
        }
        throw err;
      }
    },
    /** Ends the session on the server and clears the CSRF token. */
    logout: async () => {
      try {
        await http.request<unknown>("/api/auth/logout", { method: "POST" });
      } finally {
        http.csrfToken = null;
      }
    },
    providers: () => http.request<ProviderView[]>("/api/admin/providers"),
    provider: (slug: string) => http.request<ProviderView>(providerPath(slug)),
    saveProvider: (slug: string, body: ProviderSettings) =>
      http.request<ProviderView>(providerPath(slug), { method: "PUT", body }),
    testProvider: (slug: string) =>
      http.request<TestResult>(`${providerPath(slug)}/test`, { method: "POST", timeoutMs: 45_000 }),
    startSync: (slug: string) =>
      http.request<{ sync_id: string }>(`${providerPath(slug)}/sync`, { method: "POST" }),
    sync: (slug: string, syncId: string) =>
      http.request<SyncStatus>(`${providerPath(slug)}/syncs/${segment(syncId)}`),
    enable: (slug: string) => http.request<unknown>(`${providerPath(slug)}/enable`, { method: "POST" }),
    disable: (slug: string) => http.request<unknown>(`${providerPath(slug)}/disable`, { method: "POST" }),
    history: (slug: string) => http.request<HistoryEntry[]>(`${providerPath(slug)}/history`),
    catalogPackages: (provider: string) =>
      http.request<AdminPackage[]>(`/api/admin/catalog/packages?provider=${segment(provider)}`),
    updatePackage: (id: string, patch: PackagePatch) =>
      http.request<unknown>(`/api/admin/catalog/packages/${segment(id)}`, { method: "PATCH", body: patch }),
    orders: () => http.request<AdminOrder[]>("/api/admin/orders"),
    order: (id: string) => http.request<AdminOrderDetail>(`/api/admin/orders/${segment(id)}`),
    orderHistory: (id: string) => http.request<OrderEvent[]>(`/api/admin/orders/${segment(id)}/history`),
    retryProvisioning: (id: string) =>
      http.request<AdminOrderDetail>(`/api/admin/orders/${segment(id)}/retry-provisioning`, { method: "POST" }),
    fulfil: (id: string, body: { iccid: string; lpa: string }) =>
      http.request<unknown>(`/api/admin/orders/${segment(id)}/fulfil`, { method: "POST", body }),
    markPaid: (id: string) =>
      http.request<AdminOrderDetail>(`/api/admin/orders/${segment(id)}/mark-paid`, { method: "POST" }),
    cancelOrder: (id: string) =>
      http.request<AdminOrderDetail>(`/api/admin/orders/${segment(id)}/cancel`, { method: "POST" }),
    /** Refunds amount (a decimal string such as "5.00"), or all that remains refundable when it is absent. */
    refund: (id: string, amount?: string) =>
      http.request<AdminOrderDetail>(`/api/admin/orders/${segment(id)}/refund`, {
        method: "POST",
        body: amount ? { amount } : {},
      }),
    /** Queues the eSIM email again (202). Its outcome shows later in the order's history. */
    resendEmail: (id: string) =>
      http.request<unknown>(`/api/admin/orders/${segment(id)}/resend-email`, { method: "POST" }),
    paymentSettings: () => http.request<PaymentSettingsView>("/api/admin/settings/payments"),
    saveStripe: (body: StripeSettingsInput) =>
      http.request<StripeSettingsView>("/api/admin/settings/payments/stripe", { method: "PUT", body }),
    savePayPal: (body: PayPalSettingsInput) =>
      http.request<PayPalSettingsView>("/api/admin/settings/payments/paypal", { method: "PUT", body }),
    saveManual: (body: ManualSettingsInput) =>
      http.request<ManualSettingsView>("/api/admin/settings/payments/manual", { method: "PUT", body }),
    smtpSettings: () => http.request<SmtpSettingsView>("/api/admin/settings/smtp"),
    saveSmtp: (body: SmtpSettingsInput) =>
      http.request<SmtpSettingsView>("/api/admin/settings/smtp", { method: "PUT", body }),
    /** Sends a test email with the saved settings. A failed send returns ok false with the reason, not an error. */
    testSmtp: (to: string) =>
      http.request<SmtpTestResult>("/api/admin/settings/smtp/test", { method: "POST", body: { to }, timeoutMs: 45_000 }),
    audit: (kind?: "margin" | "credentials") =>
      http.request<AuditEntry[]>(kind ? `/api/admin/audit?kind=${kind}` : "/api/admin/audit"),
    projections: () => http.request<ProjectionStatus[]>("/api/admin/projections"),
    /** Rebuilds one projection, or all of them when name is absent. */
    rebuildProjections: (name?: string) =>
      http.request<unknown>("/api/admin/projections/rebuild", {
        method: "POST",
        body: name ? { projection: name } : {},
      }),
    /** Returns the registered customers, up to the server's page maximum of 500. */
    customers: () => http.request<AdminCustomer[]>("/api/admin/customers?limit=500"),
    /** Erases a customer: the email becomes unreadable everywhere, and the orders stay. */
    eraseCustomer: (id: string) =>
      http.request<unknown>(`/api/admin/customers/${segment(id)}/erase`, { method: "POST" }),
    /** Erases the email of every guest order placed with email. A bad email is a 422 naming "email". */
    eraseGuest: (email: string) =>
      http.request<GuestErasure>("/api/admin/customers/erase-guest", { method: "POST", body: { email } }),
    /** Returns the sandbox's provider settings, or null when the store has no sandbox. */
    sandboxSettings: async () => {
      try {
        return await http.request<SandboxSettings>("/api/admin/sandbox");
      } catch (err) {
        if (isApiError(err, 404)) {
          return null;
        }
        throw err;
      }
    },
  };

  return { http, store, customer, admin };
}

export type Api = ReturnType<typeof createApi>;

/** The client the app uses, talking to the page's own origin. */
export const api = createApi();
