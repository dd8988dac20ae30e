/**
 * Names and types shared by orchestrators and activities. Orchestrators import only this
 * file (and model types): never clients, never I/O.
 */
import type { ApprovalVm } from '../domain/approvals';
import type { VmRef } from '../domain/events';
import type { Decision, PowerState, VmFacts } from '../domain/model';
import type { AuditInput, OutcomeCounts, VmOutcome } from '../domain/outcomes';
import type { FreshVm } from '../domain/unit';

export type { ApprovalDecision, ApprovalVm } from '../domain/approvals';
import type { LaneVm, PlanItem, PlannedRemediation } from '../domain/plan';
import type { PauseState } from '../domain/ports';

export type { Outcome } from '../domain/outcomes';
/** A bulk run's counts of its VMs by outcome. */
export type BulkCounts = OutcomeCounts;

export const ACTIVITY = {
  assessVm: 'assessVm',
  prepareUnit: 'prepareUnit',
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
  storeLaneWork: 'storeLaneWork',
  readLaneWork: 'readLaneWork',
  closeRun: 'closeRun',
} as const;

export const ORCHESTRATION = {
  remediateVm: 'remediateVm',
  bulkRemediation: 'bulkRemediation',
  bulkLane: 'bulkLane',
  remediateAvailabilitySet: 'remediateAvailabilitySet',
  approveVm: 'approveVm',
} as const;

/** How long a person has to decide when the run does not say (ACCELNET_APPROVAL_TIMEOUT's default). */
export const APPROVAL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Default wait between looks at the pause switch while paused: a minute of ARM time. */
export const PAUSE_POLL_MS = 60_000;

/** The external event a person's approve/reject decision arrives as. */
export const APPROVAL_EVENT = 'ApprovalDecision';

export type Mode = 'report' | 'approval' | 'enforce';

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
  /**
   * A bulk run's plan for this VM (approved with the run): the VM is not assessed again before
   * the run reaches it, only at the point of no return.
   */
  planned?: PlannedRemediation;
  /** Store the outcome in the run store under runId (bulk runs). */
  storeOutcome?: boolean;
  /** Availability sets are remediated as whole units (a bulk request's includeAvailabilitySets). */
  includeAvailabilitySets?: boolean;
  /** While accelnet is paused, how often a waiting run looks again (ARM time, scaled). */
  pausePollMs?: number;
}

export interface BulkRequest {
  subscriptionId: string;
  resourceGroup?: string;
  vmIds?: string[];
  /**
   * How many VM ids the request named, when they are kept with the run (the run store) rather
   * than carried in the orchestration's input: up to 5,000 ids (1.3 MB) would exceed the input
   * limit of some durable backends (the Durable Task Scheduler's 1 MB) and bloat every replay.
   */
  vmCount?: number;
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

export interface BulkInput {
  runId: string;
  request: BulkRequest;
  createdAt: string;
  retryIntervalMs?: number;
  approvalTimeoutMs?: number;
  /** While accelnet is paused, how often a waiting run looks again. */
  pausePollMs?: number;
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
  pausePollMs?: number;
  /** Carried across continue-as-new. */
  counts?: BulkCounts;
  episode?: number;
}

/** Input of the remediateAvailabilitySet orchestration: an approved set of a bulk run. */
export interface AvailabilitySetInput {
  runId: string;
  setId: string;
  /** The members the run planned to change (the set is read again before anything is). */
  items: PlanItem[];
  retryIntervalMs?: number;
  pausePollMs?: number;
}

/** Input of the prepareUnit activity: the VMs of a unit, read again at the point of no return. */
export interface PrepareInput {
  runId: string;
  vms: VmRef[];
  /** For an availability set: its id; every current member of it is read. */
  availabilitySetId?: string;
  /** Judge availability set members as remediable (the run remediates the set as a whole). */
  includeAvailabilitySets: boolean;
}

export interface PrepareOutput {
  /** Every VM of the unit now (for a set: its current members, and requested VMs now gone). */
  vms: FreshVm[];
  pause: PauseState;
  /** When the facts were read (ISO 8601). */
  at: string;
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
  /**
   * Set the flag on the running VM (its size requires Accelerated Networking, which Azure
   * enables at runtime): no deallocation first. Otherwise NICs change only while it is deallocated.
   */
  inPlace?: boolean;
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

/** Input of closeRun: the last step of a bulk run. */
export interface CloseRunInput {
  runId: string;
  /** Why a VM still without a final outcome gets `failed` (a run never ends with one open). */
  reason: string;
}

/**
 * Every activity: its input and its output. Orchestrators call activities through a helper
 * typed by this map, so a call site cannot pass or read the wrong shape.
 */
export interface ActivityContracts {
  assessVm: { input: PowerInput; output: AssessOutput };
  prepareUnit: { input: PrepareInput; output: PrepareOutput };
  deallocateVm: { input: PowerInput; output: PowerOutput };
  enableAcceleratedNetworking: { input: EnableInput; output: EnableOutput };
  startVm: { input: PowerInput; output: PowerOutput };
  verifyVm: { input: VerifyInput; output: VerifyOutput };
  recordAudit: { input: AuditInput | AuditInput[]; output: void };
  planRemediation: { input: PlanInput; output: PlanOutput };
  recordRun: { input: RecordRunInput; output: void };
  recordVmResults: { input: RecordVmResultsInput; output: void };
  requestApproval: { input: RequestApprovalInput; output: RequestApprovalOutput };
  closeApproval: { input: CloseApprovalInput; output: CloseApprovalOutput };
  storeLaneWork: { input: StoreLaneWorkInput; output: { vms: number } };
  readLaneWork: { input: ReadLaneWorkInput; output: LaneVm[] };
  closeRun: { input: CloseRunInput; output: { closed: number } };
}

export type ActivityName = keyof ActivityContracts & keyof typeof ACTIVITY;
export type ActivityInput<K extends ActivityName> = ActivityContracts[K]['input'];
export type ActivityOutput<K extends ActivityName> = ActivityContracts[K]['output'];
