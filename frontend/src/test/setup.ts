import { cleanup } from "@testing-library/vue";
import { afterEach, vi } from "vitest";

// Testing Library unmounts by itself only when the runner exposes globals.
// This suite imports its helpers explicitly, so it unmounts here.
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  sessionStorage.clear();
});
