// Shapes of the store's HTTP API. Money amounts stay decimal strings from
// end to end: the UI formats them and never does arithmetic on them.

export interface Money {
  amount: string;
  currency: string;
}

export interface Country {
  code: string;
  name: string;
  packages: number;
  from_price: Money;
}

export interface Region {
  code: string;
  name: string;
  countries: string[];
  packages: number;
  from_price: Money;
}

export interface CatalogPackage {
  id: string;
  provider: string;
  name: string;
  countries: string[];
  /** Null when unlimited. */
  data_mb: number | null;
  unlimited: boolean;
  /** True when data_mb is a daily allowance. */
  daily?: boolean;
  validity_days: number;
  price: Money;
  /** Mobile networks the package roams on, when the API lists them. */
  operators?: string[];
}

export type OrderStatus =
  | "pending_payment"
  | "paid"
  | "provisioning"
  | "issued"
  | "failed"
  | "cancelled"
  | "refunded";

export interface PlacedOrder {
  id: string;
  status: OrderStatus;
  total: Money;
  access_token: string;
}

export interface Esim {
  iccid: string;
  lpa: string;
  smdp_address: string;
  activation_code: string;
  qr_png_url: string;
  /** True for eSIMs made by the stub driver, which work on no network. */
  demo?: boolean;
}

export interface OrderPackage {
  id: string;
  name: string;
  countries?: string[];
  data_mb?: number | null;
  unlimited?: boolean;
  daily?: boolean;
  validity_days?: number;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  total: Money;
  package?: OrderPackage;
  esims: Esim[];
  failure?: { message: string } | null;
  /** Set on a top-up order: the eSIM it adds data to. Such an order issues no eSIM of its own. */
  topup_of?: TopUpTarget | null;
  /** The top-up orders of this order's eSIMs, oldest first. */
  topups?: OrderTopUp[] | null;
}

/** The eSIM a top-up adds data to, and the order that issued it. */
export interface TopUpTarget {
  order_id: string;
  iccid: string;
}

/** One top-up order of an eSIM, as its parent order lists it. */
export interface OrderTopUp {
  order_id: string;
  iccid: string;
  status: OrderStatus;
  /** The top-up package's name. */
  package: string;
  total: Money;
  placed_at: string;
  /** Set once the provider has added the data to the eSIM. */
  applied_at?: string | null;
}

/** One package that can top up an eSIM. Its id is what POST /api/orders/{id}/topups takes as package_id. */
export interface TopUpPackage {
  id: string;
  name: string;
  /** Null when unlimited. */
  data_mb: number | null;
  unlimited: boolean;
  /** True when data_mb is a daily allowance. */
  daily: boolean;
  validity_days: number;
  price: Money;
}

/** GET /api/orders/{id}/topups: the packages that can top up one eSIM. */
export interface TopUpOffer {
  topup_of: TopUpTarget;
  packages: TopUpPackage[];
}

/** A placed top-up order, waiting for payment like any new order. */
export interface PlacedTopUp extends PlacedOrder {
  topup_of?: TopUpTarget;
}

export type ProviderSlug = "airalo" | "esim-access" | "maya" | "esim-go";

export interface ProviderTest {
  ok: boolean;
  at: string;
  message: string;
  /** Set when ok is false. */
  cause?: FailureCause;
}

export interface ProviderView {
  slug: ProviderSlug;
  name: string;
  configured: boolean;
  enabled: boolean;
  base_url: string;
  /** 0 until the provider is first saved (configured false). */
  margin_percent: number | string;
  /** 0 until the provider is first saved (configured false). */
  sync_interval_minutes: number;
  rate_limit_per_hour: number | null;
  credentials: Record<string, "set" | "missing">;
  /** Saved overrides; a value may be any JSON the admin saved. */
  advanced: Record<string, unknown>;
  /** Built-in values of the advanced overrides. */
  advanced_defaults?: Record<string, string>;
  /** Maya's non-secret authentication mode. */
  auth_mode?: string;
  last_test: ProviderTest | null;
  last_sync: SyncStatus | null;
  /** Revision of the provider's stream that the view reflects. */
  version?: number;
  /** True when base_url points at the store's demo sandbox. */
  sandbox?: boolean;
}

export interface ProviderSettings {
  base_url: string;
  margin_percent: number | string;
  sync_interval_minutes: number | string;
  rate_limit_per_hour?: number | string | null;
  credentials: Record<string, string>;
  advanced?: Record<string, string>;
}

export type FailureCause =
  | "credentials"
  | "unreachable"
  | "timeout"
  | "not_found"
  | "rate_limited"
  | "bad_response"
  | "server_error"
  | "rejected";

/** A passing test may carry no balance when the provider reports none. */
export type TestResult =
  | { ok: true; balance?: Money; message?: string }
  | { ok: false; cause: FailureCause; message: string };

export type SyncState = "running" | "completed" | "failed";

export interface SyncStatus {
  id: string;
  status: SyncState;
  packages_seen: number;
  packages_added: number;
  packages_changed: number;
  packages_removed: number;
  started_at: string;
  finished_at: string | null;
  message: string;
  cause?: FailureCause;
}

export interface HistoryEntry {
  at: string;
  kind: "test" | "sync";
  ok: boolean;
  message: string;
  cause?: FailureCause;
  sync_id?: string;
}

export interface AdminPackage extends CatalogPackage {
  provider_package_id: string;
  wholesale: Money;
  margin_percent: number | string;
  margin_override: number | string | null;
  enabled: boolean;
  /** True when the provider no longer lists the package. */
  withdrawn?: boolean;
}

export interface PackagePatch {
  margin_override?: number | string | null;
  enabled?: boolean;
}

export interface AdminOrder {
  id: string;
  status: OrderStatus;
  email?: string;
  total?: Money;
  package?: OrderPackage;
  placed_at?: string;
}

/** An order in the admin view, with its payment and provider details. */
export interface AdminOrderDetail extends AdminOrder {
  total: Money;
  unit_price?: Money;
  quantity?: number;
  esims: Esim[];
  paid_at?: string | null;
  issued_at?: string | null;
  cancelled_at?: string | null;
  /** The provider's message; cause classifies it ("rejected", "deadline", …) when one was recorded. */
  failure?: { message: string; cause?: string } | null;
  payment?: { gateway: string; reference: string; refunded?: Money } | null;
  provider_order_id?: string;
}

/** One event of an order's stream, oldest first. */
export interface OrderEvent {
  type: string;
  at: string;
  /** Id of the admin or system part that caused the event; "anonymous" for customers. */
  actor: string;
  data: unknown;
}

export interface AdminSession {
  csrf_token: string;
  admin: { id: string; email: string };
}

export interface AuditEntry {
  at: string;
  actor: { id: string; email: string };
  action: string;
  subject: string;
  old: unknown;
  new: unknown;
}

export interface ProjectionStatus {
  name: string;
  checkpoint: number | string;
  lag: number;
  status: string;
  /** The most recent parked events (at most 100); parked_count is the total. */
  parked: number | unknown[];
  parked_count?: number;
}

export interface SandboxProvider {
  base_url: string;
  credentials: Record<string, string>;
}

export interface SandboxSettings {
  providers: Partial<Record<ProviderSlug, SandboxProvider>>;
}

/** Payment gateways a customer can choose at checkout. */
export type CheckoutGateway = "stripe" | "paypal" | "manual";

/** GET /api/payments/gateways: which gateways the storefront offers. */
export interface PaymentGateways {
  stripe: boolean;
  paypal: boolean;
  manual: boolean;
  test: boolean;
}

/** One order of GET /api/customers/me/orders. */
export interface CustomerOrder extends OrderView {
  placed_at?: string;
}

/** One row of the admin customer list. After erasure email reads "erased". */
export interface AdminCustomer {
  id: string;
  email: string;
  verified: boolean;
  erased: boolean;
  registered_at: string;
  order_count: number;
}

/** The outcome of erasing a guest's data: how many guest orders used the email. */
export interface GuestErasure {
  erased_orders: number;
  /** Guest orders placed before guest emails were sealed, which keep the address in the log. */
  legacy_orders?: number;
}

/** A started checkout: a gateway page to open, or bank-transfer instructions. */
export interface CheckoutAnswer {
  redirect_url?: string;
  instructions?: string;
}

export type SecretState = "set" | "missing";

export interface StripeSettingsView {
  enabled: boolean;
  secret_key: SecretState;
  webhook_secret: SecretState;
}

export interface PayPalSettingsView {
  enabled: boolean;
  client_id: string;
  client_secret: SecretState;
  webhook_id: string;
  mode: "sandbox" | "live";
}

export interface ManualSettingsView {
  enabled: boolean;
  instructions: string;
}

export interface PaymentSettingsView {
  stripe: StripeSettingsView;
  paypal: PayPalSettingsView;
  manual: ManualSettingsView;
}

/** A save of the Stripe settings; a blank secret keeps the stored one. */
export interface StripeSettingsInput {
  secret_key: string;
  webhook_secret: string;
  enabled: boolean;
}

/** A save of the PayPal settings; a blank client_secret keeps the stored one. */
export interface PayPalSettingsInput {
  client_id: string;
  client_secret: string;
  webhook_id: string;
  mode: "sandbox" | "live";
  enabled: boolean;
}

export interface ManualSettingsInput {
  enabled: boolean;
  instructions: string;
}

export type SmtpSecurity = "none" | "starttls" | "tls";

export interface SmtpSettingsView {
  /** False until an admin first saves the SMTP settings. */
  configured: boolean;
  host: string;
  port: number;
  username: string;
  password: SecretState;
  from: string;
  security: SmtpSecurity | "";
}

/** A save of the SMTP settings; a blank password keeps the stored one. */
export interface SmtpSettingsInput {
  host: string;
  port: number | string;
  username: string;
  password: string;
  from: string;
  security: SmtpSecurity;
}

export interface SmtpTestResult {
  ok: boolean;
  message: string;
}

/** GET /api/orders/{id}/esims/{iccid}/usage: an eSIM's data use, as of as_of. */
export interface EsimUsage {
  iccid: string;
  /** Null when the plan is unlimited or the provider reports no figure. */
  total_mb: number | null;
  used_mb: number | null;
  remaining_mb: number | null;
  expires_at?: string | null;
  /** "not_active", "active", "depleted", "expired" or "unknown". */
  status: string;
  as_of: string;
}
