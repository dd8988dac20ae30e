/**
 * The pure planning of a bulk run, apart from its orchestration: what the plan means, the
 * units and lanes it becomes, how decisions apply, the progress to show. Deterministic and
 * unit-tested (test/unit/planning.test.ts).
 */
import type {
  ApprovalDecision,
  ApprovalVm,
  BulkRequest,
  PlanOutput,
} from '../shared/activities/contracts';
import { type VmOutcome } from '../shared/domain/outcomes';
import type { LaneVm, PlanItem, WorkUnit } from '../shared/domain/plan';

/** What a lane needs of a planned VM. */
export function laneVm(item: PlanItem): LaneVm {
  const { decision, powerState, size, at } = item.plan;
  return {
    vm: item.vm,
    planned: {
      powerState,
      ...(size !== undefined ? { size } : {}),
      nicsToEnable: decision.nicsToEnable,
      effects: decision.effects,
      at,
    },
  };
}

/** VMs one by one; availability sets as one unit each. */
export function toUnits(work: PlanItem[]): WorkUnit[] {
  const sets = new Map<string, PlanItem[]>();
  const units: WorkUnit[] = [];
  for (const item of work) {
    const setId = item.plan.availabilitySetId;
    if (setId === undefined) {
      units.push({ kind: 'vm', item });
      continue;
    }
    const key = setId.toLowerCase();
    const members = sets.get(key);
    if (members) members.push(item);
    else {
      const list = [item];
      sets.set(key, list);
      units.push({ kind: 'availabilitySet', setId, items: list });
    }
  }
  return units;
}

export function vmOutcome(
  item: PlanItem,
  outcome: VmOutcome['outcome'],
  at: string,
  reason: string | undefined,
  powerState: VmOutcome['originalPowerState'],
): VmOutcome {
  return {
    vmId: item.vm.id,
    outcome,
    ...(reason !== undefined ? { reason } : {}),
    reasons: item.plan.decision.reasons,
    originalPowerState: powerState,
    finalPowerState: powerState,
    steps: [
      {
        name: 'plan',
        at,
        result: 'ok',
        detail: `${item.plan.decision.action}: ${item.plan.decision.reasons.map((r) => r.code).join(', ')}`,
      },
    ],
  };
}

export function approvalVm(item: PlanItem): ApprovalVm {
  return {
    vmId: item.vm.id,
    name: item.vm.name,
    size: item.plan.size ?? 'unknown',
    powerState: item.plan.powerState,
    decision: item.plan.decision,
  };
}

/** The subscription or resource group a run covers, as an approval request names it. */
export function scopeOf(request: BulkRequest): { id: string; name: string } {
  const subscription = `/subscriptions/${request.subscriptionId}`;
  return request.resourceGroup
    ? { id: `${subscription}/resourceGroups/${request.resourceGroup}`, name: request.resourceGroup }
    : { id: subscription, name: `subscription ${request.subscriptionId}` };
}

/**
 * What a plan means before anything is done: the VMs that need nothing (compliant, skipped)
 * and the requested ones that do not exist get their outcome now; the rest is work.
 */
export function sortPlan(
  plan: PlanOutput,
  at: string,
): { immediate: VmOutcome[]; work: PlanItem[] } {
  const immediate: VmOutcome[] = [];
  const work: PlanItem[] = [];
  for (const item of plan.items) {
    const { decision, powerState } = item.plan;
    if (decision.action === 'remediate') {
      work.push(item);
      continue;
    }
    const compliant = decision.action === 'compliant';
    immediate.push(
      vmOutcome(
        item,
        compliant ? 'already-compliant' : 'skipped',
        at,
        compliant ? undefined : (decision.reasons[0]?.code ?? 'provisioning'),
        powerState,
      ),
    );
  }
  for (const id of plan.missing) {
    immediate.push({
      vmId: id,
      outcome: 'failed',
      reason: 'not-found',
      reasons: [],
      originalPowerState: 'unknown',
      finalPowerState: 'unknown',
      steps: [],
    });
  }
  return { immediate, work };
}

/**
 * The decisions on the work (one per item, in order) applied: approved items go ahead; an
 * availability set goes ahead only if every member of it was approved; the rest is rejected,
 * saying why.
 */
export function applyDecisions(
  work: readonly PlanItem[],
  decisions: readonly (ApprovalDecision | undefined)[],
  at: string,
): { approved: PlanItem[]; rejected: VmOutcome[] } {
  const refusedSets = new Set<string>();
  work.forEach((item, n) => {
    const setId = item.plan.availabilitySetId;
    if (setId !== undefined && decisions[n]?.approved !== true)
      refusedSets.add(setId.toLowerCase());
  });
  const approved: PlanItem[] = [];
  const rejected: VmOutcome[] = [];
  work.forEach((item, n) => {
    const decided = decisions[n];
    const setId = item.plan.availabilitySetId?.toLowerCase();
    if (decided?.approved === true && (setId === undefined || !refusedSets.has(setId))) {
      approved.push(item);
      return;
    }
    const reason =
      decided?.approved === true
        ? 'availability-set-not-approved'
        : (decided?.reason ?? 'rejected');
    rejected.push(vmOutcome(item, 'rejected', at, reason, item.plan.powerState));
  });
  return { approved, rejected };
}

/** The lanes of a run: at most maxParallel, each VM to lane n % lanes, in plan order. */
export function splitLanes(items: readonly PlanItem[], maxParallel: number): LaneVm[][] {
  const lanes = Math.min(Math.max(1, maxParallel), items.length);
  return Array.from({ length: lanes }, (_, lane) =>
    items.filter((_item, n) => n % lanes === lane).map(laneVm),
  );
}
