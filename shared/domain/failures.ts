/**
 * How an activity's failure reaches an orchestrator. The orchestrator sees only the text of the
 * error an activity threw, wrapped by the Durable extension ("Activity function 'x' failed:
 * <message> \n <stack>", or "<ErrorType>: <message>" where it sends FailureDetails). So the
 * activity's message starts with a tag that names the error's code and whether it is worth
 * retrying, and the orchestrator reads it back from any of those wrappings, deterministically.
 */

export interface Failure {
  /** A stable code: ARM's (`AllocationFailed`, `OperationNotAllowed`) or accelnet's own. */
  code: string;
  /** Whether trying again later can succeed (throttling, 5xx, resets, a conflicting operation). */
  retryable: boolean;
  /** What happened, for a person: the message without code, tag or stack. */
  message: string;
}

const TAG = /\[accelnet code=([A-Za-z0-9_.-]+) retryable=(true|false)\] ?([^\n]*)/;

/** The message an activity throws with: `[accelnet code=C retryable=R] message`. */
export function failureText(failure: Failure): string {
  return `[accelnet code=${failure.code} retryable=${String(failure.retryable)}] ${firstLine(failure.message)}`;
}

/**
 * Reads a failure back from whatever an orchestrator caught. Text without the tag (an
 * orchestration that failed outright, an error thrown outside accelnet's activities) is not
 * retryable: only a failure known to be transient is tried again.
 */
export function readFailure(error: unknown): Failure {
  const text = error instanceof Error ? error.message : String(error);
  const tagged = TAG.exec(text);
  if (tagged?.[1] !== undefined && tagged[2] !== undefined) {
    return { code: tagged[1], retryable: tagged[2] === 'true', message: (tagged[3] ?? '').trim() };
  }
  const reason = firstLine(text.split(' \n ')[0] ?? text)
    .replace(/^Activity function '[^']*' failed: /, '')
    .replace(/^Orchestrator function '[^']*' failed: /, '')
    .trim();
  return { code: 'Unknown', retryable: false, message: reason };
}

/** "CODE: message", what an outcome's reason shows of a failure. */
export function describeFailure(failure: Failure): string {
  if (failure.code === 'Unknown' || failure.message.startsWith(`${failure.code}:`))
    return failure.message;
  return `${failure.code}: ${failure.message}`;
}

/** Codes that mean the resource is gone (deleted while a run waited or worked). */
export function isNotFound(failure: Failure): boolean {
  return ['ResourceNotFound', 'NotFound', 'Http404', 'ResourceGroupNotFound'].includes(
    failure.code,
  );
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? text;
  return line.trim();
}
