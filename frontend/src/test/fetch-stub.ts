import { vi } from "vitest";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

export type StubAnswer = { status?: number; body?: unknown } | ((request: RecordedRequest) => StubAnswer);

/**
 * Replaces the global fetch with canned responses keyed by "METHOD /path"
 * (the query string included). A request with no answer fails the test
 * with a 599 so a missing stub is easy to spot.
 */
export function stubFetch(answers: Record<string, StubAnswer | StubAnswer[]>) {
  const requests: RecordedRequest[] = [];
  const queues = new Map(Object.entries(answers).map(([key, value]) => [key, Array.isArray(value) ? [...value] : [value]]));

  const fetchStub = vi.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, "http://store.test");
    const request: RecordedRequest = {
      method: init.method ?? "GET",
      path: url.pathname + url.search,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
      credentials: init.credentials,
    };
    requests.push(request);
    const queue = queues.get(`${request.method} ${request.path}`);
    let answer: StubAnswer | undefined = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    if (typeof answer === "function") {
      answer = answer(request);
    }
    if (!answer) {
      return jsonResponse(599, { error: { code: "no_stub", message: `no stub for ${request.method} ${request.path}` } });
    }
    const resolved = answer as { status?: number; body?: unknown };
    return jsonResponse(resolved.status ?? 200, resolved.body);
  });
  vi.stubGlobal("fetch", fetchStub);
  return { requests, fetchStub };
}

export function jsonResponse(status: number, body: unknown): Response {
  const text = body === undefined ? "" : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, headers: { "Content-Type": "application/json" } });
}

export function apiError(status: number, code: string, message: string, field?: string) {
  return { status, body: { error: { code, message, ...(field ? { field } : {}) } } };
}
