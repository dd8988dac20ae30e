/**
 * The dashboard's view model: gathered from narrow ports (the run store, the audit outcome rows,
 * the durable instances, the pause switch, a live scan), each source failing on its own.
 */
import type { BulkRequest, Outcome } from '../activities/contracts';
import type { ComplianceRow } from '../arm/discovery';
import type { ApprovalPlan, Verdict } from '../domain/approvals';
import {
  type AuditInput,
  isFinal,
  OUTCOMES,
  SUMMARY_KEY,
  type VmOutcome,
} from '../domain/outcomes';
import type { PauseGate, PauseState, RunRecord } from '../domain/ports';
import { isOpenStatus, reportedStatus } from '../http/runs';
import { ensureError } from '../platform/errors';

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

/** Runs whose VM results feed the fleet view (the most recent ones). */
const RUNS_IN_FLEET = 20;
const RECENT_ROWS = 25;
const RECENT_RUNS = 5;

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

/** A bulk run's scope in words: subscription, resource group, or a list of VMs. */
export function runScope(request: unknown): string {
  const r = (request ?? {}) as Partial<BulkRequest> & { vmCount?: unknown };
  const parts: string[] = [];
  if (typeof r.subscriptionId === 'string') parts.push(`subscription ${r.subscriptionId}`);
  if (typeof r.resourceGroup === 'string') parts.push(`resource group ${r.resourceGroup}`);
  // A recorded request counts its VM ids (shared/stores/runs.ts keeps them in rows of their own).
  const vms = Array.isArray(r.vmIds) ? r.vmIds.length : r.vmCount;
  if (typeof vms === 'number') parts.push(`${vms} VM${vms === 1 ? '' : 's'}`);
  if (r.dryRun === true) parts.push('dry run');
  return parts.join(', ') || 'unknown scope';
}

interface CustomStatus {
  phase?: unknown;
  counts?: unknown;
  expiresAt?: unknown;
}

const asStatus = (value: unknown): CustomStatus =>
  value !== null && typeof value === 'object' ? value : {};

function countsOf(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      (e): e is [string, number] => typeof e[1] === 'number',
    ),
  );
}

/**
 * A VM's outcome in a run that ended: one still open (pending-approval, in-progress) did not
 * get one, so it failed; the run itself closes open outcomes so before it completes (closeRun),
 * and one whose orchestration died before that is read the same way.
 */
export function settled(outcome: Outcome, runEnded: boolean): Outcome {
  return runEnded && !isFinal(outcome) ? 'failed' : outcome;
}

/** A run's progress from its stored VM results, or else its custom status counts. */
export function runProgress(
  run: RunRecord,
  results: VmOutcome[],
  instance: InstanceView | undefined,
): RunProgress {
  const reported = reportedStatus(run, instance);
  const status = asStatus(instance?.customStatus);
  let counts: Record<string, number>;
  let total: number;
  let done: number;
  if (results.length > 0) {
    counts = {};
    const ended = !isOpenStatus(reported.status);
    for (const r of results) {
      const outcome = settled(r.outcome, ended);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    total = results.length;
    done = results.filter((r) => isFinal(settled(r.outcome, ended))).length;
  } else {
    const c = countsOf(status.counts);
    counts = {};
    for (const outcome of OUTCOMES) {
      const n = c[SUMMARY_KEY[outcome]];
      if (n !== undefined && n > 0) counts[outcome] = n;
    }
    total = c.total ?? 0;
    done = OUTCOMES.filter((o) => isFinal(o)).reduce((sum, o) => sum + (counts[o] ?? 0), 0);
  }
  return {
    id: run.id,
    status: reported.status,
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    ...(instance ? { runtimeStatus: instance.runtimeStatus } : {}),
    scope: runScope(run.request),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    total,
    done,
    counts,
    ...(reported.error !== undefined ? { error: reported.error } : {}),
  };
}

/** Runtime statuses of an instance still at work (continued-as-new is between two episodes). */
const LIVE: ReadonlySet<string> = new Set(['Running', 'Pending', 'ContinuedAsNew']);

/** Whether a run's request was a dry run (its record keeps the request). */
const isDryRun = (run: RunRecord | undefined): boolean =>
  (run?.request as { dryRun?: unknown } | undefined)?.dryRun === true;

export interface DashboardOptions {
  now: Date;
  code?: string;
  /** The result of a decision made from the page (its redirect back says it). */
  decided?: DecisionNotice;
  /** A decision to confirm: the page shows what it decides, and the button that does. */
  confirm?: { instanceId: string; decision: Verdict };
}

/** Gathers the model: every source is read once; a failed live scan is shown, not thrown. */
export async function loadDashboard(
  sources: DashboardSources,
  options: DashboardOptions,
): Promise<DashboardModel> {
  const [auditRows, runs, active, undecided, pause] = await Promise.all([
    sources.audit.listOutcomes(),
    sources.runs.listRuns(),
    sources.instances.listActive(),
    sources.approvals?.listPending(options.now),
    // A switch that cannot be read is shown as unknown; the rest of the page still helps.
    sources.pause?.get().catch((error: unknown): PauseBanner => {
      const e = ensureError(error);
      return { paused: 'unknown', error: `${e.code}: ${e.message}` };
    }),
  ]);
  const waiting = undecided && new Set(undecided.map((a) => a.instanceId));
  const instances = new Map(active.map((i) => [i.instanceId, i]));
  const runsById = new Map(runs.map((r) => [r.id, r]));
  const fleetRuns = runs.slice(0, RUNS_IN_FLEET);
  const openRuns = runs.filter((r) => isOpenStatus(r.status));
  const resultRuns = [...new Set([...fleetRuns, ...openRuns])];
  const results = new Map(
    await Promise.all(
      resultRuns.map(async (run) => [run.id, await sources.runs.listVmResults(run.id)] as const),
    ),
  );
  // An open run whose instance is not running any more: how it ended (failed, terminated).
  const ended = new Map(
    await Promise.all(
      openRuns
        .filter((run) => !instances.has(run.id))
        .map(async (run) => [run.id, await sources.instances.get(run.id)] as const),
    ),
  );

  const rows: OutcomeRow[] = auditRows
    .filter((r) => r.outcome !== undefined)
    .map((r) => ({
      vmId: r.vmId,
      outcome: r.outcome as Outcome,
      ...(r.detail !== undefined ? { reason: r.detail } : {}),
      at: r.at,
      runId: r.runId,
      ...(isDryRun(runsById.get(r.runId)) ? { dryRun: true } : {}),
    }));
  for (const run of resultRuns) {
    // A run that ended (or whose orchestration died) with a VM still open did not finish it:
    // that VM failed, as the run itself closes open outcomes before it completes (closeRun).
    const reported = reportedStatus(run, instances.get(run.id) ?? ended.get(run.id));
    const runEnded = !isOpenStatus(reported.status);
    for (const vm of results.get(run.id) ?? []) {
      const open = settled(vm.outcome, runEnded) !== vm.outcome;
      const reason = open
        ? `the run ended without an outcome for this VM${reported.error !== undefined ? `: ${reported.error}` : ''}`
        : vm.reason;
      rows.push({
        vmId: vm.vmId,
        outcome: open ? 'failed' : vm.outcome,
        ...(reason !== undefined ? { reason } : {}),
        at: vm.steps.at(-1)?.at ?? run.updatedAt,
        runId: run.id,
        ...(isDryRun(run) ? { dryRun: true } : {}),
      });
    }
  }
  const states = currentStates(rows);

  // In progress: open runs whose instance runs. An open run whose instance ended without
  // recording its end is finished, failed with the instance's error.
  const live = (run: RunRecord): InstanceView | undefined => {
    const instance = instances.get(run.id) ?? ended.get(run.id);
    return instance && LIVE.has(instance.runtimeStatus) ? instance : undefined;
  };
  const progress = openRuns
    .filter((run) => live(run) !== undefined)
    .map((run) => runProgress(run, results.get(run.id) ?? [], live(run)));
  const recentRuns = runs
    .filter((r) => !progress.some((p) => p.id === r.id))
    .slice(0, RECENT_RUNS)
    .map((run) => runProgress(run, results.get(run.id) ?? [], ended.get(run.id)))
    .map(({ runtimeStatus: _r, phase: _p, ...run }) => run);

  const pending: PendingApproval[] = [];
  for (const instance of active) {
    const status = asStatus(instance.customStatus);
    if (status.phase !== 'pending-approval') continue;
    if (waiting && !waiting.has(instance.instanceId)) continue;
    const expiresAt = typeof status.expiresAt === 'string' ? status.expiresAt : undefined;
    const run = runsById.get(instance.instanceId);
    if (run || instance.name === 'bulkRemediation') {
      const counts = countsOf(status.counts);
      pending.push({
        instanceId: instance.instanceId,
        kind: 'bulk run',
        subject: run ? runScope(run.request) : instance.instanceId,
        vms: counts.pendingApproval ?? 0,
        since: instance.lastUpdatedTime,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
      });
      continue;
    }
    // An event run's remediateVm (input.vm.id) or a bulk run's per-VM approveVm (input.vm.vmId).
    const full = await sources.instances.get(instance.instanceId);
    const asked = (full?.input as { vm?: { id?: unknown; vmId?: unknown } } | undefined)?.vm;
    const vm = asked?.id ?? asked?.vmId;
    pending.push({
      instanceId: instance.instanceId,
      kind: 'VM',
      subject: typeof vm === 'string' ? vm : instance.instanceId,
      vms: 1,
      since: instance.lastUpdatedTime,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    });
  }
  // A bulk run that asks VM by VM is shown by its VMs' approvals alone.
  const perVm = pending.filter((p) => p.kind === 'VM').map((p) => p.instanceId);
  const shown = pending.filter(
    (p) => p.kind === 'VM' || !perVm.some((id) => id.startsWith(`${p.instanceId}-approval-`)),
  );
  shown.sort((a, b) => a.since.localeCompare(b.since) || a.instanceId.localeCompare(b.instanceId));

  const fleet = fleetSummary(states);
  let compliance: ComplianceScan | undefined;
  if (sources.scan) {
    const { subscriptionId, resourceGroup } = sources.scan;
    const base = { subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}) };
    try {
      const scanned = await sources.scan.rows();
      const known = new Set(states.map((s) => s.vmId.toLowerCase()));
      compliance = {
        ...base,
        total: scanned.length,
        withState: scanned.filter((r) => known.has(r.vmId.toLowerCase())).length,
        groups: groupCompliance(scanned),
      };
      fleet.inScan = states.filter((s) => inScope(s.vmId, base)).length;
    } catch (error) {
      const e = ensureError(error);
      compliance = {
        ...base,
        total: 0,
        withState: 0,
        groups: [],
        error: `${e.code}: ${e.message}`,
      };
    }
  }

  let confirm: DecisionConfirm | undefined;
  if (options.confirm) {
    const { instanceId, decision } = options.confirm;
    const waitingOne = shown.find((p) => p.instanceId === instanceId);
    const plan = undecided?.find((a) => a.instanceId === instanceId)?.plan;
    confirm = {
      decision,
      instanceId,
      ...(waitingOne ? { pending: waitingOne } : {}),
      ...(waitingOne && plan ? { plan } : {}),
    };
  }

  return {
    generatedAt: options.now.toISOString(),
    ...(options.code !== undefined ? { code: options.code } : {}),
    ...(pause !== undefined ? { pause } : {}),
    ...(options.decided ? { notice: options.decided } : {}),
    ...(confirm ? { confirm } : {}),
    fleet,
    ...(compliance ? { compliance } : {}),
    runs: progress,
    recentRuns,
    pending: shown,
    recent: states.slice(0, RECENT_ROWS),
  };
}

/** Whether a VM id is in a subscription, or in a resource group of it (case-insensitively). */
function inScope(vmId: string, scope: { subscriptionId: string; resourceGroup?: string }): boolean {
  const prefix = `/subscriptions/${scope.subscriptionId}/${
    scope.resourceGroup !== undefined ? `resourcegroups/${scope.resourceGroup}/` : ''
  }`.toLowerCase();
  return vmId.toLowerCase().startsWith(prefix);
}

// ---------------------------------------------------------------------------------------
// Rendering
