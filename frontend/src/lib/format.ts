import type { CatalogPackage, Money, OrderPackage } from "../api/types";

const LOCALE = "en-US";

/**
 * Formats money with its currency symbol and exactly the decimals the
 * server sent, so "1200" JPY reads "¥1,200" and "12.50" USD reads "$12.50".
 * The decimal string goes to Intl as a string, which formats it without a
 * detour through a binary float.
 */
export function formatMoney(money: Money): string {
  const decimals = money.amount.split(".")[1]?.length ?? 0;
  try {
    const format = new Intl.NumberFormat(LOCALE, {
      style: "currency",
      currency: money.currency,
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    return format.format(money.amount as unknown as number);
  } catch {
    // An unknown currency code: show the amount as sent.
    return `${money.amount} ${money.currency}`;
  }
}

type DataAllowance = Pick<CatalogPackage, "data_mb" | "unlimited" | "daily">;

/**
 * Formats a data allowance: "Unlimited", "500 MB", "3 GB", "1 GB per day".
 * Providers count 1,024 or 1,000 MB per GB, so an amount that divides
 * evenly by 1,000 but not by 1,024 (3000 MB) reads as 3 GB too.
 */
export function formatData(pkg: Partial<DataAllowance>): string {
  if (pkg.unlimited || pkg.data_mb == null) {
    return pkg.daily ? "Unlimited per day" : "Unlimited";
  }
  const text = formatMegabytes(pkg.data_mb);
  return pkg.daily ? `${text} per day` : text;
}

export function formatMegabytes(mb: number): string {
  if (mb < 1000) {
    return `${mb} MB`;
  }
  if (mb % 1024 === 0) {
    return `${mb / 1024} GB`;
  }
  if (mb % 1000 === 0) {
    return `${mb / 1000} GB`;
  }
  const gb = Math.round((mb / 1024) * 10) / 10;
  return `${gb} GB`;
}

export function formatValidity(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}

export function formatPackageSummary(pkg: OrderPackage): string {
  const parts = [pkg.name];
  if (pkg.unlimited !== undefined || pkg.data_mb !== undefined) {
    const data = formatData(pkg);
    // Provider names often contain the amount already ("France 5 GB", "Australia 1GB/Day"),
    // so it is shown once.
    if (!squeeze(pkg.name).includes(squeeze(data))) {
      parts.push(data);
    }
  }
  if (pkg.validity_days) {
    parts.push(formatValidity(pkg.validity_days));
  }
  return parts.join(" · ");
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, "").toLowerCase();
}

/** Formats an RFC 3339 time in the reader's time zone, and an empty value as "never". */
export function formatTime(value: string | null | undefined): string {
  if (!value) {
    return "never";
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return value;
  }
  return date.toLocaleString(LOCALE, { dateStyle: "medium", timeStyle: "short" });
}
