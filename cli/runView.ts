/**
 * A bulk run as the service's API shows it (GET /api/remediations/{id}, and the list of runs),
 * and how people read it: one row per VM with its resource group and the reason in words, and
 * a line of counts.
 */
import { parseVmId } from '../shared/domain/events';
import { OUTCOMES, type VmOutcome } from '../shared/domain/outcomes';
import type { RunRecord } from '../shared/domain/ports';
import { csv, table } from './format';

/** A VM's outcome as GET /api/remediations/{id} shows it. */
export type RunVm = Omit<VmOutcome, 'reasons' | 'steps'> &
  Partial<Pick<VmOutcome, 'reasons' | 'steps'>> & { method?: string };

/** A bulk run as GET /api/remediations/{id} shows it. */
export interface RunView {
  id: string;
  status: RunRecord['status'];
  createdAt?: string;
  summary?: Record<string, number>;
  vms: RunVm[];
  error?: string;
}

/** A run in the list of GET /api/remediations?top=N. */
export interface RunListItem {
  id: string;
  status: string;
  createdAt?: string;
  summary?: Record<string, number>;
}

export function nameOf(id: string): string {
  return parseVmId(id)?.name ?? id.slice(id.lastIndexOf('/') + 1);
}

export function groupOf(id: string): string {
  return parseVmId(id)?.resourceGroup ?? '';
}

export function vms(n: number): string {
  return `${n} VM${n === 1 ? '' : 's'}`;
}

/** What a person reads to act: the failed step's detail, or the reason's sentence. */
export function sentenceOf(vm: RunVm): string {
  if (vm.outcome === 'failed') {
    // A failure's reason is already a sentence; a bare code gets the failed step's detail.
    if (vm.reason && /\s/.test(vm.reason)) return flat(vm.reason);
    const failed = [...(vm.steps ?? [])].reverse().find((s) => s.result === 'failed');
    if (failed?.detail) return flat(`${failed.name}: ${failed.detail}`);
  }
  if (vm.reason === 'approval-timeout') return 'No decision before ACCELNET_APPROVAL_TIMEOUT.';
  if (vm.reason === 'not-found') return 'No such VM.';
  const reason = vm.reasons?.find((r) => r.code === vm.reason) ?? vm.reasons?.[0];
  if (reason && vm.outcome !== 'rejected' && vm.outcome !== 'remediated')
    return flat(reason.message);
  if (vm.outcome === 'remediated')
    return vm.method === 'in-place'
      ? 'Accelerated Networking set in place, without downtime.'
      : 'Deallocated, Accelerated Networking set on its NICs, started again if it ran.';
  return vm.reason ?? '';
}

/** Counts by outcome, in the order of OUTCOMES: "5 remediated, 2 already-compliant". */
export function counts(list: { outcome: RunVm['outcome'] }[]): string {
  const tally = new Map<string, number>();
  for (const v of list) tally.set(v.outcome, (tally.get(v.outcome) ?? 0) + 1);
  const rank = (o: string): number => OUTCOMES.indexOf(o as RunVm['outcome']) >>> 0;
  return [...tally.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function power(vm: RunVm): string {
  if (!vm.originalPowerState) return vm.finalPowerState ?? '';
  return vm.finalPowerState && vm.finalPowerState !== vm.originalPowerState
    ? `${vm.originalPowerState} -> ${vm.finalPowerState}`
    : vm.originalPowerState;
}

function sorted(list: RunVm[]): RunVm[] {
  return [...list].sort(
    (a, b) =>
      groupOf(a.vmId).localeCompare(groupOf(b.vmId)) ||
      nameOf(a.vmId).localeCompare(nameOf(b.vmId)),
  );
}

/** The run's last line: its id, status, and the counts. */
export function runLine(run: RunView): string {
  const error = run.status === 'failed' && run.error ? `; the run failed: ${flat(run.error)}` : '';
  return `Run ${run.id} ${run.status}: ${vms(run.vms.length)}${run.vms.length > 0 ? `: ${counts(run.vms)}` : ''}${error}`;
}

export function runTable(run: RunView): string {
  const rows = sorted(run.vms).map((v) => [
    nameOf(v.vmId),
    groupOf(v.vmId),
    v.outcome,
    power(v),
    sentenceOf(v),
  ]);
  const body =
    rows.length > 0
      ? `${table(['NAME', 'RESOURCE GROUP', 'OUTCOME', 'POWER', 'REASON'], rows)}\n\n`
      : '';
  return `${body}${runLine(run)}`;
}

export function runCsv(run: RunView): string {
  return csv(
    [
      'vmId',
      'name',
      'resourceGroup',
      'outcome',
      'reasonCode',
      'reason',
      'originalPowerState',
      'finalPowerState',
      'method',
    ],
    sorted(run.vms).map((v) => [
      v.vmId,
      nameOf(v.vmId),
      groupOf(v.vmId),
      v.outcome,
      v.reason !== undefined && !/\s/.test(v.reason) ? v.reason : '',
      sentenceOf(v),
      v.originalPowerState ?? '',
      v.finalPowerState ?? '',
      v.method ?? '',
    ]),
  );
}

/** "5 remediated, 2 already-compliant" from a summary's non-zero counts. */
export function summaryText(summary: Record<string, number> | undefined): string {
  if (!summary) return '';
  return Object.entries(summary)
    .filter(([key, n]) => key !== 'total' && n > 0)
    .map(([key, n]) => `${n} ${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
    .join(', ');
}

export function listTable(runs: RunListItem[]): string {
  if (runs.length === 0) return 'No bulk runs yet: start one with `accelnet remediate`.';
  return table(
    ['RUN', 'STATUS', 'CREATED', 'VMS', 'OUTCOMES'],
    runs.map((r) => [
      r.id,
      r.status,
      r.createdAt ?? '',
      String(r.summary?.total ?? ''),
      summaryText(r.summary),
    ]),
  );
}

const SUMMARY_KEYS = [
  'total',
  'remediated',
  'alreadyCompliant',
  'skipped',
  'failed',
  'pendingApproval',
  'rejected',
  'planned',
  'inProgress',
];

export function listCsv(runs: RunListItem[]): string {
  return csv(
    ['id', 'status', 'createdAt', ...SUMMARY_KEYS],
    runs.map((r) => [
      r.id,
      r.status,
      r.createdAt ?? '',
      ...SUMMARY_KEYS.map((k) => String(r.summary?.[k] ?? 0)),
    ]),
  );
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
