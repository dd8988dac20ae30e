import { TYPICAL_DURATIONS_MS } from '../domain/durations';
import { AccelnetError, ensureError } from '../platform/errors';

/** The two poller shapes of the Azure SDKs, reduced to what driving one needs. */
export interface Pollable {
  poll(): Promise<unknown>;
  isDone(): boolean;
  /** The operation's error when it ended Failed or Canceled. */
  failure(): Error | undefined;
  /**
   * What ARM said of the operation at the last poll: how long it took by its own clock (the
   * status resource's startTime and endTime, once it ended), and its Retry-After.
   */
  reported?(): { durationMs?: number; retryAfterMs?: number };
}

interface ModularPoller {
  poll(): Promise<unknown>;
  readonly isDone: boolean;
  readonly operationState:
    { status: string; error?: Error; config?: { operationLocation?: string } } | undefined;
}

interface ClassicPoller {
  poll(): Promise<void>;
  isDone(): boolean;
  getOperationState(): { status: string; error?: Error };
}

/** @azure/arm-compute (modular) PollerLike. Never await it: that starts its own polling loop. */
export function modularPollable(poller: ModularPoller): Pollable {
  return {
    poll: () => poller.poll(),
    isDone: () => poller.isDone,
    failure: () => failureOf(poller.operationState),
  };
}

/**
 * A submitted Compute power action (deallocate, start, powerOff) driven from its
 * Azure-AsyncOperation status resource alone. The SDK's poller ends such an operation with a
 * GET of its Location URL, which answers an empty 200: one read per operation that tells
 * nothing. Without a status URL (or one without its api-version), the SDK's poller drives it.
 */
export function powerActionPollable(
  poller: ModularPoller,
  get: (url: string) => Promise<{ status: number; body: unknown; retryAfterMs?: number }>,
): Pollable {
  const url = poller.operationState?.config?.operationLocation;
  if (poller.isDone || url === undefined || !/[?&]api-version=/i.test(url))
    return modularPollable(poller);
  let state = 'inprogress';
  let failure: Error | undefined;
  let reported: { durationMs?: number; retryAfterMs?: number } = {};
  return {
    poll: async () => {
      const reply = await get(url);
      const body = isObject(reply.body) ? reply.body : {};
      const started = typeof body.startTime === 'string' ? Date.parse(body.startTime) : NaN;
      const ended = typeof body.endTime === 'string' ? Date.parse(body.endTime) : NaN;
      reported = {
        ...(Number.isFinite(started) && Number.isFinite(ended) && ended >= started
          ? { durationMs: ended - started }
          : {}),
        ...(reply.retryAfterMs !== undefined ? { retryAfterMs: reply.retryAfterMs } : {}),
      };
      const error = isObject(body.error) ? body.error : {};
      const code = typeof error.code === 'string' ? error.code : undefined;
      const message = typeof error.message === 'string' ? error.message : '';
      if (reply.status < 200 || reply.status >= 300) {
        throw new AccelnetError(
          code ?? `Http${reply.status}`,
          `Polling the operation answered ${reply.status}${code ? ` ${code}` : ''}: ${message}`,
          { retryable: reply.status === 429 || reply.status >= 500, status: reply.status },
        );
      }
      const status = typeof body.status === 'string' ? body.status.toLowerCase() : 'inprogress';
      if (status === 'succeeded') state = status;
      else if (status === 'failed' || status === 'canceled' || status === 'cancelled') {
        state = status;
        // As the SDK's poller words it, so operationError reads the code the same way.
        failure = new Error(
          `The long-running operation has failed. ${code ?? 'OperationFailed'}. ${message}`.trim(),
        );
      }
    },
    isDone: () => state !== 'inprogress',
    failure: () => failure,
    reported: () => reported,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @azure/arm-network (classic) SimplePollerLike. */
export function classicPollable(poller: ClassicPoller): Pollable {
  return {
    poll: () => poller.poll(),
    isDone: () => poller.isDone(),
    failure: () => failureOf(poller.getOperationState()),
  };
}

function failureOf(state: { status: string; error?: Error } | undefined): Error | undefined {
  if (!state || (state.status !== 'failed' && state.status !== 'canceled')) return undefined;
  return state.error ?? new Error(`The long-running operation ended ${state.status}.`);
}

export interface PollStats {
  polls: number;
  /** Real milliseconds from submission until the poll that saw the end. */
  elapsedMs: number;
}

/**
 * Polls long-running operations when they are likely to be done, not every N milliseconds:
 * it learns how long each kind of operation takes (deallocate, start, NIC update…) and polls
 * first at the expected end, then in short growing steps. On real Azure that is one or two
 * polls per operation; in the emulator it keeps downtime within a few percent of ARM's own
 * latency. Unknown kinds are probed with doubling intervals from `minIntervalMs`.
 */
export { TYPICAL_DURATIONS_MS };

export class OperationTimer {
  private readonly expected = new Map<string, number>();

  /** Seeds expectations (e.g. TYPICAL_DURATIONS_MS scaled to the ARM in use). */
  static withPriors(
    minIntervalMs: number,
    priors: Readonly<Record<string, number>>,
    scale: number,
  ): OperationTimer {
    const timer = new OperationTimer(minIntervalMs);
    for (const [kind, ms] of Object.entries(priors))
      timer.expected.set(kind, Math.max(minIntervalMs, ms * scale));
    return timer;
  }

  constructor(
    private readonly minIntervalMs: number,
    private readonly maxIntervalMs = 60_000,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((r) => setTimeout(r, ms)),
  ) {}

  expectedMs(kind: string): number | undefined {
    return this.expected.get(kind);
  }

  /**
   * Polls until the operation ends, following ARM: never waiting longer than its Retry-After,
   * polling sooner only where the learned duration says the end is near, then in steps that
   * grow with the time already waited (at most a tenth of it), so a slow operation is seen to
   * end within about 10% of its own time. Past `deadline` (the clock's ms) it stops and throws
   * a retryable OperationStillRunning, so a caller never waits longer than its budget.
   */
  async drive(
    kind: string,
    pollable: Pollable,
    submittedAt: number,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<PollStats> {
    const expected = this.expected.get(kind);
    let polls = 0;
    let retryAfter: number | undefined;
    let step = Math.max(this.minIntervalMs, (expected ?? 0) * 0.025);
    let probed = false;
    let lastRunningAt: number | undefined;
    while (!pollable.isDone()) {
      const elapsed = this.now() - submittedAt;
      let wait: number;
      if (expected !== undefined && expected - elapsed >= this.minIntervalMs) {
        wait = expected - elapsed;
      } else if (expected !== undefined) {
        wait = Math.min(step, Math.max(this.minIntervalMs, elapsed * 0.1));
        step *= 2;
      } else {
        // A kind never seen: probe at the floor, then with doubling waits.
        wait = probed ? step : this.minIntervalMs;
        if (probed) step *= 2;
        probed = true;
      }
      // ARM's Retry-After is the longest a client should wait: learned durations only poll sooner.
      if (retryAfter !== undefined) wait = Math.min(wait, retryAfter);
      wait = this.clamp(wait);
      if (this.now() + wait > deadline) {
        throw new AccelnetError(
          'OperationStillRunning',
          `The ${kind} operation is still running after ${Math.round(elapsed / 1000)} s; it is followed again on the next attempt.`,
          { retryable: true },
        );
      }
      await this.sleep(wait);
      const polledAt = this.now() - submittedAt;
      await pollable.poll();
      polls += 1;
      retryAfter = pollable.reported?.().retryAfterMs;
      if (pollable.isDone()) break;
      lastRunningAt = polledAt;
    }
    const elapsedMs = this.now() - submittedAt;
    if (polls > 0) this.learn(kind, lastRunningAt, elapsedMs, pollable.reported?.().durationMs);
    const failure = pollable.failure();
    if (failure) throw operationError(failure);
    return { polls, elapsedMs };
  }

  /**
   * Learns, in one step and in both directions: from ARM's own duration of the operation when
   * its status says (startTime, endTime), else from the polls that bracket its end; an end seen
   * at the first poll may have come much earlier, so the next one is probed sooner.
   */
  private learn(
    kind: string,
    lastRunningAt: number | undefined,
    elapsedMs: number,
    reportedMs: number | undefined,
  ): void {
    let next: number;
    if (reportedMs !== undefined) {
      next = reportedMs;
    } else if (lastRunningAt === undefined) {
      next = Math.min(this.expected.get(kind) ?? elapsedMs, elapsedMs) * 0.95;
    } else {
      // The end is between the last poll that saw it running and the one that saw it done.
      next = (lastRunningAt + elapsedMs) / 2;
    }
    this.expected.set(kind, Math.max(this.minIntervalMs, next));
  }

  private clamp(ms: number): number {
    return Math.min(this.maxIntervalMs, Math.max(this.minIntervalMs, ms));
  }
}

/** A failed long-running operation as an AccelnetError with ARM's code (e.g. AllocationFailed). */
export function operationError(error: Error): AccelnetError {
  const typed = ensureError(error);
  if (typed.code !== 'Unknown' && typed.code !== 'Error') return typed;
  const code = /failed\.\s*([A-Za-z]+)\.?/.exec(error.message)?.[1] ?? 'OperationFailed';
  const retryable = [
    'AllocationFailed',
    'ZonalAllocationFailed',
    'InternalOperationError',
    'InternalServerError',
    'OperationPreempted',
  ].includes(code);
  return new AccelnetError(code, error.message, { retryable, cause: error });
}
