/** Waiting in tests: a pause, and reading something again until it is as wanted. */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface PollOptions {
  /** How long to keep reading (default 30 s). */
  timeoutMs?: number;
  /** The pause between two reads (default 50 ms). */
  intervalMs?: number;
}

/**
 * Reads until `done` holds of what was read, and answers that; past the deadline, fails naming
 * `what` and showing the last thing read.
 */
export async function poll<T, U extends T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => value is U,
  options?: PollOptions,
): Promise<U>;
export async function poll<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options?: PollOptions,
): Promise<T>;
export async function poll<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 50 }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last read: ${show(value)}`);
    await sleep(intervalMs);
  }
}

/** Reads until `read` answers something (not undefined), and answers that. */
export function pollFor<T>(
  what: string,
  read: () => Promise<T | undefined>,
  options?: PollOptions,
): Promise<T> {
  return poll(what, read, (value): value is T => value !== undefined, options);
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.slice(0, 2_000);
}
