import { describe, expect, it } from "vitest";
import type { OrderEvent } from "../api/types";
import { describeOrderEvent, emailOutcome } from "./order-events";

function event(type: string, data: Record<string, unknown>, at = "2026-12-04T10:00:00Z"): OrderEvent {
  return { type, at, actor: "system", data } as OrderEvent;
}

describe("refund notices in the order history", () => {
  it("names a sent or failed refund notice apart from the eSIM email", () => {
    expect(describeOrderEvent(event("EmailSent", { kind: "refund_notice", refund_reference: "re_1" }))).toBe(
      "Refund notice sent for re_1",
    );
    expect(
      describeOrderEvent(event("EmailFailed", { kind: "refund_notice", refund_reference: "re_1", message: "450 busy" })),
    ).toBe("Refund notice failed for re_1: 450 busy; tried again at the next start");
    expect(describeOrderEvent(event("EmailSent", { kind: "esim_delivery", attempt: 1 }))).toMatch(/^eSIM email sent/);
  });

  it("keeps the eSIM email outcome when a refund notice follows it", () => {
    const outcome = emailOutcome([
      event("EmailFailed", { kind: "esim_delivery", attempt: 1, message: "timeout" }),
      event("EmailSent", { kind: "refund_notice", refund_reference: "re_1" }, "2026-12-04T11:00:00Z"),
    ]);
    expect(outcome?.failed).toBe(true);
    expect(outcome?.text).toContain("timeout");
  });
});
