/**
 * The fleet as the dashboard counts it: each VM's current state from the outcomes recorded for
 * it, the counts by outcome and reason, and a live compliance scan grouped.
 */
import type { ComplianceRow } from '../arm/discovery';
import { type Outcome, OUTCOMES } from '../domain/outcomes';
import type { ComplianceGroup, DashboardModel, OutcomeRow, VmState } from './model';

/** Whether an outcome is a plan (nothing done): `planned` by any run, or any outcome of a dry run. */
export const isPlan = (row: Pick<OutcomeRow, 'outcome' | 'dryRun'>): boolean =>
  row.outcome === 'planned' || row.dryRun === true;

const later = <T extends { at: string }>(a: T | undefined, b: T): T =>
  a === undefined || a.at <= b.at ? b : a;

/**
 * The one definition of a VM's current state, from every outcome recorded for it (VM ids
 * compared case-insensitively, as ARM does): its latest outcome of a run that acted, that is
 * any outcome but a plan; a plan (`planned`, or whatever a dry run recorded: it assesses, it
 * changes nothing) stands only for a VM that no acting run has an outcome for. So a dry run
 * never hides what a real run did, before or after it; a plan made after the outcome that
 * stands is kept beside it (`laterPlan`). Newest first.
 */
export function currentStates(rows: OutcomeRow[]): VmState[] {
  const byVm = new Map<string, { acted?: OutcomeRow; plan?: OutcomeRow }>();
  for (const row of rows) {
    const key = row.vmId.toLowerCase();
    const seen = byVm.get(key) ?? {};
    if (isPlan(row)) seen.plan = later(seen.plan, row);
    else seen.acted = later(seen.acted, row);
    byVm.set(key, seen);
  }
  const states: VmState[] = [];
  for (const { acted, plan } of byVm.values()) {
    if (acted === undefined) {
      if (plan) states.push(plan);
      continue;
    }
    states.push(
      plan !== undefined && plan.at > acted.at
        ? { ...acted, laterPlan: { outcome: plan.outcome, at: plan.at, runId: plan.runId } }
        : acted,
    );
  }
  return states.sort((a, b) => b.at.localeCompare(a.at));
}

/** Counts of the current states by outcome and by (outcome, reason): each VM once. */
export function fleetSummary(latest: VmState[]): DashboardModel['fleet'] {
  const byOutcome = OUTCOMES.map((outcome) => ({
    outcome,
    count: latest.filter((r) => r.outcome === outcome).length,
  })).filter((o) => o.count > 0);
  const reasons = new Map<string, { outcome: Outcome; reason: string; count: number }>();
  for (const row of latest) {
    if (row.reason === undefined) continue;
    const key = `${row.outcome}\u0000${row.reason}`;
    const entry = reasons.get(key) ?? { outcome: row.outcome, reason: row.reason, count: 0 };
    entry.count += 1;
    reasons.set(key, entry);
  }
  const byReason = [...reasons.values()].sort(
    (a, b) =>
      b.count - a.count ||
      OUTCOMES.indexOf(a.outcome) - OUTCOMES.indexOf(b.outcome) ||
      a.reason.localeCompare(b.reason),
  );
  return { total: latest.length, byOutcome, byReason };
}

/** Compliance rows grouped by action and first reason code, biggest groups first. */
export function groupCompliance(rows: ComplianceRow[]): ComplianceGroup[] {
  const groups = new Map<string, ComplianceGroup>();
  for (const row of rows) {
    const reason = row.reasons[0]?.code ?? '';
    const key = `${row.action}\u0000${reason}`;
    const group = groups.get(key) ?? { action: row.action, reason, count: 0, vms: [] };
    group.count += 1;
    group.vms.push(row.name);
    groups.set(key, group);
  }
  const order = ['remediate', 'compliant', 'skip', 'wait'];
  return [...groups.values()]
    .map((g) => ({ ...g, vms: g.vms.sort((a, b) => a.localeCompare(b)) }))
    .sort(
      (a, b) =>
        rank(order, a.action) - rank(order, b.action) ||
        b.count - a.count ||
        a.reason.localeCompare(b.reason),
    );
}

function rank(order: string[], value: string): number {
  const n = order.indexOf(value);
  return n < 0 ? order.length : n;
}

/** Whether a VM id is in a subscription, or in a resource group of it (case-insensitively). */
export function inScope(
  vmId: string,
  scope: { subscriptionId: string; resourceGroup?: string },
): boolean {
  const prefix = `/subscriptions/${scope.subscriptionId}/${
    scope.resourceGroup !== undefined ? `resourcegroups/${scope.resourceGroup}/` : ''
  }`.toLowerCase();
  return vmId.toLowerCase().startsWith(prefix);
}
