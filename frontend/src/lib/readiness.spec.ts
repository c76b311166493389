import { describe, expect, it } from "vitest";
import { apiError, stubFetch } from "../test/fetch-stub";
import { readiness, watchReadiness } from "./readiness";

const CATCHING_UP = apiError(503, "catching_up", "read models are still catching up with the event log");

describe("watchReadiness", () => {
  it("checks again until ready", async () => {
    readiness.catchingUp = false;
    const before = readiness.caughtUpCount;
    const seen: boolean[] = [];
    const { requests } = stubFetch({
      "GET /api/ready": [
        () => (seen.push(readiness.catchingUp), CATCHING_UP),
        () => (seen.push(readiness.catchingUp), CATCHING_UP),
        () => (seen.push(readiness.catchingUp), { body: { status: "ready" } }),
      ],
    });

    await watchReadiness({ initialDelayMs: 1, maxDelayMs: 2 });

    expect(requests).toHaveLength(3);
    expect(seen).toEqual([false, true, true]);
    expect(readiness.catchingUp).toBe(false);
    expect(readiness.caughtUpCount).toBe(before + 1);
  });

  it("stays quiet when ready at once", async () => {
    readiness.catchingUp = false;
    const before = readiness.caughtUpCount;
    stubFetch({ "GET /api/ready": { body: { status: "ready" } } });

    await watchReadiness({ initialDelayMs: 1 });

    expect(readiness.catchingUp).toBe(false);
    expect(readiness.caughtUpCount).toBe(before);
  });

  it("ignores other failures", async () => {
    readiness.catchingUp = false;
    stubFetch({ "GET /api/ready": apiError(503, "redis_unavailable", "Redis does not answer") });

    await watchReadiness({ initialDelayMs: 1 });

    expect(readiness.catchingUp).toBe(false);
  });

  it("gives up after its bound", async () => {
    readiness.catchingUp = false;
    const { requests } = stubFetch({ "GET /api/ready": CATCHING_UP });

    await watchReadiness({ initialDelayMs: 1, maxDelayMs: 1, maxAttempts: 5 });

    expect(requests).toHaveLength(5);
    expect(readiness.catchingUp).toBe(true);
    readiness.catchingUp = false;
  });
});
