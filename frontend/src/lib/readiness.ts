import { reactive } from "vue";
import { api } from "../api";
import { pollUntil } from "./poll";

// After a restart or a rebuild the read models replay the event log, and
// until they catch up GET /api/ready returns 503 catching_up while lists come
// back incomplete. Pages show a notice and reload their lists once it ends.

export const readiness = reactive({
  catchingUp: false,
  /** Counts the times the store became ready after catching up; pages watch it to reload. */
  caughtUpCount: 0,
});

export interface WatchReadinessOptions {
  signal?: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
}

/**
 * Checks GET /api/ready and, while it returns catching_up, checks again with
 * backoff (1 s, growing to 5 s, for about 5 minutes by default). Errors other
 * than catching_up end the check quietly, because the notice is only a hint.
 */
export async function watchReadiness(options: WatchReadinessOptions = {}): Promise<void> {
  try {
    const result = await pollUntil({
      load: () => api.store.ready(),
      isDone: (ready) => ready,
      onValue: (ready) => {
        if (!ready) {
          readiness.catchingUp = true;
        }
      },
      initialDelayMs: options.initialDelayMs ?? 1_000,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      maxAttempts: options.maxAttempts ?? 70,
      signal: options.signal,
    });
    if (result.done && readiness.catchingUp) {
      readiness.catchingUp = false;
      readiness.caughtUpCount += 1;
    }
  } catch {
    // Another failure (Redis or the event store down) is not this notice's to report.
  }
}
