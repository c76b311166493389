// Failures of an API call, kept apart so the UI can tell "the server
// rejected this" from "the server could not be reached" and "it took too long".

/** Error body of the API: {"error": {"code", "message", "field"}}. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

/** A response with a 4xx or 5xx status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** JSON field at fault, such as "margin_percent" or "credentials.secret_key". */
  readonly field: string | undefined;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.code;
    this.field = body.field || undefined;
  }
}

/** A request that got no HTTP response: offline, refused, or reset. */
export class NetworkError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("network request failed", options);
    this.name = "NetworkError";
  }
}

/** A request that got no response within its deadline. */
export class TimeoutError extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`request timed out after ${timeoutMs} ms`);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** Returns a sentence a customer or admin can act on. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    return err.message || `The server rejected the request (${err.status}).`;
  }
  if (err instanceof TimeoutError) {
    return "The store took too long to respond. Try again in a moment.";
  }
  if (err instanceof NetworkError) {
    return "Could not reach the store. Check your connection and try again.";
  }
  return "Something went wrong. Reload the page and try again.";
}

/** Reports whether err is an ApiError with the given status and, when given, code. */
export function isApiError(err: unknown, status: number, code?: string): err is ApiError {
  return err instanceof ApiError && err.status === status && (code === undefined || err.code === code);
}
