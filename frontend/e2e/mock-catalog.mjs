// Canned provider data and money helpers for the mock server.

export const PROVIDER_NAMES = {
  airalo: "Airalo",
  "esim-access": "eSIM Access",
  maya: "Maya Mobile",
  "esim-go": "eSIM Go",
};

export const SECRET_FIELDS = {
  airalo: ["client_id", "client_secret"],
  "esim-access": ["access_code", "secret_key"],
  maya: ["api_key", "api_secret"],
  "esim-go": ["api_key"],
};

export const ADVANCED_KEYS = {
  airalo: [],
  "esim-access": ["balance_path", "package_list_path", "package_list_body"],
  maya: ["balance_path", "package_list_path"],
  "esim-go": ["balance_path", "package_list_path"],
};

// The adapters' built-in advanced settings, as the server's provider view
// sends them in advanced_defaults.
export const ADVANCED_DEFAULTS = {
  airalo: {},
  "esim-access": {
    balance_path: "/api/v1/open/balance/query",
    package_list_body: '{"locationCode":"","type":"BASE","slug":"","packageCode":"","iccid":""}',
    package_list_path: "/api/v1/open/package/list",
  },
  maya: { balance_path: "/account/balance", package_list_path: "/account/products" },
  "esim-go": { balance_path: "/organisation", package_list_path: "/catalogue" },
};

export const COUNTRY_NAMES = {
  JP: "Japan",
  FR: "France",
  DE: "Germany",
  IT: "Italy",
  ES: "Spain",
  US: "United States",
};

/** Packages of the sandbox eSIM Access, with wholesale prices in four decimals as that provider sends them. */
export const SANDBOX_PACKAGES = [
  { code: "JP-1GB-7D", name: "Japan 1 GB", countries: ["JP"], data_mb: 1024, days: 7, wholesale: "3.2000" },
  { code: "JP-3GB-15D", name: "Japan 3 GB", countries: ["JP"], data_mb: 3072, days: 15, wholesale: "7.5000" },
  { code: "JP-2GB-DAY", name: "Japan Daily 2 GB", countries: ["JP"], data_mb: 2048, daily: true, days: 5, wholesale: "6.1000" },
  { code: "JP-UNL-10D", name: "Japan Unlimited", countries: ["JP"], data_mb: null, days: 10, wholesale: "18.0000" },
  { code: "FR-5GB-30D", name: "France 5 GB", countries: ["FR"], data_mb: 5120, days: 30, wholesale: "6.0000" },
  { code: "FR-10GB-30D", name: "France 10 GB", countries: ["FR"], data_mb: 10240, days: 30, wholesale: "10.5000" },
  { code: "US-3GB-30D", name: "United States 3 GB", countries: ["US"], data_mb: 3072, days: 30, wholesale: "5.5000" },
  {
    code: "EU-10GB-30D",
    name: "Europe 10 GB",
    countries: ["FR", "DE", "IT", "ES"],
    region: { code: "EU", name: "Europe" },
    data_mb: 10240,
    days: 30,
    wholesale: "12.0000",
  },
];

/** Parses "12.5" into hundredths of a percent (1250), or returns null. */
export function parsePercent(value) {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^\d{1,3}(\.\d{1,2})?$/.test(text)) {
    return null;
  }
  const [whole, fraction = ""] = text.split(".");
  const hundredths = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
  return hundredths <= 10000 ? hundredths : null;
}

export function percentText(hundredths) {
  return String(hundredths / 100);
}

/** Returns wholesale × (1 + margin / 100) in cents, rounded half-up, with integer arithmetic only. */
export function applyMargin(wholesale, marginHundredths) {
  const [whole, fraction = ""] = wholesale.split(".");
  const tenThousandths = BigInt(whole) * 10000n + BigInt(fraction.padEnd(4, "0").slice(0, 4));
  // price in 1e-8 units = wholesale (1e-4) × (10000 + margin) (1e-4); one cent is 1e6 of them.
  const scaled = tenThousandths * (10000n + BigInt(marginHundredths));
  const cents = (scaled + 500000n) / 1000000n;
  const text = cents.toString().padStart(3, "0");
  return { amount: `${text.slice(0, -2)}.${text.slice(-2)}`, currency: "USD" };
}
