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
  requestApproval: 'requestApproval',
  closeApproval: 'closeApproval',
  readRunProgress: 'readRunProgress',
  storeLaneWork: 'storeLaneWork',
  readLaneWork: 'readLaneWork',
} as const;

export const ORCHESTRATION = {
  remediateVm: 'remediateVm',
  bulkRemediation: 'bulkRemediation',
  bulkLane: 'bulkLane',
  remediateAvailabilitySet: 'remediateAvailabilitySet',
  approveVm: 'approveVm',
} as const;

/** The external event a person's approve/reject decision arrives as. */
export const APPROVAL_EVENT = 'ApprovalDecision';

export type Mode = 'report' | 'approval' | 'enforce';

/** What the approval event carries, and what waiting for it ends with. */
export interface ApprovalDecision {
  approved: boolean;
  by?: string;
  /** Why it ended without approval: `rejected`, `approval-timeout`, or the request's failure. */
  reason?: string;
}

/** One VM as an approval request describes it. */
export interface ApprovalVm {
  vmId: string;
  name: string;
  size: string;
  powerState: PowerState;
  decision: Decision;
}

/** Input of the requestApproval activity (from an orchestrator: no secrets, no URLs). */
export interface RequestApprovalInput {
  instanceId: string;
  runId: string;
  /** This round of asking (deterministic per instance): tokens of other rounds are refused. */
  nonce: string;
  expiresAt: string;
  vms: ApprovalVm[];
  /** For a request covering several VMs: the subscription or resource group they are in. */
  scope?: { id: string; name: string };
}

export interface RequestApprovalOutput {
  /** Whether the request reached the webhook (false when none is configured). */
  posted: boolean;
}

/** Input of the closeApproval activity: the round of asking whose timer fired. */
export interface CloseApprovalInput {
  instanceId: string;
  nonce: string;
}

/**
 * What the approvals table holds once the timeout has closed a request: `expired` when no
 * decision came first, else the decision recorded first, which the run acts on.
 */
export interface CloseApprovalOutput {
  status: 'approved' | 'rejected' | 'expired';
  by?: string;
}

/** Input of the approveVm orchestration: one VM of a bulk run approved on its own. */
export interface ApproveVmInput {
  runId: string;
  vm: ApprovalVm;
  approvalTimeoutMs: number;
  retryIntervalMs?: number;
}

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
  /** A bulk run's plan for this VM: while it is fresh, the VM is not assessed again. */
  planned?: PlannedRemediation;
  /** How old `planned` may be and still be acted on (ACCELNET_PLAN_MAX_AGE). */
  planMaxAgeMs?: number;
  /** Store the outcome in the run store under runId (bulk runs). */
  storeOutcome?: boolean;
}

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
  /** When the facts behind it were read (ISO 8601): an older plan is assessed again. */
  at: string;
}

/**
 * How old a bulk run's plan of a VM may be and still be acted on without reading the VM again,
 * when the run does not say (ACCELNET_PLAN_MAX_AGE): a VM stopped, resized or tagged meanwhile
 * must not be started or changed on old facts.
 */
export const PLAN_MAX_AGE_MS = 10 * 60 * 1000;

/** A VM a bulk lane remediates. */
export interface LaneVm {
  vm: VmRef;
  planned: PlannedRemediation;
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
  /** With approval required: one decision for the whole plan (`run`, the default) or one per VM (`vm`). */
  approvalScope?: 'run' | 'vm';
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
  /** How often a running bulk run refreshes the progress in its custom status. */
  progressIntervalMs?: number;
  approvalTimeoutMs?: number;
  /** How old a VM's plan may be and still be acted on (ACCELNET_PLAN_MAX_AGE). */
  planMaxAgeMs?: number;
  /**
   * Set when the run continues as new once planned and approved: what is left to remediate,
   * so the planning's large history is not replayed while the lanes run.
   */
  remediate?: {
    counts: BulkCounts;
    /** How many lanes; their VMs are in the run store (storeLaneWork). */
    lanes: number;
    sets: { setId: string; items: PlanItem[] }[];
  };
}

/** A bulk run's lanes and the VMs each remediates, in order. */
export interface StoreLaneWorkInput {
  runId: string;
  lanes: LaneVm[][];
}

/** The VMs of one lane from `offset` on, at most `limit` of them. */
export interface ReadLaneWorkInput {
  runId: string;
  lane: number;
  offset: number;
  limit: number;
}

export interface LaneInput {
  runId: string;
  lane: number;
  /** Where this episode of the lane starts in the lane's VMs (carried across continue-as-new). */
  offset?: number;
  retryIntervalMs?: number;
  planMaxAgeMs?: number;
  /** Carried across continue-as-new. */
  counts?: BulkCounts;
  episode?: number;
}

export interface AvailabilitySetInput {
  runId: string;
  setId: string;
  items: PlanItem[];
  retryIntervalMs?: number;
  planMaxAgeMs?: number;
}

export interface RecordRunInput {
  runId: string;
  status: 'running' | 'pending-approval' | 'completed' | 'failed';
  createdAt: string;
  request: BulkRequest;
  error?: string;
}

/** A bulk run's progress, from the per-VM results stored so far. */
export interface RunProgress {
  /** VMs with a final outcome. */
  done: number;
  counts: Partial<Record<Outcome, number>>;
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
