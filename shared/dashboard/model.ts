/**
 * The dashboard's view model: gathered from narrow ports (the run store, the audit outcome rows,
 * the durable instances, the pause switch, a live scan), each source failing on its own.
 */
import type { BulkRequest, Outcome } from '../activities/contracts';
import type { ComplianceRow } from '../arm/discovery';
import {
  type AuditInput,
  isFinal,
  OUTCOMES,
  SUMMARY_KEY,
  type VmOutcome,
} from '../domain/outcomes';
import type { PauseGate, PauseState, RunRecord } from '../domain/ports';
import { ensureError } from '../platform/errors';

/** One VM's latest known outcome. */
export interface OutcomeRow {
  vmId: string;
  outcome: Outcome;
  reason?: string;
  at: string;
  runId: string;
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
  total: number;
  groups: ComplianceGroup[];
  error?: string;
}

/** The pause switch as the page shows it; `error` when it could not be read. */
export type PauseBanner = PauseState | { paused: 'unknown'; error: string };

export interface DashboardModel {
  generatedAt: string;
  /** The function key of the request, kept in the page's links. */
  code?: string;
  /** The pause switch, when the page has a source for it. */
  pause?: PauseBanner;
  fleet: {
    total: number;
    byOutcome: { outcome: Outcome; count: number }[];
    byReason: { outcome: Outcome; reason: string; count: number }[];
  };
  compliance?: ComplianceScan;
  runs: RunProgress[];
  recentRuns: RunProgress[];
  pending: PendingApproval[];
  recent: OutcomeRow[];
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
}

/** What the dashboard reads of the durable task hub. */
export interface InstancePort {
  /** Running and pending instances (custom status included, input not). */
  listActive(): Promise<InstanceView[]>;
  /** One instance with its input; undefined when there is none. */
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
  approvals?: { listPending(now: Date): Promise<{ instanceId: string }[]> };
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

/** The latest outcome of each VM (VM ids compared case-insensitively, as ARM does). */
export function latestOutcomes(rows: OutcomeRow[]): OutcomeRow[] {
  const latest = new Map<string, OutcomeRow>();
  for (const row of rows) {
    const key = row.vmId.toLowerCase();
    const seen = latest.get(key);
    if (!seen || seen.at <= row.at) latest.set(key, row);
  }
  return [...latest.values()].sort((a, b) => b.at.localeCompare(a.at));
}

/** Counts of the latest outcomes by outcome and by (outcome, reason). */
export function fleetSummary(latest: OutcomeRow[]): DashboardModel['fleet'] {
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

/** A run's progress from its stored VM results, or else its custom status counts. */
export function runProgress(
  run: RunRecord,
  results: VmOutcome[],
  instance: InstanceView | undefined,
): RunProgress {
  const status = asStatus(instance?.customStatus);
  let counts: Record<string, number>;
  let total: number;
  let done: number;
  if (results.length > 0) {
    counts = {};
    for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
    total = results.length;
    done = results.filter((r) => isFinal(r.outcome)).length;
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
    status: run.status,
    ...(typeof status.phase === 'string' ? { phase: status.phase } : {}),
    ...(instance ? { runtimeStatus: instance.runtimeStatus } : {}),
    scope: runScope(run.request),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    total,
    done,
    counts,
  };
}

/** Gathers the model: every source is read once; a failed live scan is shown, not thrown. */
export async function loadDashboard(
  sources: DashboardSources,
  options: { now: Date; code?: string },
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
  const fleetRuns = runs.slice(0, RUNS_IN_FLEET);
  const openRuns = runs.filter((r) => r.status === 'running' || r.status === 'pending-approval');
  const resultRuns = [...new Set([...fleetRuns, ...openRuns])];
  const results = new Map(
    await Promise.all(
      resultRuns.map(async (run) => [run.id, await sources.runs.listVmResults(run.id)] as const),
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
    }));
  for (const run of fleetRuns) {
    for (const vm of results.get(run.id) ?? []) {
      rows.push({
        vmId: vm.vmId,
        outcome: vm.outcome,
        ...(vm.reason !== undefined ? { reason: vm.reason } : {}),
        at: vm.steps.at(-1)?.at ?? run.updatedAt,
        runId: run.id,
      });
    }
  }
  const latest = latestOutcomes(rows);

  // A run the store still calls open whose instance has ended (failed, terminated) is not in progress.
  const progress = openRuns
    .map((run) => runProgress(run, results.get(run.id) ?? [], instances.get(run.id)))
    .filter((p) => p.runtimeStatus !== undefined);
  const recentRuns = runs
    .filter((r) => !progress.some((p) => p.id === r.id))
    .slice(0, RECENT_RUNS)
    .map((run) => runProgress(run, results.get(run.id) ?? [], undefined));

  const runsById = new Map(runs.map((r) => [r.id, r]));
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

  let compliance: ComplianceScan | undefined;
  if (sources.scan) {
    const { subscriptionId, resourceGroup } = sources.scan;
    const base = { subscriptionId, ...(resourceGroup !== undefined ? { resourceGroup } : {}) };
    try {
      const scanned = await sources.scan.rows();
      compliance = { ...base, total: scanned.length, groups: groupCompliance(scanned) };
    } catch (error) {
      const e = ensureError(error);
      compliance = { ...base, total: 0, groups: [], error: `${e.code}: ${e.message}` };
    }
  }

  return {
    generatedAt: options.now.toISOString(),
    ...(options.code !== undefined ? { code: options.code } : {}),
    ...(pause !== undefined ? { pause } : {}),
    fleet: fleetSummary(latest),
    ...(compliance ? { compliance } : {}),
    runs: progress,
    recentRuns,
    pending: shown,
    recent: latest.slice(0, RECENT_ROWS),
  };
}

// ---------------------------------------------------------------------------------------
// Rendering
