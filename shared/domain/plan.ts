/** What a bulk run plans for its VMs, and what its lanes carry of that plan. */
import type { VmRef } from './events';
import type { Decision, PowerState } from './model';

/** What bulk planning decided for one VM. */
export interface PlannedVm {
  decision: Decision;
  /** The VM's size when planned (what an approval request shows). */
  size?: string;
  powerState: PowerState;
  availabilitySetId: string | undefined;
  /** When the facts behind it were read (ISO 8601). */
  at: string;
}

/**
 * What remediating a planned VM needs of its plan, and no more: the runs table holds one per
 * VM of a bulk run, and each lane's history the ones it has read.
 */
export interface PlannedRemediation {
  powerState: PowerState;
  size?: string;
  nicsToEnable: string[];
  effects: Decision['effects'];
  /** When the facts behind it were read (ISO 8601). */
  at: string;
}

/** A VM a bulk lane remediates. */
export interface LaneVm {
  vm: VmRef;
  planned: PlannedRemediation;
}

export interface PlanItem {
  vm: VmRef;
  plan: PlannedVm;
}

/** A unit of bulk work: one VM, or an availability set that goes down and up together. */
export type WorkUnit =
  { kind: 'vm'; item: PlanItem } | { kind: 'availabilitySet'; setId: string; items: PlanItem[] };
