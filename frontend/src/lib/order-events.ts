import type { Money, OrderEvent } from "../api/types";
import { formatMoney, formatTime } from "./format";

type EventData = Record<string, unknown>;

function field(data: EventData, name: string): string {
  const value = data[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

function money(data: EventData, name: string): string {
  const value = data[name] as Partial<Money> | undefined;
  return value && typeof value.amount === "string" && typeof value.currency === "string"
    ? formatMoney({ amount: value.amount, currency: value.currency })
    : "";
}

const GATEWAY_NAMES: Record<string, string> = {
  stripe: "Stripe",
  paypal: "PayPal",
  manual: "bank transfer",
  test: "the test gateway",
};

function gateway(data: EventData): string {
  const name = field(data, "gateway");
  return GATEWAY_NAMES[name] ?? (name || "a gateway");
}

function attempt(data: EventData): string {
  const number = field(data, "attempt");
  return number ? ` (attempt ${number})` : "";
}

/** Returns one line that says what an order event means, for the admin's history table. */
export function describeOrderEvent(event: OrderEvent): string {
  const data = (event.data && typeof event.data === "object" ? event.data : {}) as EventData;
  switch (event.type) {
    case "OrderPlaced":
      return "Order placed";
    case "CheckoutStarted":
      return `Checkout started with ${gateway(data)}`;
    case "OrderPaid": {
      const amount = money(data, "amount");
      return `Paid${amount ? ` ${amount}` : ""} with ${gateway(data)}`;
    }
    case "ProvisioningStarted":
      return "Provisioning started";
    case "ESIMIssued":
      return "eSIM issued";
    case "OrderFailed":
      return `Failed: ${field(data, "reason") || field(data, "message") || "no reason given"}`;
    case "OrderCancelled":
      return "Order cancelled";
    case "OrderRefunded": {
      const amount = money(data, "amount");
      return `Refunded${amount ? ` ${amount}` : ""} through ${gateway(data)}`;
    }
    case "PaymentCaptureStarted":
      return `Capture started with ${gateway(data)} for ${field(data, "reference") || "an approved payment"}`;
    case "PaymentCaptureFailed":
      return `Capture with ${gateway(data)} failed: ${field(data, "reason") || "no reason given"}; the order is payable again`;
    case "PaymentReturned": {
      const amount = money(data, "amount");
      const reason = field(data, "reason") || "the order could not take it";
      return `Payment${amount ? ` of ${amount}` : ""} with ${gateway(data)} refunded as ${field(data, "refund_reference")}: ${reason}`;
    }
    case "PaymentUnmatched": {
      const amount = money(data, "amount");
      const reason = field(data, "reason") || "no reason given";
      return `Payment${amount ? ` of ${amount}` : ""} with ${gateway(data)} could not be applied and is not refunded yet: ${reason}`;
    }
    case "EmailSent":
      if (isRefundNotice(data)) return `Refund notice sent for ${field(data, "refund_reference")}`;
      return `eSIM email sent${attempt(data)}`;
    case "EmailFailed": {
      if (isRefundNotice(data)) {
        return `Refund notice failed for ${field(data, "refund_reference")}: ${field(data, "message") || "no reason given"}; tried again at the next start`;
      }
      const retryAt = field(data, "retry_at");
      const retry = retryAt ? `; retry at ${formatTime(retryAt)}` : "; no retry until an admin resends it";
      return `eSIM email failed${attempt(data)}: ${field(data, "message") || "no reason given"}${retry}`;
    }
    case "EmailResendRequested":
      return "eSIM email resend requested";
    default:
      return "";
  }
}

export interface EmailOutcome {
  text: string;
  failed: boolean;
}

/**
 * Returns the state of the order's eSIM email from its newest email event,
 * or null when the history has none.
 */
export function emailOutcome(history: readonly OrderEvent[]): EmailOutcome | null {
  for (let index = history.length - 1; index >= 0; index--) {
    const event = history[index];
    if (isRefundNotice((event.data ?? {}) as EventData)) continue;
    if (event.type === "EmailSent") {
      return { text: `Sent ${formatTime(event.at)}${attempt(event.data as EventData)}`, failed: false };
    }
    if (event.type === "EmailFailed") {
      const message = field(event.data as EventData, "message");
      return { text: `Failed ${formatTime(event.at)}${message ? `: ${message}` : ""}`, failed: true };
    }
    if (event.type === "EmailResendRequested") {
      return { text: `Resend requested ${formatTime(event.at)}`, failed: false };
    }
  }
  return null;
}

/** Reports whether an email event is about a refund notice, not the eSIM email. */
function isRefundNotice(data: EventData): boolean {
  return field(data, "kind") === "refund_notice";
}
