// Access tokens of guest orders. The private order link carries the token
// in the URL fragment (#token=...), which browsers never send to the server,
// so the link can be bookmarked without the token reaching any access log.

const KEY_PREFIX = "esimscan.order-token.";

export function saveOrderToken(orderId: string, token: string): void {
  try {
    localStorage.setItem(KEY_PREFIX + orderId, token);
  } catch {
    // Storage can be full or disabled. The link in the address bar still works.
  }
}

export function loadOrderToken(orderId: string): string | null {
  try {
    return localStorage.getItem(KEY_PREFIX + orderId);
  } catch {
    return null;
  }
}

/** Reads the token from a URL fragment such as "#token=abc". */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token");
  return token ? token : null;
}

export function orderLinkHash(token: string): string {
  return `#token=${encodeURIComponent(token)}`;
}
