import type * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

import type { ActivityInput, ActivityName, ActivityOutput } from '../shared/activities/contracts';
import { describeFailure, type Failure, readFailure } from '../shared/domain/failures';
import { attemptsFor, retryDelayMs, type RetryPolicy } from '../shared/domain/retry';

/** One call's end: its output, or the failure it ended with after its attempts. */
export type Settled<T> = { ok: true; value: T } | { ok: false; failure: Failure; attempts: number };

/** An activity that failed for good (permanent error, or retries used up). */
export class ActivityFailed extends Error {
  constructor(
    readonly activity: string,
    readonly failure: Failure,
    readonly attempts: number,
  ) {
    super(describeFailure(failure));
    this.name = 'ActivityFailed';
  }
}

/** One activity call of a batch: its name and input. */
export interface ActivityCall {
  name: ActivityName;
  input: unknown;
}

/**
 * Makes every call at once, and retries each failed call on its own while its error is
 * retryable (a durable timer between rounds), as the policy allows. Never throws: each call
 * ends settled, so a caller can tell which VM of a set failed and how.
 *
 * Every task is yielded exactly once, or alone after the Task.all that scheduled it: a task put
 * into a second compound task would be scheduled again.
 */
export function* callMany(
  context: OrchestrationContext,
  calls: readonly ActivityCall[],
  policy: RetryPolicy,
): Generator<df.Task, Settled<unknown>[], unknown> {
  const results = new Array<Settled<unknown>>(calls.length);
  let pending = calls.map((c, index) => ({ ...c, index, attempt: 1 }));
  while (pending.length > 0) {
    const tasks = pending.map((p) => context.df.callActivity(p.name, p.input));
    yield* settleAll(context, tasks);
    const again: typeof pending = [];
    let wait = 0;
    pending.forEach((p, n) => {
      const task = tasks[n];
      if (task?.isCompleted === true) {
        results[p.index] = { ok: true, value: task.result };
        return;
      }
      const failure = readFailure(task?.result);
      if (p.attempt < attemptsFor(policy, failure)) {
        again.push({ ...p, attempt: p.attempt + 1 });
        wait = Math.max(wait, retryDelayMs(policy, p.attempt));
        return;
      }
      results[p.index] = { ok: false, failure, attempts: p.attempt };
    });
    if (again.length > 0) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
    }
    pending = again;
  }
  return results;
}

/** callMany for one activity and many inputs, typed by the activity's contract. */
export function* callEach<K extends ActivityName>(
  context: OrchestrationContext,
  name: K,
  inputs: readonly ActivityInput<K>[],
  policy: RetryPolicy,
): Generator<df.Task, Settled<ActivityOutput<K>>[], unknown> {
  const settled = yield* callMany(
    context,
    inputs.map((input) => ({ name, input })),
    policy,
  );
  return settled as Settled<ActivityOutput<K>>[];
}

/** Calls one activity with retries as the policy and its errors allow; throws ActivityFailed. */
export function* call<K extends ActivityName>(
  context: OrchestrationContext,
  name: K,
  input: ActivityInput<K>,
  policy: RetryPolicy,
): Generator<df.Task, ActivityOutput<K>, unknown> {
  const [settled] = yield* callEach(context, name, [input], policy);
  if (!settled)
    throw new ActivityFailed(name, { code: 'Unknown', retryable: false, message: 'no result' }, 0);
  if (!settled.ok) throw new ActivityFailed(name, settled.failure, settled.attempts);
  return settled.value;
}

/** Waits until every task has ended, successfully or not. */
function* settleAll(
  context: OrchestrationContext,
  tasks: readonly df.Task[],
): Generator<df.Task, void, unknown> {
  const [only] = tasks;
  if (tasks.length === 1 && only) {
    try {
      yield only;
    } catch {
      // settled: the caller reads the task
    }
    return;
  }
  try {
    yield context.df.Task.all([...tasks]);
  } catch {
    // Task.all fails at the first failure; the others still run: wait for each of them alone.
    for (const task of tasks) {
      if (task.isCompleted || task.isFaulted) continue;
      try {
        yield task;
      } catch {
        // settled
      }
    }
  }
}

/** The failure an orchestrator caught, as a Failure (from ActivityFailed or anything else). */
export function failureOf(error: unknown): Failure {
  return error instanceof ActivityFailed ? error.failure : readFailure(error);
}
