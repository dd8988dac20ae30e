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
  planRemediation: 'planRemediation',
  recordRun: 'recordRun',
  recordVmResults: 'recordVmResults',
} as const;

export const ORCHESTRATION = {
  remediateVm: 'remediateVm',
  bulkRemediation: 'bulkRemediation',
  bulkLane: 'bulkLane',
  remediateAvailabilitySet: 'remediateAvailabilitySet',
} as const;

/** The external event a person's approve/reject decision arrives as. */
export const APPROVAL_EVENT = 'ApprovalDecision';

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
  /** A bulk run's plan for this VM: no assessment is read again. */
  planned?: PlannedVm;
  /** Store the outcome in the run store under runId (bulk runs). */
  storeOutcome?: boolean;
}

/** What bulk planning decided for one VM. */
export interface PlannedVm {
  decision: Decision;
  powerState: PowerState;
  availabilitySetId: string | undefined;
}

export interface PlanItem {
  vm: VmRef;
  plan: PlannedVm;
}

export interface BulkRequest {
  subscriptionId: string;
  resourceGroup?: string;
  vmIds?: string[];
  dryRun: boolean;
  maxParallel: number;
  approval: 'none' | 'required';
  /** Remediate availability sets as whole units (after approval). */
  includeAvailabilitySets: boolean;
}

export interface PlanInput {
  runId: string;
  request: BulkRequest;
}

export interface PlanOutput {
  items: PlanItem[];
  /** Requested VM ids that do not exist. */
  missing: string[];
}

/** A unit of bulk work: one VM, or an availability set that goes down and up together. */
export type WorkUnit =
  { kind: 'vm'; item: PlanItem } | { kind: 'availabilitySet'; setId: string; items: PlanItem[] };

export interface BulkCounts {
  total: number;
  remediated: number;
  alreadyCompliant: number;
  skipped: number;
  failed: number;
  pendingApproval: number;
  rejected: number;
  planned: number;
}

export interface BulkInput {
  runId: string;
  request: BulkRequest;
  createdAt: string;
  retryIntervalMs?: number;
  approvalTimeoutMs?: number;
}

export interface LaneInput {
  runId: string;
  lane: number;
  items: PlanItem[];
  retryIntervalMs?: number;
  /** Carried across continue-as-new. */
  counts?: BulkCounts;
  episode?: number;
}

export interface AvailabilitySetInput {
  runId: string;
  setId: string;
  items: PlanItem[];
  retryIntervalMs?: number;
}

export interface RecordRunInput {
  runId: string;
  status: 'running' | 'pending-approval' | 'completed' | 'failed';
  createdAt: string;
  request: BulkRequest;
  error?: string;
}

export interface RecordVmResultsInput {
  runId: string;
  results: VmOutcome[];
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
