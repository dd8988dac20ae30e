/**
 * Retries run in the host, as DTFx's RetryInterceptor runs them for the extension
 * (DurableTask.Core 2.17.1, RetryInterceptor.cs:52-130): an attempt that fails schedules a
 * timer, the timer the next attempt, each taking the next sequence number. After the last
 * attempt DTFx still schedules a timer, one that fires at once ("Dummy timer for back-compat",
 * RetryInterceptor.cs:73-82), and the task fails when it fires: since DTFx 2.6.x (#661, January
 * 2022) there is no further interval after the final failure. (durable-functions' own test
 * histories, GetSayHelloWithActivityRetryRetryTwo, predate that change and still show one.)
 */
import type { RetryOptionsWire, WireAction } from './actions';

/** A call with retry options: an activity or a sub-orchestration. */
export interface RetryChain {
  /** The orchestrator's action retried. */
  action: WireAction;
  options: RetryOptionsWire;
  /** The sequence number of the first attempt (a sub-orchestration's default instance id). */
  firstId: number;
  /** Attempts made so far. */
  attempts: number;
}

/**
 * The delay before the retry that follows failed attempt `attempt` (1-based), as DTFx's
 * ComputeNextDelay: first interval × coefficient^(attempt-1), capped by the largest interval.
 */
export function retryDelayMs(options: RetryOptionsWire, attempt: number): number {
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, attempt - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  if (max !== undefined && max > 0 && delay > max) delay = max;
  return Math.max(0, Math.round(delay));
}

/**
 * The timer a failed attempt schedules: when it fires (from the orchestration's current time,
 * the episode's OrchestratorStarted), and whether it is the one after the last attempt.
 */
export function retryTimer(chain: RetryChain, now: string): { fireAt: string; last: boolean } {
  const last = chain.attempts >= chain.options.maxNumberOfAttempts;
  const delay = last ? 0 : retryDelayMs(chain.options, chain.attempts);
  return { fireAt: new Date(Date.parse(now) + delay).toISOString(), last };
}
