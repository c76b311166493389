import type { FailureCause, ProviderSlug } from "../api/types";

export interface CredentialField {
  name: string;
  label: string;
}

/** Secret credential fields per provider, as the API names them. */
export const CREDENTIAL_FIELDS: Record<ProviderSlug, CredentialField[]> = {
  airalo: [
    { name: "client_id", label: "Client ID" },
    { name: "client_secret", label: "Client secret" },
  ],
  "esim-access": [
    { name: "access_code", label: "Access code" },
    { name: "secret_key", label: "Secret key" },
  ],
  maya: [
    { name: "api_key", label: "API key" },
    { name: "api_secret", label: "API secret" },
  ],
  "esim-go": [{ name: "api_key", label: "API key" }],
};

/** Interval offered for a provider never saved: once a day. */
export const DEFAULT_SYNC_INTERVAL_MINUTES = 1440;

/** Margin "Use sandbox settings" fills in when the field is blank. */
export const SANDBOX_MARGIN_PERCENT = 20;

export const AUTH_MODES = [
  { value: "basic", label: "Basic (key and secret)" },
  { value: "bearer", label: "Bearer (key only)" },
];

export interface AdvancedField {
  name: string;
  label: string;
  multiline?: boolean;
}

/** Advanced overrides each provider accepts; Airalo takes none. */
export const ADVANCED_FIELDS: Record<ProviderSlug, AdvancedField[]> = {
  airalo: [],
  "esim-access": [
    { name: "balance_path", label: "Balance path" },
    { name: "package_list_path", label: "Package list path" },
    { name: "package_list_body", label: "Package list request body (JSON)", multiline: true },
  ],
  maya: [
    { name: "balance_path", label: "Balance path" },
    { name: "package_list_path", label: "Package list path" },
  ],
  "esim-go": [
    { name: "balance_path", label: "Balance path" },
    { name: "package_list_path", label: "Package list path" },
  ],
};

// Built-in values of the advanced overrides, shown as placeholders when the
// provider view carries no advanced_defaults of its own. They follow each
// provider's public API paths relative to the default base URL.
// NOTE: the server's adapters own the real defaults; keep these in step.
export const ADVANCED_DEFAULTS: Record<ProviderSlug, Record<string, string>> = {
  airalo: {},
  "esim-access": {
    balance_path: "/api/v1/open/balance/query",
    package_list_path: "/api/v1/open/package/list",
    package_list_body: '{"locationCode":"","type":"BASE","slug":"","packageCode":"","iccid":""}',
  },
  maya: { balance_path: "/account/balance", package_list_path: "/account/products" },
  "esim-go": { balance_path: "/organisation", package_list_path: "/catalogue" },
};

export const CAUSE_TEXT: Record<FailureCause, string> = {
  credentials: "Credentials rejected",
  unreachable: "Provider unreachable",
  timeout: "Provider timed out",
  not_found: "Wrong base URL or path",
  rate_limited: "Rate limited by the provider",
  bad_response: "Unexpected response from the provider",
  server_error: "Provider error",
  rejected: "Refused by the provider",
};

export function causeText(cause: string | undefined): string {
  return (cause && CAUSE_TEXT[cause as FailureCause]) || "Failed";
}

export function isProviderSlug(slug: string): slug is ProviderSlug {
  return slug in CREDENTIAL_FIELDS;
}

/**
 * Turns a decimal typed by the admin into a JSON number. Text that is not a
 * plain decimal, or too large for a finite JSON number, goes to the server
 * unchanged, so the server's validation error names the field and the reason.
 */
export function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) {
    return trimmed;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

export const PERCENT_RULE = "Enter a number from 0 to 100 with at most two decimals, such as 20 or 12.5.";

export type PercentInput = { ok: true; value: number } | { ok: false; message: string };

/**
 * Parses a margin typed by the admin: 0 to 100 with at most two decimals,
 * the server's rule for margins. Anything else, blank included, is rejected
 * with PERCENT_RULE, so a typo never reaches the server as null.
 */
export function parsePercent(text: string): PercentInput {
  const trimmed = text.trim();
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(trimmed)) {
    return { ok: false, message: PERCENT_RULE };
  }
  const value = Number(trimmed);
  if (value > 100) {
    return { ok: false, message: PERCENT_RULE };
  }
  return { ok: true, value };
}
