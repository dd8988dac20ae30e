import { failureText } from '../domain/failures';

/**
 * The one error type of accelnet: a stable `code` that callers, audit rows and tests match
 * on, and a `retryable` flag that retry policies read.
 */
export class AccelnetError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** HTTP status when the error came from (or maps to) an HTTP response. */
  readonly status: number | undefined;
  /** Milliseconds the server asked us to wait before retrying (Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AccelnetError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): { code: string; message: string; retryable: boolean; status?: number } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.status !== undefined ? { status: this.status } : {}),
    };
  }
}

/**
 * The error an activity throws: the same AccelnetError, its message tagged with its code and
 * whether it is retryable (shared/domain/failures), which is all an orchestrator gets to see.
 */
export function asActivityFailure(error: unknown): AccelnetError {
  const e = ensureError(error);
  if (e.message.startsWith('[accelnet ')) return e;
  return new AccelnetError(
    e.code,
    failureText({ code: e.code, retryable: e.retryable, message: e.message }),
    {
      retryable: e.retryable,
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      cause: e,
    },
  );
}

/** ARM error codes that mean "try again later", whatever the status. */
const RETRYABLE_CODES = new Set([
  'RetryableErrorDueToAnotherOperation',
  'OperationNotAllowed',
  'TooManyRequests',
  'SubscriptionRequestsThrottled',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalOperationError',
  'GatewayTimeout',
  'Conflict',
]);

const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined } };
}

/** Normalises anything thrown (RestError from the Azure SDK, Node errors, strings) at the edges. */
export function ensureError(error: unknown): AccelnetError {
  if (error instanceof AccelnetError) return error;
  if (typeof error !== 'object' || error === null) {
    return new AccelnetError('Unknown', String(error));
  }
  const e = error as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : 'unknown error';
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const code =
    typeof e.code === 'string' && e.code.length > 0
      ? e.code
      : status !== undefined
        ? `Http${status}`
        : 'Unknown';
  const retryAfter = parseRetryAfter(
    e.response?.headers?.get?.('retry-after-ms'),
    e.response?.headers?.get?.('retry-after'),
  );
  const retryable =
    (status !== undefined && (status === 408 || status === 429 || status >= 500)) ||
    (status === 409 && RETRYABLE_CODES.has(code)) ||
    (status === undefined && (RETRYABLE_NETWORK.has(code) || RETRYABLE_CODES.has(code)));
  return new AccelnetError(code, message, {
    retryable,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    cause: error,
  });
}

function parseRetryAfter(ms: string | undefined, seconds: string | undefined): number | undefined {
  if (ms !== undefined && /^\d+$/.test(ms)) return Number(ms);
  if (seconds !== undefined && /^\d+(\.\d+)?$/.test(seconds)) return Number(seconds) * 1000;
  return undefined;
}
