import type { OrderStatus } from "../api/types";

/** Order statuses as the customer's order page words them. */
export const STATUS_TEXT: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  paid: "Paid: preparing your eSIM",
  provisioning: "Preparing your eSIM",
  issued: "Ready to install",
  failed: "Could not be completed",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

/**
 * Statuses of a top-up order as the order pages word them. A top-up issues
 * no eSIM: "issued" means the provider added the data to the existing one.
 */
export const TOPUP_STATUS_TEXT: Record<OrderStatus, string> = {
  pending_payment: "Awaiting payment",
  paid: "Paid: adding the data",
  provisioning: "Adding the data",
  issued: "Added to the eSIM",
  failed: "Could not be added",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

/** Statuses in which the eSIM is on its way and the order page polls. */
export const IN_PROGRESS: readonly OrderStatus[] = ["paid", "provisioning"];

export function statusText(status: string): string {
  return STATUS_TEXT[status as OrderStatus] ?? status;
}

/** Statuses an admin can fulfil by hand: the manual driver leaves a paid order in provisioning. */
export const FULFILLABLE: ReadonlySet<string> = new Set(["paid", "provisioning"]);

/** Statuses an admin can refund: the order was paid and is not wholly refunded yet. */
export const REFUNDABLE: ReadonlySet<string> = new Set(["paid", "provisioning", "issued", "failed"]);
