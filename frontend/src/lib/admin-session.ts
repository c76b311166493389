import { reactive } from "vue";
import { api } from "../api";

// The admin's CSRF token lives in sessionStorage: it survives a reload of
// the tab but not the tab itself. The session cookie is HttpOnly, so the
// token is the only part of the session that script can see.
const STORAGE_KEY = "esimscan.admin-csrf";

export type AdminSessionState = "unknown" | "not_installed" | "signed_out" | "signed_in";

export const adminSession = reactive({
  state: "unknown" as AdminSessionState,
  notice: "",
});

export function restoreCsrfToken(): string | null {
  try {
    api.http.csrfToken = sessionStorage.getItem(STORAGE_KEY);
  } catch {
    api.http.csrfToken = null;
  }
  return api.http.csrfToken;
}

export function rememberCsrfToken(token: string): void {
  api.http.csrfToken = token;
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Without storage the token still lives in memory until the tab reloads.
  }
}

export function signOut(notice = ""): void {
  api.http.csrfToken = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
  adminSession.state = "signed_out";
  adminSession.notice = notice;
}

api.http.onUnauthorized = () => {
  if (adminSession.state === "signed_in") {
    signOut("Your session has ended. Sign in again.");
  }
};
