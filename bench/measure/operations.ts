/**
 * What the emulator's operation log says a principal did: its reads (LRO polls among them),
 * writes and 429s, and which VM each request was about.
 */
import type { LoggedOperation } from '../twin/emulator-admin';

/** The principal the app's ARM requests are logged under (its ACCELNET_SELF_PRINCIPAL_ID). */
export const APP_PRINCIPAL = 'accelnet';

const READ_METHODS = new Set(['GET', 'HEAD']);
const POLL =
  /\/providers\/(Microsoft\.\w+)\/locations\/[^/]+\/(?:operations|operationResults)\/([^/?]+)/i;
const VM_PATH = /\/virtualMachines\/([^/?]+)/i;
const NIC_PATH = /\/networkInterfaces\/([^/?]+)/i;

export const isRead = (op: Pick<LoggedOperation, 'method'>): boolean => READ_METHODS.has(op.method);

/** A GET of a long-running operation's status. */
export const isPoll = (op: Pick<LoggedOperation, 'method' | 'path'>): boolean =>
  isRead(op) && POLL.test(op.path);

export interface OperationCounts {
  reads: number;
  /** Of the reads, LRO polls. */
  polls: number;
  writes: number;
  /** Requests answered 429, reads and writes. */
  throttled: number;
}

export function countOperations(
  ops: readonly LoggedOperation[],
  principal: string,
): OperationCounts {
  const mine = ops.filter((op) => op.principal === principal);
  return {
    reads: mine.filter(isRead).length,
    polls: mine.filter(isPoll).length,
    writes: mine.filter((op) => !isRead(op)).length,
    throttled: mine.filter((op) => op.status === 429).length,
  };
}

/** The VM a request is about (by name), or 'poll:<provider>', or 'other' (lists, SKUs…). */
export function subjectOf(op: Pick<LoggedOperation, 'path'>): string {
  const poll = POLL.exec(op.path);
  if (poll) return `poll:${(poll[1] ?? '').toLowerCase()}`;
  const vm = VM_PATH.exec(op.path)?.[1];
  if (vm) return decodeURIComponent(vm);
  const nic = NIC_PATH.exec(op.path)?.[1];
  if (nic) return decodeURIComponent(nic).replace(/-nic(?:-\d+)?$/i, '');
  return 'other';
}
