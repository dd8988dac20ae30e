import type { PowerState, Reason } from './model';

/**
 * What a VM's outcome means, in one place: the names, their order in reports, which are final
 * and which count of a run each adds to.
 */

export type Outcome =
  | 'remediated'
  | 'already-compliant'
  | 'skipped'
  | 'failed'
  | 'rejected'
  | 'planned'
  | 'pending-approval'
  | 'in-progress';

/**
 * Report order (the CLI's tables, the dashboard, counts): what needs nothing first, then what
 * needs a look, what is still open last.
 */
export const OUTCOMES: readonly Outcome[] = [
  'remediated',
  'already-compliant',
  'planned',
  'skipped',
  'failed',
  'rejected',
  'pending-approval',
  'in-progress',
];

/** Outcomes a VM may still move on from; every other outcome is final. */
export const OPEN_OUTCOMES: ReadonlySet<Outcome> = new Set(['pending-approval', 'in-progress']);

export function isFinal(outcome: Outcome): boolean {
  return !OPEN_OUTCOMES.has(outcome);
}

/** Final outcomes that need nobody's attention. */
export const FINE_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'remediated',
  'already-compliant',
  'planned',
]);

/** A run's counts of its VMs by outcome (`total`: VMs named by the run). */
export interface OutcomeCounts {
  total: number;
  remediated: number;
  alreadyCompliant: number;
  skipped: number;
  failed: number;
  pendingApproval: number;
  rejected: number;
  planned: number;
}

/** A run's summary as the API answers it: every count plus `inProgress`. */
export type OutcomeSummary = OutcomeCounts & { inProgress: number };

/** The name of each outcome's count in summaries and custom statuses (camelCase). */
export const SUMMARY_KEY: Readonly<Record<Outcome, Exclude<keyof OutcomeSummary, 'total'>>> = {
  remediated: 'remediated',
  'already-compliant': 'alreadyCompliant',
  skipped: 'skipped',
  failed: 'failed',
  rejected: 'rejected',
  'pending-approval': 'pendingApproval',
  planned: 'planned',
  'in-progress': 'inProgress',
};

type CountField = Exclude<keyof OutcomeCounts, 'total'>;

/** Which count of a run each outcome adds to (`in-progress` adds to none). */
export const COUNT_OF: Readonly<Record<Outcome, CountField | undefined>> = {
  ...(SUMMARY_KEY as Record<Outcome, CountField>),
  'in-progress': undefined,
};

export function emptyCounts(): OutcomeCounts {
  return {
    total: 0,
    remediated: 0,
    alreadyCompliant: 0,
    skipped: 0,
    failed: 0,
    pendingApproval: 0,
    rejected: 0,
    planned: 0,
  };
}

export function bump(counts: OutcomeCounts, outcome: Outcome): void {
  const field = COUNT_OF[outcome];
  if (field) counts[field] += 1;
}

/** Adds the final outcomes of `from` to `into` (totals and open counts are the caller's). */
export function addFinalCounts(into: OutcomeCounts, from: OutcomeCounts): void {
  into.remediated += from.remediated;
  into.alreadyCompliant += from.alreadyCompliant;
  into.skipped += from.skipped;
  into.failed += from.failed;
  into.rejected += from.rejected;
  into.planned += from.planned;
}

/** A run's summary from its VMs' outcomes. */
export function summarize(outcomes: readonly { outcome: Outcome }[]): OutcomeSummary {
  const counts = { ...emptyCounts(), inProgress: 0 };
  for (const { outcome } of outcomes) {
    if (outcome === 'in-progress') counts.inProgress += 1;
    else bump(counts, outcome);
  }
  counts.total = outcomes.length;
  return counts;
}

/** One step of a VM's remediation, as its outcome and the audit trail show it. */
export interface StepRecord {
  name: string;
  at: string;
  result: 'ok' | 'skipped' | 'failed';
  detail?: string;
}

/** A VM's outcome in a run: what happened to it and why. */
export interface VmOutcome {
  vmId: string;
  outcome: Outcome;
  reason?: string;
  reasons: Reason[];
  originalPowerState: PowerState;
  finalPowerState: PowerState;
  steps: StepRecord[];
  /** How a remediated VM was changed: deallocated, flipped and started again, or in place. */
  method?: 'deallocate-cycle' | 'in-place';
  /** When the facts this outcome rests on were last read (ISO 8601). */
  factsReadAt?: string;
}

/** One row of the audit trail: a step of a VM in a run, or its outcome. */
export interface AuditInput {
  runId: string;
  vmId: string;
  step: string;
  result: StepRecord['result'] | 'outcome';
  at: string;
  detail?: string;
  outcome?: Outcome;
}
