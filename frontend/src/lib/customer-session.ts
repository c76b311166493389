import { reactive } from "vue";
import { api } from "../api";

// The customer session cookie is HttpOnly and the server hands out its
// CSRF token only at sign-in, so the page keeps the token (and the email,
// for the header) in localStorage: a reload or a new tab can still place
// orders under the account. The server asks for the token on POST
// /api/orders whenever the cookie comes along.

const KEY = "esimscan.customer";

export const customerSession = reactive({
  /** Email of the signed-in customer, "" when signed out. */
  email: "",
  signedIn: false,
  notice: "",
});

export function signInCustomer(csrfToken: string, email: string): void {
  api.customer.csrfToken = csrfToken;
  customerSession.email = email;
  customerSession.signedIn = true;
  customerSession.notice = "";
  try {
    localStorage.setItem(KEY, JSON.stringify({ csrf_token: csrfToken, email }));
  } catch {
    // Storage may be full or blocked; the session then lasts until a reload.
  }
}

/** Forgets the session in this browser, with a notice for the sign-in page. */
export function forgetCustomer(notice = ""): void {
  api.customer.csrfToken = null;
  customerSession.email = "";
  customerSession.signedIn = false;
  customerSession.notice = notice;
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing saved to remove.
  }
}

/** Restores a session saved by signInCustomer in an earlier page load. */
export function restoreCustomer(): void {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? "null") as { csrf_token?: unknown; email?: unknown } | null;
    if (saved && typeof saved.csrf_token === "string" && saved.csrf_token) {
      api.customer.csrfToken = saved.csrf_token;
      customerSession.email = typeof saved.email === "string" ? saved.email : "";
      customerSession.signedIn = true;
    }
  } catch {
    // A damaged entry reads as signed out.
  }
}
