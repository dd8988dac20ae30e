/** What the handshake and the deliveries share about calling a subscriber's webhook. */

/** A failed call, in a few words: "timed out" or the error's message and cause. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return err.name === 'TimeoutError' ? 'timed out' : `${err.message}${detail}`;
  }
  return String(err);
}

/** Reads the whole response body (so the connection is freed); '' when it cannot be read. */
export async function drain(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}
