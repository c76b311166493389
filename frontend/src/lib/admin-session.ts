import { reactive } from "vue";
import { api } from "../api";

// The session cookie is HttpOnly, so script learns about the session, and
// its CSRF token, only from the server: GET /api/auth/session after a page
// load (which works in every tab) and the login response. The token is kept
// in memory only.

export type AdminSessionState = "unknown" | "not_installed" | "signed_out" | "signed_in";

export const adminSession = reactive({
  state: "unknown" as AdminSessionState,
  notice: "",
  /** Email of the signed-in admin, "" when signed out. */
  email: "",
});

export function signIn(csrfToken: string, email: string): void {
  api.http.csrfToken = csrfToken;
  adminSession.email = email;
  adminSession.notice = "";
  adminSession.state = "signed_in";
}

/** Forgets the session in this page; the server-side logout is the caller's job. */
export function signOut(notice = ""): void {
  api.http.csrfToken = null;
  adminSession.email = "";
  adminSession.state = "signed_out";
  adminSession.notice = notice;
}

api.http.onUnauthorized = () => {
  if (adminSession.state === "signed_in") {
    signOut("Your session has ended. Sign in again.");
  }
};
