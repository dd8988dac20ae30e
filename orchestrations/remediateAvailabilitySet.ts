import type * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import { type AvailabilitySetInput, PAUSE_POLL_MS } from '../shared/activities/contracts';
import { type VmOutcome } from '../shared/domain/outcomes';
import { retryPolicy } from '../shared/domain/retry';
import { writeOutcomes } from './outcomes';
import { remediateUnit } from './unit';

/**
 * An approved availability set of a bulk run: the set lives on one hardware cluster, so its
 * members go down and up together. The same procedure as one VM (remediateUnit), over every
 * member: all held, all read again, all deallocated before any NIC changes.
 */
export const remediateAvailabilitySet: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, VmOutcome[], unknown> {
  const input = context.df.getInput<AvailabilitySetInput>();
  const policy = retryPolicy(input.retryIntervalMs ?? 5_000);
  const unit = yield* remediateUnit(context, {
    runId: input.runId,
    vms: input.items.map((i) => i.vm),
    setId: input.setId,
    includeAvailabilitySets: true,
    policy,
    pausePollMs: input.pausePollMs ?? PAUSE_POLL_MS,
    status: (status) => context.df.setCustomStatus({ ...status, set: input.setId }),
  });
  yield* writeOutcomes(context, {
    runId: input.runId,
    outcomes: unit.outcomes,
    store: true,
    policy,
  });
  context.df.setCustomStatus({ phase: 'done', set: input.setId });
  return unit.outcomes;
};
