import { afterEach, describe, expect, it, vi } from "vitest";
import { apiError, stubFetch } from "../test/fetch-stub";
import { ApiError, NetworkError, TimeoutError, createApi, describeError } from "./index";

afterEach(() => {
  vi.useRealTimers();
});

describe("HttpClient", () => {
  it("sends JSON with same-origin credentials", async () => {
    const { requests } = stubFetch({ "POST /api/orders": { status: 201, body: { id: "o1", access_token: "t" } } });
    const api = createApi();

    const order = await api.store.placeOrder("pkg-1", "a@example.com");

    expect(order.id).toBe("o1");
    expect(requests[0].credentials).toBe("same-origin");
    expect(requests[0].headers["Content-Type"]).toBe("application/json");
    expect(requests[0].body).toEqual({ package_id: "pkg-1", email: "a@example.com" });
  });

  it("maps the error body to ApiError", async () => {
    stubFetch({ "POST /api/orders": apiError(422, "invalid", "enter a valid email address", "email") });
    const api = createApi();

    const err = await api.store.placeOrder("pkg-1", "nope").catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).code).toBe("invalid");
    expect((err as ApiError).field).toBe("email");
    expect((err as ApiError).message).toBe("enter a valid email address");
  });

  it("maps a foreign error body to ApiError", async () => {
    const fetchStub = vi.fn(async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const api = createApi({ fetch: fetchStub });

    const err = await api.store.countries().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("http_502");
    expect((err as ApiError).field).toBeUndefined();
  });

  it("reports a refused connection as a NetworkError", async () => {
    const api = createApi({ fetch: async () => Promise.reject(new TypeError("fetch failed")) });

    const err = await api.store.countries().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(NetworkError);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(describeError(err)).toMatch(/Could not reach the store/);
  });

  it("reports a missed deadline as TimeoutError", async () => {
    vi.useFakeTimers();
    const hanging = (_input: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    const api = createApi({ fetch: hanging, timeoutMs: 1_000 });

    const pending = api.store.countries().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    const err = await pending;

    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).timeoutMs).toBe(1_000);
  });

  it("reads an empty success body as undefined", async () => {
    stubFetch({ "POST /api/admin/projections/rebuild": { status: 202 } });
    const api = createApi();

    await expect(api.admin.rebuildProjections()).resolves.toBeUndefined();
  });
});

describe("admin calls", () => {
  it("send the login CSRF token on writes", async () => {
    const { requests } = stubFetch({
      "POST /api/auth/login": { body: { csrf_token: "csrf-123" } },
      "GET /api/admin/providers": { body: [] },
      "POST /api/admin/providers/esim-access/test": { body: { ok: true, balance: { amount: "1.00", currency: "USD" } } },
      "PATCH /api/admin/catalog/packages/p1": { body: {} },
    });
    const api = createApi();

    await api.admin.login("owner@example.com", "password123");
    await api.admin.providers();
    await api.admin.testProvider("esim-access");
    await api.admin.updatePackage("p1", { enabled: false });

    expect(requests[0].headers["X-CSRF-Token"]).toBeUndefined();
    expect(requests[1].headers["X-CSRF-Token"]).toBeUndefined();
    expect(requests[2].headers["X-CSRF-Token"]).toBe("csrf-123");
    expect(requests[3].headers["X-CSRF-Token"]).toBe("csrf-123");
  });

  it("omit the CSRF token on storefront calls", async () => {
    const { requests } = stubFetch({ "POST /api/orders": { status: 201, body: { id: "o1" } } });
    const api = createApi();
    api.http.csrfToken = "csrf-123";

    await api.store.placeOrder("pkg-1", "a@example.com");

    expect(requests[0].headers["X-CSRF-Token"]).toBeUndefined();
  });

  it("call onUnauthorized on a 401", async () => {
    stubFetch({ "GET /api/admin/orders": apiError(401, "unauthenticated", "sign in first") });
    const api = createApi();
    const onUnauthorized = vi.fn();
    api.http.onUnauthorized = onUnauthorized;

    await expect(api.admin.orders()).rejects.toBeInstanceOf(ApiError);

    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("read a 404 from the sandbox endpoints as no sandbox", async () => {
    stubFetch({
      "GET /api/sandbox": apiError(404, "not_found", "no route"),
      "GET /api/admin/sandbox": apiError(404, "not_found", "no route"),
    });
    const api = createApi();

    await expect(api.store.sandboxEnabled()).resolves.toBe(false);
    await expect(api.admin.sandboxSettings()).resolves.toBeNull();
  });

  it("encode path segments and query values", async () => {
    const { requests } = stubFetch({
      "GET /api/admin/providers/esim-access/syncs/a%2Fb": { body: { status: "running" } },
      "GET /api/catalog/packages?region=EU+Plus": { body: [] },
    });
    const api = createApi();

    await api.admin.sync("esim-access", "a/b");
    await api.store.packages({ region: "EU Plus" });

    expect(requests.map((r) => r.path)).toEqual([
      "/api/admin/providers/esim-access/syncs/a%2Fb",
      "/api/catalog/packages?region=EU+Plus",
    ]);
  });
});

describe("order calls", () => {
  it("send the access token in X-Order-Token", async () => {
    const { requests } = stubFetch({
      "GET /api/orders/o1": { body: { id: "o1", status: "pending_payment", esims: [] } },
      "POST /api/orders/o1/payments/test": { body: {} },
    });
    const api = createApi();

    await api.store.order("o1", "secret-token");
    await api.store.payWithTestGateway("o1", "secret-token");

    expect(requests[0].headers["X-Order-Token"]).toBe("secret-token");
    expect(requests[1].headers["X-Order-Token"]).toBe("secret-token");
  });
});
