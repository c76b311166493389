import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError } from "../api/errors";
import { pollUntil } from "./poll";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("pollUntil", () => {
  it("stops at the first value that is done", async () => {
    const values = ["paid", "provisioning", "issued", "never read"];
    const load = vi.fn(async () => values.shift()!);

    const pending = pollUntil({ load, isDone: (v) => v === "issued", initialDelayMs: 100 });
    await vi.runAllTimersAsync();

    await expect(pending).resolves.toEqual({ value: "issued", done: true });
    expect(load).toHaveBeenCalledTimes(3);
  });

  it("waits longer after each attempt up to the ceiling", async () => {
    const calls: number[] = [];
    const load = vi.fn(async () => {
      calls.push(Date.now());
      return "running";
    });

    const pending = pollUntil({ load, isDone: () => false, initialDelayMs: 100, backoff: 2, maxDelayMs: 300, maxAttempts: 5 });
    await vi.runAllTimersAsync();
    const result = await pending;

    const gaps = calls.slice(1).map((at, i) => at - calls[i]);
    expect(gaps).toEqual([100, 200, 300, 300]);
    expect(result).toEqual({ value: "running", done: false });
  });

  it("goes on after a network failure", async () => {
    const load = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new NetworkError())
      .mockResolvedValueOnce("issued");

    const pending = pollUntil({ load, isDone: (v) => v === "issued", initialDelayMs: 10 });
    await vi.runAllTimersAsync();

    await expect(pending).resolves.toEqual({ value: "issued", done: true });
  });

  it("throws an API error at once", async () => {
    const load = vi.fn(async () => {
      throw new ApiError(404, { code: "order_not_found", message: "order not found" });
    });

    const pending = pollUntil({ load, isDone: () => false });
    const assertion = expect(pending).rejects.toBeInstanceOf(ApiError);
    await vi.runAllTimersAsync();

    await assertion;
    expect(load).toHaveBeenCalledOnce();
  });

  it("stops quietly when aborted", async () => {
    const controller = new AbortController();
    const load = vi.fn(async () => "running");

    const pending = pollUntil({ load, isDone: () => false, initialDelayMs: 1_000, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    await vi.runAllTimersAsync();

    await expect(pending).resolves.toEqual({ value: "running", done: false });
    expect(load).toHaveBeenCalledOnce();
  });
});
