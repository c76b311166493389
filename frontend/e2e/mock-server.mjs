// A stand-in for the esimscan server, for checking the SPA in a real browser
// before the Go server serves it. It serves the built dist/ with the SPA's
// history fallback and returns canned API responses from in-memory state. It
// enforces the contract's rules that the UI must follow: the session cookie,
// X-CSRF-Token on state-changing admin calls and on a signed-in customer's
// order, X-Order-Token on orders (or, for an order of the signed-in
// customer's account, the session cookie plus X-CSRF-Token on checkout and
// top-ups), and field-naming 422 errors. Its answers have the shapes of the real server's
// views (projections/*/views.go and backend/internal/*/ports/http.go), such as
// the zeros of a provider never saved. It listens on 127.0.0.1 only and calls
// nothing.
//
//   node e2e/mock-server.mjs [port]
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ADVANCED_DEFAULTS,
  ADVANCED_KEYS,
  COUNTRY_NAMES,
  PROVIDER_NAMES,
  SANDBOX_PACKAGES,
  SECRET_FIELDS,
  applyMargin,
  parsePercent,
  percentText,
} from "./mock-catalog.mjs";
import { qrLikePng } from "./mock-png.mjs";

const DEFAULT_DIST = fileURLToPath(new URL("../dist", import.meta.url));
const MAX_BODY_BYTES = 64 * 1024;
const SESSION_COOKIE = "esimscan_session";
const CUSTOMER_COOKIE = "esimscan_customer_session";
const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

class HttpError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const invalid = (field, message) => new HttpError(422, "invalid", message, field);

function newId(bytes = 9) {
  return randomBytes(bytes).toString("base64url");
}

function newState(sandboxBaseUrl) {
  const providers = new Map();
  for (const slug of Object.keys(PROVIDER_NAMES)) {
    providers.set(slug, {
      slug,
      configured: false,
      enabled: false,
      baseUrl: "",
      margin: 0,
      interval: 0,
      version: 0,
      rateLimit: null,
      credentials: {},
      advanced: {},
      authMode: "basic",
      lastTest: null,
      lastSync: null,
      history: [],
    });
  }
  return {
    installed: false,
    storeName: "",
    admin: null,
    rebuildingUntil: 0,
    sessions: new Map(),
    // Customers by email, their sessions by cookie value, and the one-time
    // tokens the real server would email (verify and reset), by token.
    customers: new Map(),
    customerSessions: new Map(),
    customerTokens: new Map(),
    providers,
    syncs: new Map(),
    packages: new Map(),
    orders: new Map(),
    audit: [],
    payments: {
      stripe: { enabled: false, secretKey: "", webhookSecret: "" },
      paypal: { enabled: false, clientId: "", clientSecret: "", webhookId: "", mode: "sandbox" },
      manual: { enabled: false, instructions: "" },
    },
    smtp: { configured: false, host: "", port: 0, username: "", password: "", from: "", security: "" },
    sandbox: {
      "esim-access": {
        base_url: sandboxBaseUrl,
        // Made-up values that only this mock accepts.
        credentials: { access_code: "sandbox-access-code", secret_key: "sandbox-secret-key" },
      },
    },
  };
}

/** Starts the mock on 127.0.0.1 and resolves to { url, close }. */
export async function startMockServer({ port = 0, distDir = DEFAULT_DIST, testPayments = true } = {}) {
  if (!existsSync(join(distDir, "index.html"))) {
    throw new Error(`no built SPA in ${distDir}: run "npm run build" first`);
  }
  let state;
  const server = createServer((req, res) => {
    handle(state, { distDir, testPayments }, req, res).catch((err) => {
      sendError(res, err instanceof HttpError ? err : new HttpError(500, "internal", "internal error"));
    });
  });
  await new Promise((done) => server.listen(port, "127.0.0.1", done));
  const url = `http://127.0.0.1:${server.address().port}`;
  state = newState(`${url}/sandbox/esim-access`);
  return {
    url,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(done);
      }),
  };
}

async function handle(state, options, req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname.startsWith("/mock-gateway/")) {
    return mockGatewayReturn(state, url, res);
  }
  if (!url.pathname.startsWith("/api/")) {
    return serveStatic(options.distDir, url.pathname, res);
  }
  const body = req.method === "GET" ? undefined : await readBody(req);
  const ctx = { state, options, req, res, url, body, params: {} };
  for (const [method, pattern, handler] of ROUTES) {
    const match = req.method === method && pattern.exec(url.pathname);
    if (match) {
      ctx.params = match.groups ?? {};
      const answer = await handler(ctx);
      if (!res.writableEnded) {
        sendJson(res, answer?.status ?? 200, answer?.body);
      }
      return;
    }
  }
  throw new HttpError(404, "not_found", `no route ${req.method} ${url.pathname}`);
}

function serveStatic(distDir, pathname, res) {
  const root = resolve(distDir);
  let file = resolve(join(root, normalize(decodeURIComponent(pathname))));
  if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
    file = join(root, "index.html"); // history fallback
  }
  res.writeHead(200, { "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" });
  res.end(readFileSync(file));
}

async function readBody(req) {
  const parts = [];
  let size = 0;
  for await (const part of req) {
    size += part.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, "body_too_large", `request body over ${MAX_BODY_BYTES} bytes`);
    }
    parts.push(part);
  }
  const text = Buffer.concat(parts).toString("utf8");
  if (text === "") {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "the request body is not valid JSON");
  }
}

function sendJson(res, status, body) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(text);
}

function sendError(res, err) {
  if (res.headersSent) {
    res.end();
    return;
  }
  const error = { code: err.code, message: err.message };
  if (err.field) {
    error.field = err.field;
  }
  sendJson(res, err.status, { error });
}

// --- sessions ---------------------------------------------------------------

function cookiesOf(ctx) {
  return Object.fromEntries((ctx.req.headers.cookie ?? "").split(";").map((pair) => pair.trim().split("=")));
}

function sessionOf(ctx) {
  return ctx.state.sessions.get(cookiesOf(ctx)[SESSION_COOKIE]) ?? null;
}

function requireAdmin(ctx) {
  if (!ctx.state.installed) {
    throw new HttpError(409, "not_installed", "the store is not installed yet");
  }
  const session = sessionOf(ctx);
  if (!session) {
    throw new HttpError(401, "unauthenticated", "sign in first");
  }
  if (ctx.req.method !== "GET" && ctx.req.headers["x-csrf-token"] !== session.csrf) {
    throw new HttpError(403, "csrf_token_invalid", "missing or wrong CSRF token");
  }
  return session;
}

function install(ctx) {
  if (ctx.state.installed) {
    throw new HttpError(409, "already_installed", "the store is already installed");
  }
  const { store_name: storeName, admin_email: email, admin_password: password } = ctx.body;
  if (!storeName || typeof storeName !== "string") {
    throw invalid("store_name", "store name is required");
  }
  if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw invalid("admin_email", "admin email must be an email address");
  }
  if (typeof password !== "string" || password.length < 10) {
    throw invalid("admin_password", "admin password must have at least 10 characters");
  }
  ctx.state.installed = true;
  ctx.state.storeName = storeName;
  ctx.state.admin = { id: newId(), email, password };
  return { status: 201, body: { installed: true } };
}

function login(ctx) {
  const admin = ctx.state.admin;
  if (!admin || ctx.body.email !== admin.email || ctx.body.password !== admin.password) {
    throw new HttpError(401, "invalid_credentials", "invalid email or password");
  }
  const token = newId(32);
  const csrf = newId(32);
  ctx.state.sessions.set(token, { csrf, admin });
  ctx.res.setHeader("Set-Cookie", `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`);
  return { body: { admin: { email: admin.email, id: admin.id }, csrf_token: csrf } };
}

function currentSession(ctx) {
  if (!ctx.state.installed) {
    throw new HttpError(409, "not_installed", "the store is not installed yet");
  }
  const session = sessionOf(ctx);
  if (!session) {
    throw new HttpError(401, "unauthenticated", "sign in as an admin first");
  }
  return { body: { csrf_token: session.csrf, admin: { id: session.admin.id, email: session.admin.email } } };
}

function logout(ctx) {
  const cookies = Object.fromEntries(
    (ctx.req.headers.cookie ?? "").split(";").map((pair) => pair.trim().split("=")),
  );
  ctx.state.sessions.delete(cookies[SESSION_COOKIE]);
  ctx.res.setHeader("Set-Cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; Max-Age=0`);
  ctx.res.writeHead(204);
  ctx.res.end();
}

// --- providers --------------------------------------------------------------

function providerOf(ctx) {
  const provider = ctx.state.providers.get(ctx.params.slug);
  if (!provider) {
    throw new HttpError(404, "provider_not_found", `no provider ${ctx.params.slug}`);
  }
  return provider;
}

function providerView(state, p) {
  const credentials = {};
  for (const field of SECRET_FIELDS[p.slug]) {
    credentials[field] = p.credentials[field] ? "set" : "missing";
  }
  const view = {
    slug: p.slug,
    name: PROVIDER_NAMES[p.slug],
    configured: p.configured,
    enabled: p.enabled,
    base_url: p.baseUrl,
    margin_percent: Number(percentText(p.margin)),
    sync_interval_minutes: p.interval,
    rate_limit_per_hour: p.rateLimit,
    credentials,
    advanced: p.advanced,
    last_test: p.lastTest,
    last_sync: p.lastSync,
    version: p.version,
    advanced_defaults: ADVANCED_DEFAULTS[p.slug] ?? {},
    sandbox: Boolean(p.baseUrl) && p.baseUrl === state.sandbox[p.slug]?.base_url,
  };
  if (p.slug === "maya") {
    view.auth_mode = p.authMode;
  }
  return view;
}

function fingerprint(value) {
  return createHash("sha256").update(`mock fingerprint ${value}`).digest("hex").slice(0, 12);
}

function configureProvider(ctx) {
  const session = requireAdmin(ctx);
  const p = providerOf(ctx);
  const body = ctx.body;
  const baseUrl = typeof body.base_url === "string" ? body.base_url.trim().replace(/\/+$/, "") : "";
  if (!/^https?:\/\/[^/\s]+/.test(baseUrl)) {
    throw invalid("base_url", "base URL must be an http or https URL with a host");
  }
  const margin = parsePercent(body.margin_percent);
  if (margin === null) {
    throw invalid("margin_percent", "margin must be a number from 0 to 100 with at most two decimals");
  }
  const interval = body.sync_interval_minutes;
  if (!Number.isInteger(interval)) {
    throw invalid("sync_interval_minutes", `sync_interval_minutes must be a whole number, not "${interval}"`);
  }
  if (interval < 5 || interval > 525600) {
    throw invalid("sync_interval_minutes", "sync_interval_minutes must be from 5 to 525600");
  }
  const rateLimit = body.rate_limit_per_hour ?? null;
  if (rateLimit !== null && (!Number.isInteger(rateLimit) || rateLimit < 1)) {
    throw invalid("rate_limit_per_hour", "rate limit must be a whole number of at least 1, or empty");
  }
  const credentials = body.credentials ?? {};
  const allowed = [...SECRET_FIELDS[p.slug], ...(p.slug === "maya" ? ["auth_mode"] : [])];
  for (const field of Object.keys(credentials)) {
    if (!allowed.includes(field)) {
      throw invalid(`credentials.${field}`, `${p.slug} has no credential ${field}`);
    }
  }
  for (const field of SECRET_FIELDS[p.slug]) {
    if (!credentials[field] && !p.credentials[field]) {
      throw invalid(`credentials.${field}`, `${field} is required`);
    }
  }
  const advanced = body.advanced ?? {};
  for (const [key, value] of Object.entries(advanced)) {
    if (!ADVANCED_KEYS[p.slug].includes(key)) {
      throw invalid(`advanced.${key}`, `${p.slug} has no advanced setting ${key}`);
    }
    if (key.endsWith("_path") && !String(value).startsWith("/")) {
      throw invalid(`advanced.${key}`, "a path must start with /");
    }
  }

  const actor = { id: session.admin.id, email: session.admin.email };
  const at = new Date().toISOString();
  if (!p.configured || margin !== p.margin) {
    const old = p.configured ? Number(percentText(p.margin)) : null;
    const entry = { at, actor, action: "provider_margin_set", subject: `provider:${p.slug}`, old, new: Number(percentText(margin)) };
    ctx.state.audit.unshift(entry);
  }
  for (const field of SECRET_FIELDS[p.slug]) {
    const value = credentials[field];
    if (value && value !== p.credentials[field]) {
      const old = p.credentials[field] ? fingerprint(p.credentials[field]) : null;
      ctx.state.audit.unshift({ at, actor, action: "credential_set", subject: `provider:${p.slug}:${field}`, old, new: fingerprint(value) });
      p.credentials[field] = value;
    }
  }
  Object.assign(p, { configured: true, baseUrl, margin, interval, rateLimit, advanced, version: p.version + 1 });
  if (credentials.auth_mode) {
    p.authMode = credentials.auth_mode;
  }
  return { body: providerView(ctx.state, p) };
}

function requireConfigured(p) {
  if (!p.configured) {
    throw new HttpError(409, "provider_not_configured", "save the provider's settings first");
  }
}

function testProvider(ctx) {
  requireAdmin(ctx);
  const p = providerOf(ctx);
  requireConfigured(p);
  const sandbox = ctx.state.sandbox[p.slug];
  const at = new Date().toISOString();
  const accepted =
    sandbox && SECRET_FIELDS[p.slug].every((field) => p.credentials[field] === sandbox.credentials[field]);
  if (accepted) {
    p.lastTest = { ok: true, at, message: "connected" };
    p.history.unshift({ at, kind: "test", ok: true, message: p.lastTest.message });
    return { body: { ok: true, message: "connected", balance: { amount: "125.50", currency: "USD" } } };
  }
  const message = "the provider rejected the access code (code 000101)";
  p.lastTest = { ok: false, at, message, cause: "credentials" };
  p.history.unshift({ at, kind: "test", ok: false, message, cause: "credentials" });
  return { body: { ok: false, cause: "credentials", message } };
}

function startSync(ctx) {
  requireAdmin(ctx);
  const p = providerOf(ctx);
  requireConfigured(p);
  const syncId = newId();
  const startedAt = new Date().toISOString();
  ctx.state.syncs.set(syncId, { slug: p.slug, polls: 0, startedAt });
  p.lastSync = syncView(syncId, startedAt);
  return { status: 202, body: { sync_id: syncId } };
}

// syncStatus advances a sync by one step per poll, so the UI shows progress
// before it completes.
function syncStatus(ctx) {
  requireAdmin(ctx);
  const p = providerOf(ctx);
  const sync = ctx.state.syncs.get(ctx.params.syncId);
  if (!sync || sync.slug !== p.slug) {
    throw new HttpError(404, "sync_not_found", "no such sync");
  }
  sync.polls++;
  const total = p.slug === "esim-access" ? SANDBOX_PACKAGES.length : 0;
  const status = { ...syncView(ctx.params.syncId, sync.startedAt), packages_seen: Math.min(total, sync.polls * 3) };
  if (sync.polls < 3) {
    return { body: status };
  }
  if (!sync.result) {
    sync.result = finishSync(ctx.state, p, total);
  }
  return { body: { ...status, ...sync.result } };
}

// syncView is a running sync as the server's SyncView shows it.
function syncView(id, startedAt) {
  return {
    id,
    status: "running",
    packages_seen: 0,
    packages_added: 0,
    packages_changed: 0,
    packages_removed: 0,
    started_at: startedAt,
    finished_at: null,
    message: "",
  };
}

function finishSync(state, p, total) {
  let added = 0;
  if (p.slug === "esim-access") {
    for (const pkg of SANDBOX_PACKAGES) {
      const id = createHash("sha256").update(`${p.slug}\0${pkg.code}`).digest("hex").slice(0, 16);
      if (!state.packages.has(id)) {
        added++;
        state.packages.set(id, { ...pkg, id, provider: p.slug, marginOverride: null, enabled: true });
      }
    }
  }
  const at = new Date().toISOString();
  const message = `${total} packages seen: ${added} added, 0 changed, 0 removed`;
  const result = { status: "completed", packages_seen: total, packages_added: added, finished_at: at, message };
  p.lastSync = { ...p.lastSync, ...result };
  p.history.unshift({ at, kind: "sync", ok: true, message, sync_id: p.lastSync.id });
  return result;
}

function setEnabled(enabled) {
  return (ctx) => {
    requireAdmin(ctx);
    const p = providerOf(ctx);
    if (enabled && !p.lastTest?.ok) {
      throw new HttpError(409, "provider_not_tested", "test the provider successfully before enabling it");
    }
    p.enabled = enabled;
    return { body: providerView(ctx.state, p) };
  };
}

// --- catalog ----------------------------------------------------------------

function effectiveMargin(state, pkg) {
  return pkg.marginOverride ?? state.providers.get(pkg.provider).margin ?? 0;
}

function publicPackage(state, pkg) {
  return {
    id: pkg.id,
    provider: pkg.provider,
    name: pkg.name,
    countries: pkg.countries,
    data_mb: pkg.data_mb,
    unlimited: pkg.data_mb === null,
    daily: Boolean(pkg.daily),
    validity_days: pkg.days,
    price: applyMargin(pkg.wholesale, effectiveMargin(state, pkg)),
  };
}

function sellable(state) {
  return [...state.packages.values()].filter((pkg) => pkg.enabled && state.providers.get(pkg.provider).enabled);
}

function byPrice(a, b) {
  return Number(a.price.amount) - Number(b.price.amount);
}

function cheapest(list) {
  return list.sort(byPrice)[0].price;
}

function countries(ctx) {
  const groups = new Map();
  for (const pkg of sellable(ctx.state)) {
    for (const code of pkg.countries) {
      groups.set(code, [...(groups.get(code) ?? []), publicPackage(ctx.state, pkg)]);
    }
  }
  const body = [...groups].map(([code, list]) => ({
    code,
    name: COUNTRY_NAMES[code] ?? code,
    packages: list.length,
    from_price: cheapest(list),
  }));
  return { body };
}

function regions(ctx) {
  const groups = new Map();
  for (const pkg of sellable(ctx.state).filter((p) => p.region)) {
    const group = groups.get(pkg.region.code) ?? { ...pkg.region, countries: pkg.countries, list: [] };
    group.list.push(publicPackage(ctx.state, pkg));
    groups.set(pkg.region.code, group);
  }
  const body = [...groups.values()].map((g) => ({
    code: g.code,
    name: g.name,
    countries: g.countries,
    packages: g.list.length,
    from_price: cheapest(g.list),
  }));
  return { body };
}

function packages(ctx) {
  const country = ctx.url.searchParams.get("country");
  const region = ctx.url.searchParams.get("region");
  const list = sellable(ctx.state).filter((pkg) =>
    country ? pkg.countries.includes(country.toUpperCase()) : pkg.region?.code === region,
  );
  return { body: list.map((pkg) => publicPackage(ctx.state, pkg)).sort(byPrice) };
}

function adminPackage(state, pkg) {
  return {
    ...publicPackage(state, pkg),
    provider_package_id: pkg.code,
    wholesale: { amount: pkg.wholesale, currency: "USD" },
    margin_percent: Number(percentText(effectiveMargin(state, pkg))),
    margin_override: pkg.marginOverride === null ? null : Number(percentText(pkg.marginOverride)),
    enabled: pkg.enabled,
    withdrawn: false,
  };
}

function adminPackages(ctx) {
  requireAdmin(ctx);
  const slug = ctx.url.searchParams.get("provider");
  if (!slug) {
    throw invalid("provider", "provider is required (a provider slug such as esim-access)");
  }
  const list = [...ctx.state.packages.values()].filter((pkg) => pkg.provider === slug);
  return { body: list.map((pkg) => adminPackage(ctx.state, pkg)).sort(byPrice) };
}

function updatePackage(ctx) {
  requireAdmin(ctx);
  const pkg = ctx.state.packages.get(ctx.params.id);
  if (!pkg) {
    throw new HttpError(404, "package_not_found", "no such package");
  }
  if ("margin_override" in ctx.body) {
    const raw = ctx.body.margin_override;
    const margin = raw === null ? null : parsePercent(raw);
    if (raw !== null && margin === null) {
      throw invalid("margin_override", "margin must be a number from 0 to 100 with at most two decimals");
    }
    pkg.marginOverride = margin;
  }
  if (typeof ctx.body.enabled === "boolean") {
    pkg.enabled = ctx.body.enabled;
  }
  return { body: adminPackage(ctx.state, pkg) };
}

// --- customers --------------------------------------------------------------

const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function required(body, ...fields) {
  for (const field of fields) {
    if (typeof body[field] !== "string" || body[field] === "") {
      throw new HttpError(422, "invalid_required", `${field} is required`, field);
    }
  }
}

function oneTimeToken(state, kind, email) {
  const token = newId(24);
  state.customerTokens.set(token, { kind, email });
  return token;
}

function useToken(state, kind, token) {
  const entry = state.customerTokens.get(token);
  if (!entry || entry.kind !== kind) {
    throw new HttpError(422, "invalid_token", "this link is invalid or has expired", "token");
  }
  state.customerTokens.delete(token);
  return state.customers.get(entry.email);
}

function checkPassword(password) {
  if (password.length < 12) {
    throw invalid("password", "password must be at least 12 characters");
  }
}

function registerCustomer(ctx) {
  required(ctx.body, "email", "password");
  const email = ctx.body.email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email)) {
    throw invalid("email", "enter a valid email address");
  }
  checkPassword(ctx.body.password);
  if (!ctx.state.customers.has(email)) {
    ctx.state.customers.set(email, {
      id: newId(),
      email,
      password: ctx.body.password,
      verified: false,
      erased: false,
      registeredAt: new Date().toISOString(),
      orders: [],
    });
  }
  // The real server emails this token; the mock keeps it in state only.
  oneTimeToken(ctx.state, "verify", email);
  return { status: 201, body: { registered: true, verification: "sent" } };
}

function verifyCustomer(ctx) {
  required(ctx.body, "token");
  useToken(ctx.state, "verify", ctx.body.token).verified = true;
  return { body: { verified: true } };
}

function customerLogin(ctx) {
  required(ctx.body, "email", "password");
  const customer = ctx.state.customers.get(ctx.body.email.trim().toLowerCase());
  if (!customer || customer.password !== ctx.body.password) {
    throw new HttpError(401, "invalid_credentials", "invalid email or password");
  }
  if (!customer.verified) {
    throw new HttpError(403, "email_not_verified", "confirm your email address with the link we sent before signing in");
  }
  const token = newId(32);
  const csrf = newId(32);
  ctx.state.customerSessions.set(token, { csrf, email: customer.email });
  ctx.res.setHeader("Set-Cookie", `${CUSTOMER_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`);
  return { body: { csrf_token: csrf } };
}

function requestReset(ctx) {
  required(ctx.body, "email");
  const email = ctx.body.email.trim().toLowerCase();
  if (ctx.state.customers.has(email)) {
    oneTimeToken(ctx.state, "reset", email);
  }
  return { status: 202, body: { requested: true } };
}

function confirmReset(ctx) {
  required(ctx.body, "token", "password");
  checkPassword(ctx.body.password);
  useToken(ctx.state, "reset", ctx.body.token).password = ctx.body.password;
  return { body: { reset: true } };
}

function customerSessionOf(ctx) {
  return ctx.state.customerSessions.get(cookiesOf(ctx)[CUSTOMER_COOKIE]) ?? null;
}

function requireCustomer(ctx) {
  const session = customerSessionOf(ctx);
  if (!session) {
    throw new HttpError(401, "unauthenticated", "sign in first");
  }
  return ctx.state.customers.get(session.email);
}

// signedInCustomer returns the customer of the request's session cookie, or
// null for a guest; a session without its CSRF token is refused, as the
// server refuses it on POST /api/orders.
function signedInCustomer(ctx) {
  const session = customerSessionOf(ctx);
  if (!session) {
    return null;
  }
  if (ctx.req.headers["x-csrf-token"] !== session.csrf) {
    throw new HttpError(403, "csrf_token_invalid", "missing or invalid X-CSRF-Token header");
  }
  return ctx.state.customers.get(session.email);
}

function customerOrders(ctx) {
  const customer = requireCustomer(ctx);
  return { body: customer.orders.map((id) => orderView(ctx.state.orders.get(id))) };
}

function customerView(ctx) {
  const customer = requireCustomer(ctx);
  return {
    body: { id: customer.id, email: customer.email, verified: customer.verified, erased: false, orders: customer.orders },
  };
}

function gateways(ctx) {
  const { stripe, paypal, manual } = ctx.state.payments;
  return { body: { stripe: stripe.enabled, paypal: paypal.enabled, manual: manual.enabled, test: ctx.options.testPayments } };
}

// --- orders -----------------------------------------------------------------

function placeOrder(ctx) {
  const customer = signedInCustomer(ctx);
  const { package_id: packageId, email } = ctx.body;
  const pkg = ctx.state.packages.get(packageId);
  if (!pkg || !sellable(ctx.state).includes(pkg)) {
    throw invalid("package_id", "this package is not on sale");
  }
  if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
    throw invalid("email", "enter a valid email address");
  }
  const order = {
    id: newId(),
    token: newId(32),
    email,
    status: "pending_payment",
    total: publicPackage(ctx.state, pkg).price,
    // The server's order package has no "daily" field.
    package: {
      id: pkg.id,
      provider: pkg.provider,
      provider_package_id: pkg.code,
      name: pkg.name,
      countries: pkg.countries,
      data_mb: pkg.data_mb,
      unlimited: pkg.data_mb === null,
      validity_days: pkg.days,
    },
    esims: [],
    placedAt: new Date().toISOString(),
    paidAt: null,
    issuedAt: null,
    events: [],
  };
  record(order, "OrderPlaced", "anonymous", { order_id: order.id, email, access_token_hash: "mock-hash" });
  ctx.state.orders.set(order.id, order);
  customer?.orders.push(order.id);
  return { status: 201, body: { id: order.id, status: order.status, total: order.total, access_token: order.token } };
}

function record(order, type, actor, data) {
  order.events.push({ type, at: new Date().toISOString(), actor, data });
}

function orderWithToken(ctx) {
  const order = ctx.state.orders.get(ctx.params.id);
  if (!order || ctx.req.headers["x-order-token"] !== order.token) {
    throw new HttpError(404, "order_not_found", "order not found");
  }
  return order;
}

// commandOrder returns the order of a state-changing request by its
// X-Order-Token when sent. Otherwise it accepts the session cookie of the
// customer whose account placed the order, together with the customer's
// CSRF token, as the server does for checkout and top-ups.
function commandOrder(ctx) {
  if (ctx.req.headers["x-order-token"]) {
    return orderWithToken(ctx);
  }
  const customer = signedInCustomer(ctx);
  const order = ctx.state.orders.get(ctx.params.id);
  if (!order || !customer || customer.erased || !customer.orders.includes(order.id)) {
    throw new HttpError(404, "order_not_found", "order not found");
  }
  return order;
}

// readableOrder is orderWithToken that also accepts the session cookie of
// the customer whose account placed the order, with no CSRF header, as the
// server does for GET /api/orders/{id}.
function readableOrder(ctx) {
  const order = ctx.state.orders.get(ctx.params.id);
  const session = customerSessionOf(ctx);
  const customer = session && ctx.state.customers.get(session.email);
  if (order && customer && !customer.erased && customer.orders.includes(order.id)) {
    return order;
  }
  return orderWithToken(ctx);
}

function issueDemoEsim(order) {
  const matchingId = `DEMO-${randomBytes(4).toString("hex").toUpperCase()}`;
  const iccid = `8999${String(BigInt(`0x${randomBytes(7).toString("hex")}`)).padStart(15, "0").slice(0, 15)}`;
  order.esims = [
    {
      iccid,
      lpa: `LPA:1$demo.esimscan.invalid$${matchingId}`,
      smdp_address: "demo.esimscan.invalid",
      activation_code: matchingId,
      qr_png_url: `/api/orders/${order.id}/esims/${iccid}/qr.png?sig=${qrSignature(order.id, iccid)}`,
      demo: true,
    },
  ];
}

// getOrder moves a paid order one step per read (paid → provisioning →
// issued), as the stub driver would over a few seconds.
function getOrder(ctx) {
  const order = readableOrder(ctx);
  const view = orderView(order);
  if (order.status === "paid") {
    order.status = "provisioning";
    record(order, "ProvisioningStarted", "system", { order_id: order.id, driver: "stub" });
  } else if (order.status === "provisioning" && order.topUpOf) {
    order.status = "issued";
    order.issuedAt = new Date().toISOString();
    record(order, "TopUpApplied", "system", { order_id: order.id, iccid: order.topUpOf.iccid, applied_at: order.issuedAt });
  } else if (order.status === "provisioning") {
    order.status = "issued";
    order.issuedAt = new Date().toISOString();
    issueDemoEsim(order);
    record(order, "ESIMIssued", "system", { order_id: order.id, iccid: order.esims[0].iccid, demo: true });
  }
  return { body: view };
}

// orderView has the fields of the server's order view; paid_at and
// issued_at are left out until the order gets there.
function orderView(order) {
  const view = {
    id: order.id,
    status: order.status,
    email: order.email,
    total: order.total,
    unit_price: order.total,
    quantity: 1,
    package: order.package,
    placed_at: order.placedAt,
    failure: null,
    payment: order.payment ?? null,
    esims: order.esims,
  };
  if (order.paidAt) {
    view.paid_at = order.paidAt;
  }
  if (order.issuedAt) {
    view.issued_at = order.issuedAt;
  }
  if (order.cancelledAt) {
    view.cancelled_at = order.cancelledAt;
  }
  if (order.topUpOf) {
    view.topup_of = order.topUpOf;
  }
  if (order.topUpOrders?.length) {
    view.topups = order.topUpOrders.map(topUpEntry);
  }
  return view;
}

// topUpEntry is a top-up order as its parent lists it, with the top-up's
// current status.
function topUpEntry(topUp) {
  const entry = {
    order_id: topUp.id,
    iccid: topUp.topUpOf.iccid,
    status: topUp.status,
    package: topUp.package.name,
    total: topUp.total,
    placed_at: topUp.placedAt,
  };
  if (topUp.status === "issued") {
    entry.applied_at = topUp.issuedAt;
  }
  return entry;
}

// --- top-ups ----------------------------------------------------------------

// Every eSIM of the mock takes the same two made-up top-ups. The real server
// queries the eSIM's provider instead, so its list depends on the provider.
const TOPUP_PACKAGES = [
  { code: "TOPUP-1GB-7D", name: "1 GB top-up", data_mb: 1024, days: 7, price: "2.50" },
  { code: "TOPUP-3GB-30D", name: "3 GB top-up", data_mb: 3072, days: 30, price: "6.00" },
];

function topUpPackageView(pkg) {
  return {
    id: pkg.code,
    name: pkg.name,
    data_mb: pkg.data_mb,
    unlimited: false,
    daily: false,
    validity_days: pkg.days,
    price: { amount: pkg.price, currency: "USD" },
  };
}

// topUpTarget returns the eSIM of order that iccid names, or its only eSIM
// when iccid is empty, or throws the server's 409.
function topUpTarget(order, iccid) {
  if (order.topUpOf || order.status !== "issued" || order.esims.length === 0) {
    throw new HttpError(409, "topup_not_supported", "this order has no issued eSIM to top up");
  }
  let esim = order.esims.find((e) => e.iccid === iccid);
  if (!iccid && order.esims.length === 1) {
    esim = order.esims[0];
  }
  if (!esim) {
    throw new HttpError(409, "topup_not_supported", "this order has no issued eSIM to top up");
  }
  return { order_id: order.id, iccid: esim.iccid };
}

function listTopUps(ctx) {
  const order = readableOrder(ctx);
  const target = topUpTarget(order, ctx.url.searchParams.get("iccid") ?? "");
  return { body: { topup_of: target, packages: TOPUP_PACKAGES.map(topUpPackageView) } };
}

function placeTopUp(ctx) {
  const parent = commandOrder(ctx);
  const { package_id: packageId, iccid } = ctx.body ?? {};
  if (typeof packageId !== "string" || packageId === "") {
    throw invalid("package_id", "package_id is required");
  }
  const target = topUpTarget(parent, typeof iccid === "string" ? iccid : "");
  const pkg = TOPUP_PACKAGES.find((candidate) => candidate.code === packageId);
  if (!pkg) {
    throw new HttpError(422, "package_unavailable", "package_id names no top-up of this eSIM", "package_id");
  }

  const topUp = {
    id: newId(),
    token: newId(32),
    email: parent.email,
    status: "pending_payment",
    total: { amount: pkg.price, currency: "USD" },
    package: {
      id: pkg.code,
      provider: parent.package.provider,
      provider_package_id: pkg.code,
      name: pkg.name,
      countries: parent.package.countries,
      data_mb: pkg.data_mb,
      unlimited: false,
      validity_days: pkg.days,
    },
    esims: [],
    topUpOf: target,
    placedAt: new Date().toISOString(),
    paidAt: null,
    issuedAt: null,
    events: [],
  };

  record(topUp, "OrderPlaced", "anonymous", { order_id: topUp.id, email: topUp.email, topup_of: target });
  ctx.state.orders.set(topUp.id, topUp);
  parent.topUpOrders = [...(parent.topUpOrders ?? []), topUp];
  for (const customer of ctx.state.customers.values()) {
    if (customer.orders.includes(parent.id)) {
      customer.orders.push(topUp.id);
    }
  }

  return {
    status: 201,
    body: { id: topUp.id, status: topUp.status, total: topUp.total, access_token: topUp.token, topup_of: target },
  };
}

function qrSignature(orderId, iccid) {
  return createHash("sha256").update(`mock qr ${orderId} ${iccid}`).digest("hex").slice(0, 32);
}

function payWithTestGateway(ctx) {
  if (!ctx.options.testPayments) {
    throw new HttpError(404, "test_payments_disabled", "the test payment gateway is off");
  }
  const order = orderWithToken(ctx);
  if (order.status === "pending_payment") {
    markOrderPaid(order, "test", `test-${order.id}`, "anonymous");
  }
  return { body: orderView(order) };
}

function markOrderPaid(order, gateway, reference, actor) {
  order.status = "paid";
  order.paidAt = new Date().toISOString();
  order.payment = { gateway, reference };
  record(order, "OrderPaid", actor, { order_id: order.id, gateway, payment_reference: reference, amount: order.total });
}

function qrPng(ctx) {
  const order = ctx.state.orders.get(ctx.params.id);
  const esim = order?.esims.find((e) => e.iccid === ctx.params.iccid);
  if (!esim || ctx.url.searchParams.get("sig") !== qrSignature(order.id, esim.iccid)) {
    throw new HttpError(404, "qr_not_found", "no QR code at this address");
  }
  ctx.res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store" });
  ctx.res.end(qrLikePng(esim.lpa));
}

function adminOrders(ctx) {
  requireAdmin(ctx);
  const body = [...ctx.state.orders.values()].reverse().map(orderView);
  ctx.res.setHeader("X-Total-Count", String(body.length));
  return { body };
}

function fulfil(ctx) {
  requireAdmin(ctx);
  const order = ctx.state.orders.get(ctx.params.id);
  if (!order) {
    throw new HttpError(404, "order_not_found", "order not found");
  }
  if (!["paid", "provisioning"].includes(order.status)) {
    throw new HttpError(409, "order_not_fulfillable", `an order in status ${order.status} cannot be fulfilled`);
  }
  const { iccid, lpa } = ctx.body;
  if (typeof iccid !== "string" || !/^\d{18,22}$/.test(iccid)) {
    throw invalid("iccid", "ICCID must be 18 to 22 digits");
  }
  if (typeof lpa !== "string" || !lpa.startsWith("LPA:1$")) {
    throw invalid("lpa", "LPA string must start with LPA:1$");
  }
  const [, smdp = "", code = ""] = lpa.split("$");
  order.status = "issued";
  order.issuedAt = new Date().toISOString();
  const qrUrl = `/api/orders/${order.id}/esims/${iccid}/qr.png?sig=${qrSignature(order.id, iccid)}`;
  order.esims = [{ iccid, lpa, smdp_address: smdp, activation_code: code, demo: false, qr_png_url: qrUrl }];
  record(order, "ESIMIssued", ctx.state.admin.id, { order_id: order.id, iccid, demo: false });
  return { body: orderView(order) };
}

function adminOrder(ctx) {
  requireAdmin(ctx);
  const order = ctx.state.orders.get(ctx.params.id);
  if (!order) {
    throw new HttpError(404, "order_not_found", `no order with id ${ctx.params.id}`);
  }
  return order;
}

function retryProvisioning(ctx) {
  const order = adminOrder(ctx);
  if (order.status !== "failed") {
    throw new HttpError(409, "order_not_failed", `an order in status ${order.status} cannot be retried`);
  }
  order.status = "provisioning";
  record(order, "ProvisioningRetried", ctx.state.admin.id, { order_id: order.id });
  return { status: 202, body: orderView(order) };
}

// --- payments ---------------------------------------------------------------

const GATEWAYS = ["stripe", "paypal", "manual"];

function secretState(value) {
  return value ? "set" : "missing";
}

function paymentViews(state) {
  const { stripe, paypal, manual } = state.payments;
  return {
    stripe: { enabled: stripe.enabled, secret_key: secretState(stripe.secretKey), webhook_secret: secretState(stripe.webhookSecret) },
    paypal: {
      enabled: paypal.enabled,
      client_id: paypal.clientId,
      client_secret: secretState(paypal.clientSecret),
      webhook_id: paypal.webhookId,
      mode: paypal.mode,
    },
    manual: { enabled: manual.enabled, instructions: manual.instructions },
  };
}

function text(value) {
  return typeof value === "string" ? value.trim() : "";
}

function requireWhenEnabled(enabled, values) {
  if (!enabled) {
    return;
  }
  for (const [field, value] of Object.entries(values)) {
    if (!value) {
      throw invalid(field, `${field} is required when enabled is true`);
    }
  }
}

function saveStripe(ctx) {
  requireAdmin(ctx);
  const stripe = ctx.state.payments.stripe;
  const secretKey = text(ctx.body.secret_key);
  const webhookSecret = text(ctx.body.webhook_secret);
  if (secretKey && !/^(sk|rk)_/.test(secretKey)) {
    throw invalid("secret_key", "secret_key must be a Stripe secret key starting with sk_ or rk_");
  }
  if (webhookSecret && !webhookSecret.startsWith("whsec_")) {
    throw invalid("webhook_secret", "webhook_secret must be a Stripe signing secret starting with whsec_");
  }
  const enabled = ctx.body.enabled === true;
  requireWhenEnabled(enabled, {
    secret_key: secretKey || stripe.secretKey,
    webhook_secret: webhookSecret || stripe.webhookSecret,
  });
  Object.assign(stripe, { enabled, secretKey: secretKey || stripe.secretKey, webhookSecret: webhookSecret || stripe.webhookSecret });
  return { body: paymentViews(ctx.state).stripe };
}

function savePayPal(ctx) {
  requireAdmin(ctx);
  const paypal = ctx.state.payments.paypal;
  const mode = ctx.body.mode || "sandbox";
  if (!["sandbox", "live"].includes(mode)) {
    throw invalid("mode", "mode must be one of sandbox live");
  }
  const clientId = text(ctx.body.client_id);
  const webhookId = text(ctx.body.webhook_id);
  const clientSecret = text(ctx.body.client_secret) || paypal.clientSecret;
  const enabled = ctx.body.enabled === true;
  requireWhenEnabled(enabled, { client_id: clientId, client_secret: clientSecret, webhook_id: webhookId });
  Object.assign(paypal, { enabled, clientId, clientSecret, webhookId, mode });
  return { body: paymentViews(ctx.state).paypal };
}

function saveManual(ctx) {
  requireAdmin(ctx);
  const instructions = text(ctx.body.instructions);
  if (instructions.length > 4000) {
    throw invalid("instructions", "instructions must be at most 4000 characters");
  }
  const enabled = ctx.body.enabled === true;
  requireWhenEnabled(enabled, { instructions });
  Object.assign(ctx.state.payments.manual, { enabled, instructions });
  return { body: paymentViews(ctx.state).manual };
}

// checkout sends Stripe and PayPal buyers to a page of this mock, never to
// the real gateways, which marks the order paid and returns to the order page.
function checkout(ctx) {
  const gateway = ctx.body.gateway;
  if (!GATEWAYS.includes(gateway)) {
    throw invalid("gateway", "gateway must be one of stripe paypal manual");
  }
  const order = commandOrder(ctx);
  if (order.status !== "pending_payment") {
    throw new HttpError(409, "order_not_payable", `an order in status ${order.status} cannot be paid`);
  }
  const settings = ctx.state.payments[gateway];
  if (!settings.enabled) {
    throw new HttpError(422, "gateway_not_configured", `payment gateway ${gateway} is disabled or not configured`, "gateway");
  }
  record(order, "CheckoutStarted", "anonymous", { order_id: order.id, gateway, reference: gateway === "manual" ? "" : `mock-${newId()}` });
  if (gateway === "manual") {
    return { body: { instructions: settings.instructions } };
  }
  const origin = `http://${ctx.req.headers.host}`;
  return { body: { redirect_url: `${origin}/mock-gateway/${gateway}?order=${encodeURIComponent(order.id)}` } };
}

function mockGatewayReturn(state, url, res) {
  const gateway = url.pathname.split("/").at(-1);
  const order = state.orders.get(url.searchParams.get("order") ?? "");
  if (!order || !["stripe", "paypal"].includes(gateway)) {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("no such checkout");
    return;
  }
  if (order.status === "pending_payment") {
    markOrderPaid(order, gateway, `mock-${gateway}-${order.id}`, gateway);
  }
  res.writeHead(302, { Location: `/orders/${encodeURIComponent(order.id)}?checkout=success` });
  res.end();
}

function markPaid(ctx) {
  const order = adminOrder(ctx);
  if (order.status !== "pending_payment") {
    throw new HttpError(409, "order_not_payable", `an order in status ${order.status} cannot be paid`);
  }
  markOrderPaid(order, "manual", `manual-${order.id}`, ctx.state.admin.id);
  return { body: orderView(order) };
}

function cancelOrder(ctx) {
  const order = adminOrder(ctx);
  if (order.status !== "pending_payment") {
    throw new HttpError(409, "order_not_cancellable", `an order in status ${order.status} cannot be cancelled`);
  }
  order.status = "cancelled";
  order.cancelledAt = new Date().toISOString();
  record(order, "OrderCancelled", ctx.state.admin.id, { order_id: order.id, cancelled_at: order.cancelledAt });
  return { body: orderView(order) };
}

// Amounts are compared in cents, so no float rounding enters the check.
function cents(amount) {
  const [whole, fraction = ""] = amount.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

function refund(ctx) {
  const order = adminOrder(ctx);
  if (!["paid", "provisioning", "issued", "failed"].includes(order.status)) {
    throw new HttpError(409, "order_not_refundable", `an order in status ${order.status} cannot be refunded`);
  }
  const refunded = order.payment?.refunded ? cents(order.payment.refunded.amount) : 0;
  const remaining = cents(order.total.amount) - refunded;
  const raw = ctx.body.amount;
  if (raw !== undefined && (typeof raw !== "string" || !/^\d+(\.\d{1,2})?$/.test(raw) || cents(raw) <= 0)) {
    throw invalid("amount", "amount must be a positive decimal with at most 2 decimals, such as 5.00");
  }
  const amount = raw === undefined ? remaining : cents(raw);
  if (amount > remaining) {
    throw invalid("amount", `amount ${raw} exceeds the refundable ${(remaining / 100).toFixed(2)} ${order.total.currency}`);
  }
  const money = { amount: ((refunded + amount) / 100).toFixed(2), currency: order.total.currency };
  order.payment = { ...order.payment, refunded: money };
  if (amount === remaining) {
    order.status = "refunded";
  }
  const refundAmount = { amount: (amount / 100).toFixed(2), currency: order.total.currency };
  record(order, "OrderRefunded", ctx.state.admin.id, { order_id: order.id, gateway: order.payment.gateway, amount: refundAmount });
  return { body: orderView(order) };
}

// resendEmail records the request and, with SMTP saved, an EmailSent; the
// mock sends nothing.
function resendEmail(ctx) {
  const order = adminOrder(ctx);
  if (order.status !== "issued") {
    throw new HttpError(409, "order_not_issued", "the order has no issued eSIM to email");
  }
  record(order, "EmailResendRequested", ctx.state.admin.id, { order_id: order.id });
  if (ctx.state.smtp.configured) {
    record(order, "EmailSent", "system", { order_id: order.id, kind: "esim_delivery", message_id: newId(), attempt: 1 });
  } else {
    record(order, "EmailFailed", "system", { order_id: order.id, kind: "esim_delivery", attempt: 1, message: "smtp is not configured", retry_at: null });
  }
  return { status: 202, body: { resend: "requested" } };
}

// --- email ------------------------------------------------------------------

function smtpView(state) {
  const { password, ...rest } = state.smtp;
  return { ...rest, password: secretState(password) };
}

function saveSmtp(ctx) {
  requireAdmin(ctx);
  const host = text(ctx.body.host);
  if (!host) {
    throw invalid("host", "host is required");
  }
  if (/[\s/:@]/.test(host)) {
    throw invalid("host", "host must be a host name or IP address, without scheme or port");
  }
  const port = ctx.body.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid("port", "port must be from 1 to 65535");
  }
  const from = text(ctx.body.from);
  if (!/^[^@\s]+@[^@\s]+$/.test(from)) {
    throw invalid("from", "from must be an email address, such as shop@example.com");
  }
  if (!["none", "starttls", "tls"].includes(ctx.body.security)) {
    throw invalid("security", "security must be one of none starttls tls");
  }
  const password = typeof ctx.body.password === "string" && ctx.body.password !== "" ? ctx.body.password : ctx.state.smtp.password;
  ctx.state.smtp = { configured: true, host, port, username: text(ctx.body.username), password, from, security: ctx.body.security };
  return { body: smtpView(ctx.state) };
}

function testSmtp(ctx) {
  requireAdmin(ctx);
  const to = text(ctx.body.to);
  if (!to) {
    throw invalid("to", "to is required");
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(to)) {
    throw invalid("to", "to must be an email address");
  }
  if (!ctx.state.smtp.configured) {
    return { body: { ok: false, message: "the test email was not sent: smtp is not configured" } };
  }
  return { body: { ok: true, message: `the mock store accepted a test email to ${to} and sent nothing` } };
}

// --- admin customers --------------------------------------------------------

function adminCustomers(ctx) {
  requireAdmin(ctx);
  const body = [...ctx.state.customers.values()].map((customer) => ({
    id: customer.id,
    email: customer.erased ? "erased" : customer.email,
    verified: customer.verified,
    erased: customer.erased,
    registered_at: customer.registeredAt,
    order_count: customer.orders.length,
  }));
  return { body };
}

function eraseCustomer(ctx) {
  requireAdmin(ctx);
  const customer = [...ctx.state.customers.values()].find((candidate) => candidate.id === ctx.params.id);
  if (!customer) {
    throw new HttpError(404, "customer_not_found", "customer not found");
  }
  if (customer.erased) {
    throw new HttpError(409, "already_erased", "the customer is already erased");
  }
  customer.erased = true;
  return { body: { erased: true } };
}

// eraseGuest counts the guest orders placed with the email. The mock keeps
// their email readable because it models no encryption.
function eraseGuest(ctx) {
  requireAdmin(ctx);
  required(ctx.body, "email");
  const email = ctx.body.email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email)) {
    throw invalid("email", "email must be an email address");
  }
  const owned = new Set([...ctx.state.customers.values()].flatMap((customer) => customer.orders));
  const guestOrders = [...ctx.state.orders.values()].filter((order) => order.email === email && !owned.has(order.id));
  return { body: { erased_orders: guestOrders.length } };
}

// --- audit, projections, sandbox -------------------------------------------

function audit(ctx) {
  requireAdmin(ctx);
  const kind = ctx.url.searchParams.get("kind");
  const matches = (entry) =>
    !kind || (kind === "margin" ? entry.action.includes("margin") : entry.action.startsWith("credential"));
  return { body: ctx.state.audit.filter(matches) };
}

function projections(ctx) {
  requireAdmin(ctx);
  const names = ["catalog", "providers", "orders", "audit", "reports"];
  // After a rebuild every projection reports "rebuilding" for a moment, as the server's do while they replay.
  const rebuilding = Date.now() < ctx.state.rebuildingUntil;
  const body = names.map((name) => ({
    name,
    checkpoint: rebuilding ? 7 : 42,
    lag: rebuilding ? 35 : 0,
    status: rebuilding ? "rebuilding" : "running",
    parked: [],
    parked_count: 0,
  }));
  return { body };
}

function rebuild(ctx) {
  requireAdmin(ctx);
  ctx.state.rebuildingUntil = Date.now() + 2_500;
  return { status: 202, body: {} };
}

const ROUTES = [
  ["GET", /^\/api\/health$/, () => ({ body: { status: "ok" } })],
  ["GET", /^\/api\/ready$/, () => ({ body: { status: "ready" } })],
  ["GET", /^\/api\/sandbox$/, () => ({ body: { enabled: true } })],
  ["GET", /^\/api\/install$/, (ctx) => ({ body: { installed: ctx.state.installed } })],
  ["GET", /^\/api\/store$/, (ctx) => ({ body: { name: ctx.state.storeName } })],
  ["POST", /^\/api\/install$/, install],
  ["POST", /^\/api\/auth\/login$/, login],
  ["GET", /^\/api\/auth\/session$/, currentSession],
  ["POST", /^\/api\/auth\/logout$/, logout],
  ["GET", /^\/api\/catalog\/countries$/, countries],
  ["GET", /^\/api\/catalog\/regions$/, regions],
  ["GET", /^\/api\/catalog\/packages$/, packages],
  ["POST", /^\/api\/customers\/register$/, registerCustomer],
  ["POST", /^\/api\/customers\/verify$/, verifyCustomer],
  ["POST", /^\/api\/customers\/login$/, customerLogin],
  ["POST", /^\/api\/customers\/password-reset$/, requestReset],
  ["POST", /^\/api\/customers\/password-reset\/confirm$/, confirmReset],
  ["GET", /^\/api\/customers\/me$/, customerView],
  ["GET", /^\/api\/customers\/me\/orders$/, customerOrders],
  ["GET", /^\/api\/payments\/gateways$/, gateways],
  ["POST", /^\/api\/orders$/, placeOrder],
  ["GET", /^\/api\/orders\/(?<id>[\w-]+)$/, getOrder],
  ["POST", /^\/api\/orders\/(?<id>[\w-]+)\/payments\/test$/, payWithTestGateway],
  ["POST", /^\/api\/orders\/(?<id>[\w-]+)\/checkout$/, checkout],
  ["GET", /^\/api\/orders\/(?<id>[\w-]+)\/topups$/, listTopUps],
  ["POST", /^\/api\/orders\/(?<id>[\w-]+)\/topups$/, placeTopUp],
  ["GET", /^\/api\/orders\/(?<id>[\w-]+)\/esims\/(?<iccid>\d+)\/qr\.png$/, qrPng],
  ["GET", /^\/api\/admin\/sandbox$/, (ctx) => (requireAdmin(ctx), { body: { providers: ctx.state.sandbox } })],
  ["GET", /^\/api\/admin\/providers$/, (ctx) => (requireAdmin(ctx), { body: [...ctx.state.providers.values()].map((p) => providerView(ctx.state, p)) })],
  ["GET", /^\/api\/admin\/providers\/(?<slug>[\w-]+)$/, (ctx) => (requireAdmin(ctx), { body: providerView(ctx.state, providerOf(ctx)) })],
  ["PUT", /^\/api\/admin\/providers\/(?<slug>[\w-]+)$/, configureProvider],
  ["POST", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/test$/, testProvider],
  ["POST", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/sync$/, startSync],
  ["GET", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/syncs\/(?<syncId>[\w-]+)$/, syncStatus],
  ["POST", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/enable$/, setEnabled(true)],
  ["POST", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/disable$/, setEnabled(false)],
  ["GET", /^\/api\/admin\/providers\/(?<slug>[\w-]+)\/history$/, (ctx) => (requireAdmin(ctx), { body: providerOf(ctx).history })],
  ["GET", /^\/api\/admin\/catalog\/packages$/, adminPackages],
  ["PATCH", /^\/api\/admin\/catalog\/packages\/(?<id>[\w-]+)$/, updatePackage],
  ["GET", /^\/api\/admin\/orders$/, adminOrders],
  ["GET", /^\/api\/admin\/orders\/(?<id>[\w-]+)$/, (ctx) => ({ body: orderView(adminOrder(ctx)) })],
  ["GET", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/history$/, (ctx) => ({ body: adminOrder(ctx).events })],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/fulfil$/, fulfil],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/retry-provisioning$/, retryProvisioning],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/mark-paid$/, markPaid],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/cancel$/, cancelOrder],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/refund$/, refund],
  ["POST", /^\/api\/admin\/orders\/(?<id>[\w-]+)\/resend-email$/, resendEmail],
  ["GET", /^\/api\/admin\/settings\/payments$/, (ctx) => (requireAdmin(ctx), { body: paymentViews(ctx.state) })],
  ["PUT", /^\/api\/admin\/settings\/payments\/stripe$/, saveStripe],
  ["PUT", /^\/api\/admin\/settings\/payments\/paypal$/, savePayPal],
  ["PUT", /^\/api\/admin\/settings\/payments\/manual$/, saveManual],
  ["GET", /^\/api\/admin\/settings\/smtp$/, (ctx) => (requireAdmin(ctx), { body: smtpView(ctx.state) })],
  ["PUT", /^\/api\/admin\/settings\/smtp$/, saveSmtp],
  ["POST", /^\/api\/admin\/settings\/smtp\/test$/, testSmtp],
  ["GET", /^\/api\/admin\/customers$/, adminCustomers],
  ["POST", /^\/api\/admin\/customers\/erase-guest$/, eraseGuest],
  ["POST", /^\/api\/admin\/customers\/(?<id>[\w-]+)\/erase$/, eraseCustomer],
  ["GET", /^\/api\/admin\/audit$/, audit],
  ["GET", /^\/api\/admin\/projections$/, projections],
  ["POST", /^\/api\/admin\/projections\/rebuild$/, rebuild],
];

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 0);
  const { url } = await startMockServer({ port });
  console.log(`mock esimscan serving on ${url}`);
}
