import type { VmRef } from './events';
import type { Decision, PowerState, Reason, VmFacts } from './model';

/**
 * A unit of remediation: one VM, or an availability set whose members go down and up together
 * (a set lives on one hardware cluster). Right before a unit is taken down its VMs are read
 * again; this judges those fresh facts: which VMs to change now, and the final outcome of every
 * other one. Pure: the same facts always give the same verdict.
 */

/** A VM of a unit as read at the point of no return. */
export type FreshVm =
  { vm: VmRef; found: false } | { vm: VmRef; found: true; facts: VmFacts; decision: Decision };

export interface ToRemediate {
  vm: VmRef;
  facts: VmFacts;
  decision: Decision;
}

export interface Untouched {
  vm: VmRef;
  outcome: 'already-compliant' | 'skipped';
  /** The outcome's reason code (skipped only). */
  reason?: string;
  reasons: Reason[];
  powerState: PowerState;
}

export interface UnitVerdict {
  /** VMs to take down and change now; empty when nothing is touched. */
  remediate: ToRemediate[];
  /** Every other VM, with its final outcome. */
  untouched: Untouched[];
}

const nameOf = (id: string): string => id.split('/').pop() ?? id;

function gone(vm: VmRef): Untouched {
  return {
    vm,
    outcome: 'skipped',
    reason: 'vm-deleted',
    reasons: [
      {
        code: 'vm-deleted',
        message: `${vm.name} no longer exists (it was deleted while the run waited); nothing was done.`,
      },
    ],
    powerState: 'unknown',
  };
}

function settled(vm: VmRef, facts: VmFacts, decision: Decision): Untouched | undefined {
  if (decision.action === 'remediate') return undefined;
  if (decision.action === 'compliant')
    return {
      vm,
      outcome: 'already-compliant',
      reasons: decision.reasons,
      powerState: facts.powerState,
    };
  if (decision.action === 'wait') {
    return {
      vm,
      outcome: 'skipped',
      reason: 'provisioning',
      reasons: [
        {
          code: 'provisioning',
          message: `${facts.name} is being changed right now (provisioning state ${facts.provisioningState}); nothing was done, and the change starts a run of its own.`,
        },
      ],
      powerState: facts.powerState,
    };
  }
  return {
    vm,
    outcome: 'skipped',
    reason: decision.reasons[0]?.code ?? 'skipped',
    reasons: decision.reasons,
    powerState: facts.powerState,
  };
}

/**
 * The verdict on a unit's fresh facts. A single VM is changed when it still needs and allows it.
 * An availability set is changed only if every member that lacks the flag can have it: one
 * member that cannot (resized, opted out, settling) would keep the others from starting on an
 * Accelerated Networking cluster, so then no VM of the set is touched.
 */
export function judgeUnit(setId: string | undefined, fresh: readonly FreshVm[]): UnitVerdict {
  const remediate: ToRemediate[] = [];
  const untouched: Untouched[] = [];
  const blockers: Untouched[] = [];
  for (const item of fresh) {
    if (!item.found) {
      untouched.push(gone(item.vm));
      continue;
    }
    const done = settled(item.vm, item.facts, item.decision);
    if (!done) {
      remediate.push({ vm: item.vm, facts: item.facts, decision: item.decision });
      continue;
    }
    untouched.push(done);
    if (done.outcome === 'skipped') blockers.push(done);
  }
  if (setId === undefined || blockers.length === 0 || remediate.length === 0)
    return { remediate, untouched };
  const why = blockers.map((b) => `${b.vm.name} (${b.reason ?? 'skipped'})`).join(', ');
  const message = `Availability set ${nameOf(setId)} goes down as a whole, and ${why} cannot have Accelerated Networking now, so no VM of the set was touched.`;
  for (const r of remediate) {
    untouched.push({
      vm: r.vm,
      outcome: 'skipped',
      reason: 'availability-set-blocked',
      reasons: [{ code: 'availability-set-blocked', message }],
      powerState: r.facts.powerState,
    });
  }
  return { remediate: [], untouched };
}
