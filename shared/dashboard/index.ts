/**
 * The operator's dashboard (`GET /api/dashboard`): the pause switch, fleet compliance by
 * outcome and reason, runs in progress, pending approvals and recent outcomes, as one
 * server-rendered HTML page with no external resources. Queries gather a DashboardModel from
 * narrow ports; the page is a pure function of the model, every value escaped.
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

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;

/** A link to the dashboard that keeps the function key. */
function dashboardHref(code: string | undefined, params: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  if (code !== undefined) query.set('code', code);
  for (const [k, v] of Object.entries(params)) query.set(k, v);
  const text = query.toString();
  return text === '' ? 'dashboard' : `dashboard?${text}`;
}

const vmName = (vmId: string): string => vmId.split('/').filter(Boolean).pop() ?? vmId;

function resourceGroupOf(vmId: string): string {
  const m = /\/resourceGroups\/([^/]+)\//i.exec(vmId);
  return m?.[1] ?? '';
}

function time(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return `<span>${esc(iso)}</span>`;
  const text = d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return `<time datetime="${esc(d.toISOString())}">${esc(text)}</time>`;
}

function clip(text: string, max = 140): string {
  return text.length <= max
    ? esc(text)
    : `<span title="${esc(text)}">${esc(text.slice(0, max - 1))}…</span>`;
}

const badge = (outcome: string): string =>
  `<span class="badge o-${esc(outcome.replace(/[^a-z-]/g, ''))}">${esc(outcome)}</span>`;

function table(headers: string[], rows: string[][], cls = ''): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`);
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const empty = (text: string): string => `<p class="empty">${esc(text)}</p>`;

function progressBar(p: RunProgress): string {
  const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : 0;
  return `<div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${p.total}" aria-valuenow="${p.done}"><div style="width:${pct}%"></div></div><span class="num">${p.done}/${p.total}</span>`;
}

function countsText(counts: Record<string, number>): string {
  return OUTCOMES.filter((o) => (counts[o] ?? 0) > 0)
    .map((o) => `${badge(o)} <span class="num">${counts[o] ?? 0}</span>`)
    .join(' ');
}

/** The pause switch, on or off, at the top of the page. */
function pauseSection(model: DashboardModel): string {
  const state = model.pause;
  if (state === undefined) return '';
  let banner: string;
  if (state.paused === 'unknown')
    banner = `<div class="banner unknown" role="status"><strong>Pause state unknown</strong> <span>${esc(state.error)}</span></div>`;
  else if (state.paused)
    banner =
      `<div class="banner paused" role="status"><strong>Paused</strong> since ${time(state.since)} by <span class="by">${esc(state.by)}</span>` +
      (state.reason !== undefined
        ? `: <span class="reason">${esc(state.reason)}</span>`
        : ' <span class="muted">(no reason given)</span>') +
      `<p>No run of any kind takes another VM down. VMs already down are finished and started again; runs wait and go on when resumed. Resume with <code>accelnet resume</code> or <code>DELETE /api/pause</code>.</p></div>`;
  else
    banner = `<div class="banner running" role="status"><strong>Not paused</strong>: runs take VMs down as they need to. Pause with <code>accelnet pause --reason TEXT</code> or <code>POST /api/pause</code>.</div>`;
  return `<section id="pause">${banner}</section>`;
}

function fleetSection(model: DashboardModel): string {
  const { fleet } = model;
  const cards = [
    `<div class="card total"><div class="n">${fleet.total}</div><div class="l">VMs with an outcome</div></div>`,
    ...fleet.byOutcome.map(
      (o) =>
        `<div class="card o-${esc(o.outcome)}" data-outcome="${esc(o.outcome)}"><div class="n">${o.count}</div><div class="l">${esc(o.outcome)}</div></div>`,
    ),
  ].join('');
  const reasons =
    fleet.byReason.length === 0
      ? ''
      : `<h3>By reason</h3>${table(
          ['Outcome', 'Reason', 'VMs'],
          fleet.byReason.map((r) => [badge(r.outcome), clip(r.reason), `${r.count}`]),
          'compact',
        )}`;
  return `<section id="fleet"><h2>Fleet compliance</h2>${
    fleet.total === 0
      ? empty('No outcomes recorded yet.')
      : `<div class="cards">${cards}</div>${reasons}`
  }</section>`;
}

function complianceSection(model: DashboardModel): string {
  const hidden =
    model.code !== undefined ? `<input type="hidden" name="code" value="${esc(model.code)}">` : '';
  const scan = model.compliance;
  const form = `<form method="get" action="dashboard" class="scan">${hidden}<label>Subscription <input name="subscriptionId" size="40" placeholder="00000000-0000-0000-0000-000000000000" value="${esc(scan?.subscriptionId ?? '')}"></label> <label>Resource group <input name="resourceGroup" size="16" value="${esc(scan?.resourceGroup ?? '')}"></label> <button type="submit">Scan</button></form>`;
  let body = '';
  if (scan?.error !== undefined) body = `<p class="error">${esc(scan.error)}</p>`;
  else if (scan) {
    const where = `${scan.subscriptionId}${scan.resourceGroup ? ` / ${scan.resourceGroup}` : ''}`;
    body =
      `<p class="muted">${scan.total} VMs in ${esc(where)}, assessed now.</p>` +
      (scan.groups.length === 0
        ? empty('No VMs in scope.')
        : table(
            ['Action', 'Reason', 'VMs', 'Names'],
            scan.groups.map((g) => [
              `<span class="badge a-${esc(g.action)}">${esc(g.action)}</span>`,
              esc(g.reason),
              `${g.count}`,
              clip(g.vms.join(', '), 200),
            ]),
          ));
  }
  return `<section id="compliance"><h2>Live compliance scan</h2>${form}${body}</section>`;
}

function runsSection(model: DashboardModel): string {
  const live =
    model.runs.length === 0
      ? empty('No runs in progress.')
      : table(
          ['Run', 'Scope', 'Phase', 'Progress', 'Outcomes so far', 'Started'],
          model.runs.map((r) => [
            `<code>${esc(r.id)}</code>`,
            esc(r.scope),
            `<span class="badge o-${esc(r.phase ?? r.status)}">${esc(r.phase ?? r.status)}</span>`,
            progressBar(r),
            countsText(r.counts),
            time(r.createdAt),
          ]),
        );
  const recent =
    model.recentRuns.length === 0
      ? ''
      : `<h3>Recently finished</h3>${table(
          ['Run', 'Scope', 'Status', 'Outcomes', 'Updated'],
          model.recentRuns.map((r) => [
            `<code>${esc(r.id)}</code>`,
            esc(r.scope),
            esc(r.status),
            countsText(r.counts),
            time(r.updatedAt),
          ]),
          'compact',
        )}`;
  return `<section id="runs"><h2>Runs in progress</h2>${live}${recent}</section>`;
}

function pendingSection(model: DashboardModel): string {
  return `<section id="approvals"><h2>Pending approvals</h2>${
    model.pending.length === 0
      ? empty('Nothing is waiting for approval.')
      : table(
          ['Instance', 'Kind', 'What', 'VMs', 'Waiting since', 'Expires', 'Decide'],
          model.pending.map((p) => [
            `<code>${esc(p.instanceId)}</code>`,
            esc(p.kind),
            p.kind === 'VM'
              ? `<span title="${esc(p.subject)}">${esc(vmName(p.subject))}</span>`
              : esc(p.subject),
            `${p.vms}`,
            time(p.since),
            p.expiresAt !== undefined ? time(p.expiresAt) : '<span class="muted">—</span>',
            decideForms(p.instanceId, model.code),
          ]),
        )
  }</section>`;
}

/** Approve and reject buttons: the operator's decision (POST /api/approvals/{instanceId}). */
function decideForms(instanceId: string, code: string | undefined): string {
  const action = `approvals/${encodeURIComponent(instanceId)}${code !== undefined ? `?code=${encodeURIComponent(code)}` : ''}`;
  const form = (decision: 'approve' | 'reject', label: string): string =>
    `<form method="post" action="${esc(action)}" class="decide"><input type="hidden" name="decision" value="${decision}"><input type="hidden" name="by" value="dashboard"><button type="submit" class="${decision}">${label}</button></form>`;
  return `${form('approve', 'Approve')} ${form('reject', 'Reject')}`;
}

function recentSection(model: DashboardModel): string {
  return `<section id="recent"><h2>Recent remediations</h2>${
    model.recent.length === 0
      ? empty('No outcomes recorded yet.')
      : table(
          ['VM', 'Resource group', 'Outcome', 'Reason', 'Run', 'At'],
          model.recent.map((r) => [
            `<span class="vm" title="${esc(r.vmId)}">${esc(vmName(r.vmId))}</span>`,
            esc(resourceGroupOf(r.vmId)),
            badge(r.outcome),
            r.reason !== undefined ? clip(r.reason) : '',
            `<code title="${esc(r.runId)}">${esc(r.runId.length > 16 ? `${r.runId.slice(0, 15)}…` : r.runId)}</code>`,
            time(r.at),
          ]),
        )
  }</section>`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f6f8fa;--card:#fff;--accent:#0b6bcb}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:baseline;gap:16px;padding:14px 28px;background:#10243e;color:#fff}
header h1{margin:0;font-size:18px;font-weight:600}
header .muted{color:#b7c4d6}
header a{color:#cfe3ff;margin-left:auto}
main{padding:20px 28px;display:grid;gap:18px;max-width:1280px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px}
h2{margin:0 0 10px;font-size:15px}
h3{margin:14px 0 6px;font-size:13px;color:var(--muted);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:118px;padding:10px 14px;border-radius:6px;border:1px solid var(--line);border-left-width:5px;background:#fff}
.card .n{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
tbody tr:nth-child(even){background:#fbfcfd}
table.compact td,table.compact th{padding:4px 10px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:#eef1f4;color:#33404f;white-space:nowrap}
.o-remediated{background:#dcf5e3;color:#17602e;border-left-color:#2da44e}
.o-already-compliant,.a-compliant{background:#e3effd;color:#0b4f94;border-left-color:#0b6bcb}
.o-planned,.a-remediate{background:#efe6fb;color:#5b2a99;border-left-color:#8250df}
.o-in-progress,.o-remediating,.o-running,.o-planning{background:#fff4d6;color:#7a5200;border-left-color:#d4a72c}
.o-pending-approval,.a-wait{background:#ffe9d6;color:#8a3f00;border-left-color:#e16f24}
.o-skipped,.a-skip{background:#eef1f4;color:#424a53;border-left-color:#8c959f}
.o-rejected{background:#f6e3ef;color:#85205a;border-left-color:#bf3989}
.o-failed{background:#fde2e1;color:#9b1c1c;border-left-color:#cf222e}
.card.total{border-left-color:#10243e}
.card[class*="o-"]{background:#fff}
.bar{display:inline-block;width:140px;height:8px;background:#e9edf1;border-radius:4px;overflow:hidden;vertical-align:middle;margin-right:8px}
.bar>div{height:100%;background:#2da44e}
.num{font-variant-numeric:tabular-nums}
time{white-space:nowrap}
.muted{color:var(--muted)}
.empty{color:var(--muted);margin:4px 0}
.error{color:#9b1c1c}
#pause{padding:0;border:0;background:none}
.banner{padding:12px 16px;border-radius:8px;border:1px solid var(--line);border-left-width:6px}
.banner p{margin:6px 0 0}
.banner.paused{background:#fff1e5;border-color:#e16f24;color:#5c2600}
.banner.paused strong{font-size:16px}
.banner.running{background:#eef8f1;border-color:#2da44e;color:#17602e}
.banner.unknown{background:#fde2e1;border-color:#cf222e;color:#9b1c1c}
form.decide{display:inline}
form.decide button{font:inherit;padding:2px 10px;border-radius:4px;cursor:pointer;border:1px solid #c9d1d9;background:#fff}
form.decide button.approve{border-color:#1a7f37;background:#1a7f37;color:#fff}
form.scan{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:10px}
form.scan input{font:inherit;padding:3px 6px;border:1px solid #c9d1d9;border-radius:4px}
form.scan button{font:inherit;padding:3px 12px;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
`;

/** The whole page: a pure function of the model. */
export function renderDashboard(model: DashboardModel): string {
  const refresh = dashboardHref(model.code, {
    ...(model.compliance ? { subscriptionId: model.compliance.subscriptionId } : {}),
    ...(model.compliance?.resourceGroup ? { resourceGroup: model.compliance.resourceGroup } : {}),
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>accelnet dashboard</title><style>${CSS}</style></head>
<body><header><h1>accelnet</h1><span class="muted">Accelerated Networking across the fleet · ${time(model.generatedAt)}</span><a href="${esc(refresh)}">Refresh</a></header>
<main>
${pauseSection(model)}
${fleetSection(model)}
${runsSection(model)}
${pendingSection(model)}
${recentSection(model)}
${complianceSection(model)}
</main></body></html>
`;
}
