/** The runs as the dashboard shows them: scope, progress and counts, settled when a run ended. */
import type { BulkRequest, Outcome } from '../activities/contracts';
import { isFinal, OUTCOMES, SUMMARY_KEY, type VmOutcome } from '../domain/outcomes';
import type { RunRecord } from '../domain/ports';
import { isOpenStatus, reportedStatus } from '../http/runs';
import type { InstanceView, RunProgress } from './model';

/** A bulk run's scope in words: subscription, resource group, or a list of VMs. */
export function runScope(request: unknown): string {
  const r = (request ?? {}) as Partial<BulkRequest> & { vmCount?: unknown };
  const parts: string[] = [];
  if (typeof r.subscriptionId === 'string') parts.push(`subscription ${r.subscriptionId}`);
  if (typeof r.resourceGroup === 'string') parts.push(`resource group ${r.resourceGroup}`);
  // A recorded request counts its VM ids (shared/stores/runs.ts keeps them in rows of their own).
  const vms = Array.isArray(r.vmIds) ? r.vmIds.length : r.vmCount;
  if (typeof vms === 'number') parts.push(`${vms} VM${vms === 1 ? '' : 's'}`);
  if (r.dryRun === true) parts.push('dry run');
  return parts.join(', ') || 'unknown scope';
}

interface CustomStatus {
  phase?: unknown;
  counts?: unknown;
  expiresAt?: unknown;
}

export const asStatus = (value: unknown): CustomStatus =>
  value !== null && typeof value === 'object' ? value : {};

export function countsOf(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      (e): e is [string, number] => typeof e[1] === 'number',
    ),
  );
}

/**
 * A VM's outcome in a run that ended: one still open (pending-approval, in-progress) did not
 * get one, so it failed; the run itself closes open outcomes so before it completes (closeRun),
 * and one whose orchestration died before that is read the same way.
 */
export function settled(outcome: Outcome, runEnded: boolean): Outcome {
  return runEnded && !isFinal(outcome) ? 'failed' : outcome;
}

/** A run's progress from its stored VM results, or else its custom status counts. */
export function runProgress(
  run: RunRecord,
  results: VmOutcome[],
  instance: InstanceView | undefined,
): RunProgress {
  const reported = reportedStatus(run, instance);
  const status = asStatus(instance?.customStatus);
  let counts: Record<string, number>;
  let total: number;
  let done: number;
  if (results.length > 0) {
    counts = {};
    const ended = !isOpenStatus(reported.status);
    for (const r of results) {
      const outcome = settled(r.outcome, ended);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    total = results.length;
    done = results.filter((r) => isFinal(settled(r.outcome, ended))).length;
  } else {
    const c = countsOf(status.counts);
    counts = {};
    for (const outcome of OUTCOMES) {
      const n = c[SUMMARY_KEY[outcome]];
      if (n !== undefined && n > 0) counts[outcome] = n;
    }
    total = c.total ?? 0;
    done = OUTCOMES.filter((o) => isFinal(o)).reduce((sum, o) => sum + (counts[o] ?? 0), 0);
  }
  return {
    id: run.id,
    status: reported.status,
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    ...(instance ? { runtimeStatus: instance.runtimeStatus } : {}),
    scope: runScope(run.request),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    total,
    done,
    counts,
    ...(reported.error !== undefined ? { error: reported.error } : {}),
  };
}
