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
};

export function causeText(cause: string | undefined): string {
  return (cause && CAUSE_TEXT[cause as FailureCause]) || "Failed";
}

export function isProviderSlug(slug: string): slug is ProviderSlug {
  return slug in CREDENTIAL_FIELDS;
}

/**
 * Turns a decimal typed by the admin into a JSON number. Text that is not a
 * plain decimal goes to the server unchanged, so the server's validation
 * error names the field and the reason.
 */
export function numberOrText(text: string): number | string {
  const trimmed = text.trim();
  return /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
}
