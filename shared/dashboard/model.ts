/**
 * The dashboard's view model, and the narrow ports it is gathered from (the run store, the audit
 * outcome rows, the durable instances, the pause switch, a live scan).
 */
import type { Outcome } from '../activities/contracts';
import type { ComplianceRow } from '../arm/discovery';
import type { ApprovalPlan, Verdict } from '../domain/approvals';
import type { AuditInput, VmOutcome } from '../domain/outcomes';
import type { PauseGate, PauseState, RunRecord } from '../domain/ports';

/** One outcome of one VM in one run, as recorded. */
export interface OutcomeRow {
  vmId: string;
  outcome: Outcome;
  reason?: string;
  at: string;
  runId: string;
  /** Recorded by a dry run (a bulk run with `dryRun`): what it would do, nothing done. */
  dryRun?: boolean;
}

/** A VM's current state: the outcome that stands for it (currentStates), and a later plan. */
export interface VmState extends OutcomeRow {
  /**
   * A plan recorded after the outcome that stands (a later dry run, a report-only event run):
   * shown beside it, never in its place.
   */
  laterPlan?: { outcome: Outcome; at: string; runId: string };
}

/** A bulk run still going, with its progress. */
export interface RunProgress {
  id: string;
  status: RunRecord['status'];
  /** The orchestration's own phase (custom status), when the instance is known. */
  phase?: string;
  runtimeStatus?: string;
  scope: string;
  createdAt: string;
  updatedAt: string;
  total: number;
  /** VMs with a final outcome. */
  done: number;
  counts: Record<string, number>;
  /** Why the run failed: its recorded error, or its orchestration's when that died first. */
  error?: string;
}

/** An instance waiting for a person's decision. */
export interface PendingApproval {
  instanceId: string;
  kind: 'bulk run' | 'VM';
  /** What would be changed: a VM id, or a bulk run's scope. */
  subject: string;
  vms: number;
  since: string;
  expiresAt?: string;
}

/** VMs of a live compliance scan grouped by action and first reason. */
export interface ComplianceGroup {
  action: string;
  reason: string;
  count: number;
  vms: string[];
}

export interface ComplianceScan {
  subscriptionId: string;
  resourceGroup?: string;
  /** VMs in the scope now, each assessed now. */
  total: number;
  /** Of them, VMs with a current state on this page (an outcome of some run). */
  withState: number;
  groups: ComplianceGroup[];
  error?: string;
}

/** The pause switch as the page shows it; `error` when it could not be read. */
export type PauseBanner = PauseState | { paused: 'unknown'; error: string };

/** What an operator's decision from the dashboard came to (after its redirect back). */
export interface DecisionNotice {
  instanceId: string;
  /** `approved`, `rejected`, or the refusal's code (ApprovalAlreadyDecided, ApprovalExpired, ...). */
  result: string;
}

/** The confirmation step of an operator's decision: what is decided, before it is. */
export interface DecisionConfirm {
  decision: Verdict;
  instanceId: string;
  /** The approval waiting; undefined when it no longer waits (decided, expired). */
  pending?: PendingApproval;
  /** What was asked, when the request kept its plan. */
  plan?: ApprovalPlan;
}

export interface DashboardModel {
  generatedAt: string;
  /** The function key of the request, kept in the page's links. */
  code?: string;
  /** The pause switch, when the page has a source for it. */
  pause?: PauseBanner;
  /** What the last decision made on this page came to. */
  notice?: DecisionNotice;
  /** A decision waiting for its confirmation. */
  confirm?: DecisionConfirm;
  /** Every VM with a current state, counted once by it (see currentStates). */
  fleet: {
    total: number;
    byOutcome: { outcome: Outcome; count: number }[];
    byReason: { outcome: Outcome; reason: string; count: number }[];
    /** With a live scan: how many of these VMs are in the scanned scope. */
    inScan?: number;
  };
  compliance?: ComplianceScan;
  runs: RunProgress[];
  recentRuns: RunProgress[];
  pending: PendingApproval[];
  recent: VmState[];
}

/** An orchestration instance as the durable client reports it. */
export interface InstanceView {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  input?: unknown;
  /** What an ended instance returned: its error when it failed. */
  output?: unknown;
}

/** What the dashboard reads of the durable task hub. */
export interface InstancePort {
  /** Running and pending instances (custom status included, input not). */
  listActive(): Promise<InstanceView[]>;
  /** One instance with its input and output; undefined when there is none. */
  get(instanceId: string): Promise<InstanceView | undefined>;
}

/** What the dashboard reads of Table storage. */
export interface DashboardStores {
  audit: { listOutcomes(since?: string): Promise<AuditInput[]> };
  runs: {
    listRuns(): Promise<RunRecord[]>;
    listVmResults(runId: string): Promise<VmOutcome[]>;
  };
}

export interface DashboardSources extends DashboardStores {
  instances: InstancePort;
  /** The approval requests still undecided: a decided one is not shown while its run moves on. */
  approvals?: { listPending(now: Date): Promise<{ instanceId: string; plan?: ApprovalPlan }[]> };
  /** The pause switch: shown at the top of the page, on or off. */
  pause?: PauseGate;
  /** A live compliance scan, when a subscription was asked for. */
  scan?: {
    subscriptionId: string;
    resourceGroup?: string;
    rows: () => Promise<ComplianceRow[]>;
  };
}
