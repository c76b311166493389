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

describe("payment captures and returned payments in the order history", () => {
  it("describes a capture hold and its release", () => {
    expect(describeOrderEvent(event("PaymentCaptureStarted", { gateway: "paypal", reference: "5O190127TN364715T" }))).toBe(
      "Capture started with PayPal for 5O190127TN364715T",
    );
    expect(describeOrderEvent(event("PaymentCaptureFailed", { gateway: "paypal", reason: "declined" }))).toBe(
      "Capture with PayPal failed: declined; the order is payable again",
    );
  });

  it("describes a returned and an unmatched payment", () => {
    const amount = { amount: "1.23", currency: "USD" };
    const returned = describeOrderEvent(
      event("PaymentReturned", { gateway: "stripe", amount, refund_reference: "re_1", reason: "order cancelled" }),
    );
    expect(returned).toMatch(/^Payment of .+ with Stripe refunded as re_1: order cancelled$/);
    const unmatched = describeOrderEvent(event("PaymentUnmatched", { gateway: "stripe", amount, reason: "order cancelled" }));
    expect(unmatched).toMatch(/^Payment of .+ with Stripe could not be applied and is not refunded yet: order cancelled$/);
  });
});
