/**
 * Browser navigation behind an object, so tests can stub it: leaving the
 * page in a test would load the gateway's real site.
 */
export const browserNavigation = {
  assign(url: string) {
    window.location.assign(url);
  },
};

/**
 * Returns url as an absolute http or https address, or null for any other
 * scheme (javascript:, data:), which the store must never open.
 */
export function safeRedirect(url: string): string | null {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}
