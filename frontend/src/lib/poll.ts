import { NetworkError, TimeoutError } from "../api/errors";

export interface PollOptions<T> {
  load: () => Promise<T>;
  /** Reports whether polling can stop. */
  isDone: (value: T) => boolean;
  onValue?: (value: T) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Multiplies the delay after each attempt. */
  backoff?: number;
  maxAttempts?: number;
  signal?: AbortSignal;
}

export interface PollResult<T> {
  /** The last value loaded, or undefined when every attempt failed to connect. */
  value: T | undefined;
  done: boolean;
}

/**
 * Loads a value until isDone holds, waiting longer after each attempt, and
 * gives up after maxAttempts. A network failure or timeout counts as an
 * attempt and polling goes on; an API error ends it and is thrown. An abort
 * ends it quietly with done false.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<PollResult<T>> {
  const maxAttempts = options.maxAttempts ?? 30;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const backoff = options.backoff ?? 1.5;
  let delayMs = options.initialDelayMs ?? 1_000;
  let value: T | undefined;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (options.signal?.aborted) {
      return { value, done: false };
    }
    try {
      value = await options.load();
      options.onValue?.(value);
      if (options.isDone(value)) {
        return { value, done: true };
      }
    } catch (err) {
      if (!(err instanceof NetworkError || err instanceof TimeoutError)) {
        throw err;
      }
    }
    if (attempt < maxAttempts) {
      await sleep(delayMs, options.signal);
      delayMs = Math.min(maxDelayMs, Math.round(delayMs * backoff));
    }
  }
  return { value, done: false };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, ms);
    signal?.addEventListener("abort", finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      resolve();
    }
  });
}
