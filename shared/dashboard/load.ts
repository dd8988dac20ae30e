/**
 * Gathers the dashboard's view model from its sources, each read once and each failing on its
 * own.
 */
import type { Outcome } from '../activities/contracts';
import type { Verdict } from '../domain/approvals';
import type { RunRecord } from '../domain/ports';
import { isOpenStatus, reportedStatus } from '../http/runs';
import { ensureError } from '../platform/errors';
import { currentStates, fleetSummary, groupCompliance, inScope } from './fleet';
import type {
  ComplianceScan,
  DashboardModel,
  DashboardSources,
  DecisionConfirm,
  DecisionNotice,
  InstanceView,
  OutcomeRow,
  PauseBanner,
  PendingApproval,
} from './model';
import { asStatus, countsOf, runProgress, runScope, settled } from './progress';

/** Runs whose VM results feed the fleet view (the most recent ones). */
const RUNS_IN_FLEET = 20;
const RECENT_ROWS = 25;
const RECENT_RUNS = 5;

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
