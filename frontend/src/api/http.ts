import { ApiError, NetworkError, TimeoutError, type ApiErrorBody } from "./errors";

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** Prefix of every path; empty means the page's own origin. */
  baseUrl?: string;
  /** Defaults to the global fetch, looked up at call time so tests can stub it. */
  fetch?: FetchFunction;
  /** Deadline of one request. */
  timeoutMs?: number;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/**
 * HttpClient sends JSON requests to the store's API. It adds the admin CSRF
 * token as X-CSRF-Token to every state-changing request under /api/admin/,
 * and to logout, and calls onUnauthorized when an admin request returns 401.
 */
export class HttpClient {
  csrfToken: string | null = null;
  onUnauthorized: (() => void) | null = null;

  private readonly baseUrl: string;
  private readonly fetchFunction: FetchFunction;
  private readonly timeoutMs: number;

  constructor(options: HttpOptions = {}) {
    this.baseUrl = options.baseUrl ?? "";
    this.fetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? "GET";
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (this.csrfToken && !SAFE_METHODS.has(method) && needsCsrf(path)) {
      headers["X-CSRF-Token"] = this.csrfToken;
    }
    const init: RequestInit = {
      method,
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    };
    const response = await this.send(this.baseUrl + path, init, options.timeoutMs ?? this.timeoutMs);
    if (!response.ok) {
      const error = await readError(response);
      if (error.status === 401 && path.startsWith("/api/admin/")) {
        this.onUnauthorized?.();
      }
      throw error;
    }
    return (await readJson(response)) as T;
  }

  private async send(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await this.fetchFunction(url, { ...init, signal: controller.signal });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new TimeoutError(timeoutMs);
      }
      throw new NetworkError({ cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function needsCsrf(path: string): boolean {
  return path.startsWith("/api/admin/") || path === "/api/auth/logout";
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") {
    return undefined;
  }
  return JSON.parse(text);
}

// readError turns an error response into an ApiError. A body without the
// API's error shape (a proxy's HTML page, say) still gives a usable error.
async function readError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await readJson(response);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: Partial<ApiErrorBody> } | undefined)?.error;
  if (error && typeof error.code === "string") {
    return new ApiError(response.status, {
      code: error.code,
      message: typeof error.message === "string" ? error.message : "",
      field: typeof error.field === "string" ? error.field : undefined,
    });
  }
  return new ApiError(response.status, {
    code: `http_${response.status}`,
    message: `The server returned ${response.status} ${response.statusText}`.trim() + ".",
  });
}
