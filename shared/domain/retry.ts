import type { Failure } from './failures';

/**
 * When a failed activity is tried again: only when its error is retryable, with growing waits
 * (durable timers in the orchestrator), a bounded number of times. A permanent error (a 400, an
 * invalid request, a size that does not allow the flag) fails at once, so a VM that is down is
 * started again straight away instead of waiting out retries that cannot succeed.
 */
export interface RetryPolicy {
  /** The first wait, in milliseconds (ACCELNET_RETRY_INTERVAL_MS). */
  firstIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
}

/**
 * A start that found no capacity (`AllocationFailed`) may find some minutes later, but each
 * attempt keeps the VM down: a few attempts, then the VM's outcome says so.
 * (Compute: "AllocationFailed … retry the request later", MicrosoftDocs
 * virtual-machines/troubleshooting/allocation-failure.)
 */
export const ALLOCATION_FAILED_ATTEMPTS = 3;

/** The policy of every activity call (ACCELNET_RETRY_INTERVAL_MS sets the first wait). */
export function retryPolicy(firstIntervalMs = 5_000): RetryPolicy {
  return { firstIntervalMs, backoffCoefficient: 2, maxIntervalMs: 120_000, maxAttempts: 5 };
}

/** How many attempts a failure of this kind may have in all. */
export function attemptsFor(policy: RetryPolicy, failure: Failure): number {
  if (!failure.retryable) return 1;
  if (failure.code === 'AllocationFailed' || failure.code === 'ZonalAllocationFailed')
    return Math.min(policy.maxAttempts, ALLOCATION_FAILED_ATTEMPTS);
  return policy.maxAttempts;
}

/** The wait after failed attempt `attempt` (1-based). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const delay = policy.firstIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.min(policy.maxIntervalMs, delay);
}
