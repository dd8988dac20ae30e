/**
 * Names and types shared by orchestrators and activities. Orchestrators import only this
 * file (and model types): never clients, never I/O.
 */
import type { VmRef } from './events';
import type { Decision, PowerState, Reason, VmFacts } from './model';

export const ACTIVITY = {
  assessVm: 'assessVm',
  powerOffVm: 'powerOffVm',
  deallocateVm: 'deallocateVm',
  enableAcceleratedNetworking: 'enableAcceleratedNetworking',
  startVm: 'startVm',
  verifyVm: 'verifyVm',
  recordAudit: 'recordAudit',
} as const;

export const ORCHESTRATION = {
  remediateVm: 'remediateVm',
} as const;

export type Mode = 'report' | 'approval' | 'enforce';

export interface RemediateVmInput {
  vm: VmRef;
  mode: Mode;
  trigger: 'event' | 'bulk';
  /** The run this VM belongs to (the instance id for event runs, the bulk run id otherwise). */
  runId: string;
  eventId?: string;
  /** Milliseconds between retries of transient failures (first interval). */
  retryIntervalMs?: number;
  /** How long an approval may take before the run ends rejected (ACCELNET_APPROVAL_TIMEOUT). */
  approvalTimeoutMs?: number;
}

export interface AssessOutput {
  facts: VmFacts;
  decision: Decision;
}

export interface PowerInput {
  vm: VmRef;
  runId: string;
}

export interface PowerOutput {
  powerState: PowerState;
  /** False when the VM was already in the target state (idempotent retry). */
  changed: boolean;
}

export interface EnableInput {
  vm: VmRef;
  runId: string;
  nicIds: string[];
}

export interface EnableOutput {
  nics: { id: string; changed: boolean }[];
}

export interface VerifyInput {
  vm: VmRef;
  runId: string;
  expectedPowerState: PowerState;
  /** NICs this run already read back with the flag set (the PUT's final GET): not read again. */
  confirmedNicIds?: string[];
}

export interface VerifyOutput {
  ok: boolean;
  powerState: PowerState;
  nics: { id: string; enableAcceleratedNetworking: boolean }[];
  problems: string[];
}

export type Outcome =
  | 'remediated'
  | 'already-compliant'
  | 'skipped'
  | 'failed'
  | 'rejected'
  | 'planned'
  | 'pending-approval'
  | 'in-progress';

export interface StepRecord {
  name: string;
  at: string;
  result: 'ok' | 'skipped' | 'failed';
  detail?: string;
}

export interface VmOutcome {
  vmId: string;
  outcome: Outcome;
  reason?: string;
  reasons: Reason[];
  originalPowerState: PowerState;
  finalPowerState: PowerState;
  steps: StepRecord[];
}

export interface AuditInput {
  runId: string;
  vmId: string;
  step: string;
  result: StepRecord['result'] | 'outcome';
  at: string;
  detail?: string;
  outcome?: Outcome;
}
