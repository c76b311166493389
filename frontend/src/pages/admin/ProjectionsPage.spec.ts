import { fireEvent, render, screen } from "@testing-library/vue";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api";
import { stubFetch } from "../../test/fetch-stub";
import ProjectionsPage from "./ProjectionsPage.vue";

function projections(status: string, lag = 0) {
  return {
    body: [
      { name: "catalog", checkpoint: 10, lag, status, parked: 0 },
      { name: "orders", checkpoint: 10, lag: 0, status: "running", parked: 0 },
    ],
  };
}

beforeEach(() => {
  api.http.csrfToken = "csrf-1";
});

afterEach(() => {
  api.http.csrfToken = null;
  vi.useRealTimers();
});

describe("ProjectionsPage", () => {
  it("polls after Rebuild all until caught up", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({
      "GET /api/admin/projections": [
        projections("running"),
        projections("rebuilding", 8),
        projections("rebuilding", 3),
        projections("running"),
      ],
      "POST /api/admin/projections/rebuild": { status: 202, body: { rebuilding: ["catalog", "orders"] } },
    });
    render(ProjectionsPage);
    await vi.waitFor(() => screen.getByRole("row", { name: /catalog/ }));

    await fireEvent.click(screen.getByRole("button", { name: "Rebuild all" }));
    await vi.waitFor(() => screen.getByText("rebuilding"));
    expect(screen.getByText(/Rebuilding every read model/)).toBeTruthy();

    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => screen.getByRole("cell", { name: "3" }));
    await vi.advanceTimersByTimeAsync(1_300);

    await vi.waitFor(() => screen.getByText("Rebuild finished: every read model has caught up."));
    expect(screen.queryByText("rebuilding")).toBeNull();
    expect(requests.filter((r) => r.path === "/api/admin/projections" && r.method === "GET")).toHaveLength(4);
    expect((screen.getByRole("button", { name: "Rebuild all" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("stops polling after its bound", async () => {
    vi.useFakeTimers();
    const { requests } = stubFetch({
      "GET /api/admin/projections": [projections("running"), projections("rebuilding", 5)],
      "POST /api/admin/projections/rebuild": { status: 202, body: {} },
    });
    render(ProjectionsPage);
    await vi.waitFor(() => screen.getByRole("row", { name: /catalog/ }));

    await fireEvent.click(screen.getByRole("button", { name: "Rebuild all" }));
    await vi.advanceTimersByTimeAsync(60 * 60_000);

    await vi.waitFor(() => screen.getByText(/Stopped watching the rebuild/));
    const polls = requests.filter((r) => r.path === "/api/admin/projections").length;
    expect(polls).toBeLessThanOrEqual(131);
    expect(polls).toBeGreaterThan(10);
  });
});
