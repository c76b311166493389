import type { CheckoutGateway } from "../api/types";

export interface GatewayChoice {
  gateway: CheckoutGateway;
  label: string;
  /** Text of the button that starts the checkout. */
  action: string;
}

/** The gateways a customer can choose, in the order the order page lists them. */
export const GATEWAY_CHOICES: readonly GatewayChoice[] = [
  { gateway: "stripe", label: "Card (Stripe)", action: "Continue to card payment" },
  { gateway: "paypal", label: "PayPal", action: "Continue to PayPal" },
  { gateway: "manual", label: "Bank transfer", action: "Show bank transfer details" },
];

/** Values of the ?checkout= query that Stripe and PayPal send the customer back with. */
export type CheckoutReturn = "success" | "cancelled" | "pending" | "failed";

export const CHECKOUT_RETURN_TEXT: Record<CheckoutReturn, string> = {
  success: "Thank you: the payment provider accepted your payment. This page updates as soon as the store confirms it.",
  pending: "Your payment is being processed. This page updates as soon as the store confirms it.",
  cancelled: "You cancelled the payment, so nothing was charged. Choose a way to pay to try again.",
  failed:
    "The payment could not be completed. If you were charged, this page updates once the store confirms the payment; otherwise choose a way to pay to try again.",
};

/** Returns the ?checkout= value as a CheckoutReturn, or null for anything else. */
export function checkoutReturn(value: unknown): CheckoutReturn | null {
  return typeof value === "string" && value in CHECKOUT_RETURN_TEXT ? (value as CheckoutReturn) : null;
}

/** Reports whether a return may still bring a payment, so the page waits for it before offering checkout again. */
export function awaitsConfirmation(value: CheckoutReturn | null): boolean {
  return value === "success" || value === "pending";
}
